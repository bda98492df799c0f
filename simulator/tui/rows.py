"""One timeline event as one coloured line of the timeline pane."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text

from simulator.timeline import kind_of
from simulator.tui.labels import Labels, printable
from simulator.tui.meaning import of_kind, style

#: Fields every line shows in its own column (or never), not among the details.
_COLUMNS = {"at", "phone_id", "provider", "token", "old_token", "push_id", "notification_id"}

_UNITS = {"delay": "s"}


def event_row(event: Any, labels: Labels) -> Text:
    """``T+0d 00:00:01  PushSent  iphone-1  tok ab12…  user_id='alice' …``"""
    kind = kind_of(event)
    package = type(event).__module__.split(".")[0]
    actor = getattr(event, "phone_id", None) or getattr(event, "provider", None) or package
    row = Text.assemble(
        (labels.time(event.at), "dim"),
        "  ",
        (f"{kind:<24}", style(of_kind(kind))),
        " ",
        (f"{printable(actor):<14}", "bold"),
    )
    token = getattr(event, "token", None)
    if token:
        row.append(f" {labels.token(token)}", style="dim")
    notification_id = getattr(event, "notification_id", None)
    if notification_id:
        row.append(f" {labels.ident(notification_id)}", style="yellow")
    details = " ".join(
        f"{f.name}={_short(value)}{_UNITS.get(f.name, '')}"
        for f in dataclasses.fields(event)
        if f.name not in _COLUMNS and (value := getattr(event, f.name)) not in (None, "", {}, ())
    )
    if details:
        row.append(f"  {details}")
    row.no_wrap = True
    row.overflow = "ellipsis"
    return row


def _short(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.3g}"  # a retry delay of 1.2000000000000002 reads 1.2
    else:
        text = repr(value) if isinstance(value, str) else printable(str(value))
    return text if len(text) <= 40 else text[:37] + "…"
