"""The timeline's rows, drawn only when they come into sight.

A log that renders every row as it is written (Textual's ``RichLog``) pays for a whole page of
rows that nobody scrolls back to, and for all of them again when a filter changes. This one keeps
the events and draws a row, through Textual's line API, the first time it is on screen; a filter
change or a burst of events costs a list append per row, whatever the fleet.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class EventLog(ScrollView, can_focus=True):
    """The newest ``cap`` events, one line each, drawn by ``row`` when shown.

    New rows keep the view at the end when it was there (like ``tail -f``); scrolled back, the
    view stays where the user put it.
    """

    DEFAULT_CSS = """
    EventLog {
        background: $surface;
        color: $foreground;
        overflow-y: scroll;
        &:focus {
            background-tint: $foreground 5%;
        }
    }
    """

    def __init__(self, row: Callable[[Any], Text], cap: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._row = row
        self._events: deque[Any] = deque(maxlen=cap)
        self._dropped = 0
        """Events that scrolled away for good (the absolute number of the first one kept)."""
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(1024)
        self._follow = True
        """Whether the view stays on the newest rows (it is at the end, or was when it last
        moved): rows written while the pane is hidden or still being laid out count too."""

    @property
    def line_count(self) -> int:
        """Rows held now (at most the cap)."""
        return len(self._events)

    def write(self, events: Iterable[Any]) -> None:
        """Append a row for each event."""
        new = list(events)
        if not new:
            return
        before = len(self._events)
        self._events.extend(new)
        # Rows pushed out at the top: those left move up a line each.
        self._dropped += before + len(new) - len(self._events)
        self._resize()
        self.refresh()

    def clear(self) -> None:
        """Forget every row."""
        self._dropped += len(self._events)
        self._events.clear()
        self._strips.clear()
        self._follow = True
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        # No width: rows are cut to the pane's width, never scrolled sideways.
        self.virtual_size = Size(0, len(self._events))
        if self._follow:
            self.scroll_end(animate=False, immediate=False, x_axis=False)

    def on_resize(self) -> None:
        self._resize()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow = new_value >= self.max_scroll_y

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        style = self.rich_style
        if index >= len(self._events):
            return Strip.blank(width, style)
        key = (self._dropped + index, width)
        strip = self._strips.get(key)
        if strip is None:
            text = self._row(self._events[index])
            text.truncate(width, overflow="ellipsis")
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._strips[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
