"""The timeline's log: rows drawn only when shown, capped, following the newest unless scrolled
back; and the app's heap kept out of full garbage-collector passes while it runs."""

from __future__ import annotations

import gc
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult

from simulator import Simulation
from simulator.tui.widgets.event_log import EventLog
from tests.tui.conftest import tui


class _LogApp(App[None]):
    """An event log alone on a 60x12 screen, counting the rows it draws."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.drawn: list[Any] = []

    def compose(self) -> ComposeResult:
        yield EventLog(self._row, self.cap)

    def _row(self, event: Any) -> Text:
        self.drawn.append(event)
        return Text(f"event {event} " + "x" * 100)


async def test_only_the_rows_in_sight_are_drawn() -> None:
    """Writing 400 events draws the rows on screen, not the 400; each row is cut to the width."""
    app = _LogApp(cap=500)
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(EventLog)
        log.write(range(400))
        await pilot.pause()
        assert log.line_count == 400
        # (the top screenful may be drawn once before the view reaches the end)
        assert 0 < len(set(app.drawn)) <= 2 * 12 and 399 in app.drawn
        row = log.render_line(log.size.height - 1)
        assert row.text.startswith("event 399 ") and row.text.rstrip().endswith("…")
        assert row.cell_length == log.scrollable_content_region.width


async def test_the_cap_drops_the_oldest_rows() -> None:
    """Beyond the cap the oldest events go; the top row is the oldest one kept."""
    app = _LogApp(cap=50)
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(EventLog)
        log.write(range(30))
        log.write(range(30, 80))
        await pilot.pause()
        assert log.line_count == 50
        log.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert log.render_line(0).text.startswith("event 30 ")


async def test_new_rows_follow_the_end_unless_scrolled_back() -> None:
    """At the end, new rows scroll into sight; scrolled back, the view stays put, and going to
    the end again follows anew."""
    app = _LogApp(cap=500)
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(EventLog)
        log.write(range(100))
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y > 0
        log.scroll_to(y=10, animate=False, immediate=True)
        log.write(range(100, 110))
        await pilot.pause()
        assert log.scroll_y == 10
        log.scroll_end(animate=False, immediate=True)
        log.write(range(110, 120))
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
        assert log.render_line(log.size.height - 1).text.startswith("event 119 ")


async def test_clear_starts_over_at_the_end() -> None:
    """A filter change clears the log and writes again: the newest rows are in sight."""
    app = _LogApp(cap=500)
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(EventLog)
        log.write(range(100))
        await pilot.pause()
        log.scroll_home(animate=False, immediate=True)
        log.clear()
        log.write(range(1000, 1040))
        await pilot.pause()
        assert log.line_count == 40 and log.scroll_y == log.max_scroll_y
        assert log.render_line(log.size.height - 1).text.startswith("event 1039 ")


async def test_the_app_keeps_its_heap_out_of_full_gc_passes_while_it_runs(
    sim: Simulation,
) -> None:
    """Once the fleet is shown the objects alive are frozen (a full pass over 200 phones' worth
    took up to 450 ms, the length of a key press); they are collectable again after exit."""
    frozen_before = gc.get_freeze_count()
    async with tui(sim):
        assert gc.get_freeze_count() > frozen_before
    assert gc.get_freeze_count() == 0
