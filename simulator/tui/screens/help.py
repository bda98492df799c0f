"""The help screen: every key and action, and where the simulation listens."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from simulator.tui.commands import ACTIONS
from simulator.tui.meaning import LEGEND, style

#: Keys of the phones pane (``Fleet``, ``PhoneCard``) and of Textual itself.
OTHER_KEYS = (
    ("← / →", "Select the previous / next phone (or click it)"),
    ("pgup / pgdn, home / end", "A screenful of phones up / down, the first / last phone"),
    ("↑ / ↓", "Select the newer / older notification on the phone (or click it)"),
    ("[ / ]", "Select the previous / next app on the phone (or click it)"),
    ("tab / shift+tab", "Move the focus to the next / previous pane"),
    ("space", "Flip the highlighted switch on the faults switchboard"),
    ("esc", "Close a form; leave the kind filter"),
    ("ctrl+p", "Command palette: every action by name"),
    ("ctrl+c", "Quit (stops pushsim up, too)"),
)


class HelpScreen(ModalScreen[None]):
    """All bindings, palette-only actions and, under ``pushsim up``, the endpoints."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, endpoints: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.endpoints = endpoints
        self.rows = [
            (action.key_label or action.key or "palette", action.title, action.help)
            for action in ACTIONS
        ] + [(key, "", what) for key, what in OTHER_KEYS]
        """(key, action, what it does), as shown."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "pushsim · help (esc to close)"
            yield Static(self._legend(), id="help-legend")
            yield Static(self._keys(), id="help-keys")
            if self.endpoints:
                yield Static(self._endpoints(), id="help-endpoints")

    def _keys(self) -> Table:
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("key", style="bold yellow", no_wrap=True)
        table.add_column("action", style="bold", no_wrap=True)
        table.add_column("what it does")
        for row in self.rows:
            table.add_row(*row)
        return table

    def _legend(self) -> Table:
        table = Table(box=None, title="colours", title_style="bold", expand=True)
        table.add_column("looks like", no_wrap=True)
        table.add_column("means", style="bold", no_wrap=True)
        table.add_column("for")
        for meaning, example, what in LEGEND:
            table.add_row(Text(example, style=style(meaning)), meaning.value, what)
        return table

    def _endpoints(self) -> Table:
        table = Table(box=None, title="endpoints", title_style="bold", expand=True)
        table.add_column("name", style="bold", no_wrap=True)
        table.add_column("value")
        for name, value in _flatten(self.endpoints or {}):
            table.add_row(name, Text(str(value)))
        return table


def _flatten(values: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    flat: list[tuple[str, Any]] = []
    for key, value in values.items():
        if isinstance(value, dict):
            flat += _flatten(value, f"{prefix}{key}.")
        else:
            flat.append((f"{prefix}{key}", value))
    return flat
