"""The timeline pane: every event as it happens, filterable by phone and by kind.

Rows are appended in batches by the app's refresh timer and capped (older ones scroll away). A
filter change refills the pane from the simulation's timeline, newest ``cap`` matching events;
rows are drawn only when they come into sight (:class:`~simulator.tui.widgets.event_log.EventLog`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label

from simulator.timeline import kind_of
from simulator.tui.model import Dashboard
from simulator.tui.rows import event_row
from simulator.tui.widgets.event_log import EventLog


class KindFilter(Input):
    """The kind filter's field: ⏎ or esc leaves it (the filter stays)."""

    BINDINGS = [Binding("escape", "leave", "Done", show=True)]

    def action_leave(self) -> None:
        self.post_message(self.Submitted(self, self.value))


class TimelinePane(Vertical):
    """A filter line over a capped log of event rows."""

    class FilterChanged(Message):
        """The kind filter or the phone filter changed: the pane needs its rows again."""

    def __init__(self, dashboard: Dashboard, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.dashboard = dashboard
        self.kind_filter = ""
        """Case-insensitive part of an event kind (``push`` matches PushSent and PushFailed)."""
        self.phone_filter: str | None = None
        self.rows_written = 0
        self.border_title = "timeline"

    def compose(self) -> ComposeResult:
        with Horizontal(id="timeline-filters"):
            yield Label("kind:")
            yield KindFilter(placeholder="any (k: e.g. Push)", id="kind-filter")
            yield Label("", id="phone-filter")
        yield EventLog(self._row, self.dashboard.timeline_cap, id="timeline-log")

    def _row(self, event: Any) -> Any:
        return event_row(event, self.dashboard.labels)

    def matches(self, event: Any) -> bool:
        """Whether ``event`` passes both filters."""
        if self.kind_filter and self.kind_filter not in kind_of(event).lower():
            return False
        return self.phone_filter is None or self.dashboard.belongs_to(event, self.phone_filter)

    def write(self, events: Iterable[Any]) -> None:
        """Append the rows of the events that pass the filters."""
        rows = [event for event in events if self.matches(event)]
        self.query_one(EventLog).write(rows)
        self.rows_written += len(rows)

    def redraw(self, events: list[Any]) -> None:
        """Start over with ``events`` (the whole timeline), keeping the newest matching rows."""
        self.query_one(EventLog).clear()
        self.rows_written = 0
        matching = [e for e in events if self.matches(e)]
        self.write(matching[-self.dashboard.timeline_cap :])

    @property
    def row_count(self) -> int:
        """Rows the pane holds now (at most the cap)."""
        return self.query_one(EventLog).line_count

    def set_phone_filter(self, phone_id: str | None) -> None:
        self.phone_filter = phone_id
        self.query_one("#phone-filter", Label).update(
            f"phone: {phone_id}  [dim](l: all phones)[/]"
            if phone_id
            else "[dim]l: only the selected phone[/]"
        )
        self.post_message(self.FilterChanged())

    def on_mount(self) -> None:
        self.set_phone_filter(None)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.kind_filter = event.value.strip().lower()
        self.post_message(self.FilterChanged())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(EventLog).focus()
