"""One timeline event as one coloured line of the timeline pane."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text

from simulator.timeline import kind_of
from simulator.tui.labels import Labels

#: Fields every line shows in its own column (or never), not among the details.
_COLUMNS = {"at", "phone_id", "provider", "token", "old_token", "push_id", "notification_id"}
#: Kinds that mean something went wrong, drawn in red.
_BAD = {
    "PushFailed",
    "NotificationRejected",
    "TokenPruned",
    "TokenInvalidated",
    "NotificationSuppressed",
    "PushDropped",
    "NotificationDiscarded",
    "AppServerCallFailed",
}
_PACKAGE_STYLE = {"devices": "green", "sender": "cyan", "fakeproviders": "magenta"}


def event_row(event: Any, labels: Labels) -> Text:
    """``T+0d 00:00:01  PushSent  iphone-1  tok ab12…  user_id='alice' …``"""
    kind = kind_of(event)
    package = type(event).__module__.split(".")[0]
    style = "bold red" if kind in _BAD else _PACKAGE_STYLE.get(package, "white")
    actor = getattr(event, "phone_id", None) or getattr(event, "provider", None) or package
    row = Text.assemble(
        (labels.time(event.at), "dim"),
        "  ",
        (f"{kind:<24}", style),
        " ",
        (f"{actor:<14}", "bold"),
    )
    token = getattr(event, "token", None)
    if token:
        row.append(f" {labels.token(token)}", style="dim")
    notification_id = getattr(event, "notification_id", None)
    if notification_id:
        row.append(f" {labels.ident(notification_id)}", style="yellow")
    details = " ".join(
        f"{f.name}={_short(value)}"
        for f in dataclasses.fields(event)
        if f.name not in _COLUMNS and (value := getattr(event, f.name)) not in (None, "", {}, ())
    )
    if details:
        row.append(f"  {details}")
    row.no_wrap = True
    row.overflow = "ellipsis"
    return row


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "…"
