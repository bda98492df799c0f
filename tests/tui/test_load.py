"""The TUI under load: 50 phones and a burst of 100 notifications."""

from __future__ import annotations

import asyncio

from simulator import DEFAULT_APP_ID, Simulation
from simulator.tui.widgets.fleet import Fleet
from simulator.tui.widgets.sender_pane import SenderPane
from simulator.tui.widgets.timeline_pane import TimelinePane
from tests.tui.conftest import settle, tui

PHONES = 50
BURST = 100


async def test_fifty_phones_and_a_burst_of_notifications_stay_consistent(sim: Simulation) -> None:
    """After a burst of 100 notifications to 50 phones every card (page by page), counter and
    the capped timeline agree with the simulation."""
    for n in range(PHONES):
        phone = sim.add_iphone(f"p{n:02}") if n % 2 else sim.add_android(f"p{n:02}")
        phone.install(DEFAULT_APP_ID, user_id=f"u{n:02}", answer="allow")
    async with tui(sim) as (app, pilot):
        await settle(app, pilot)
        ids = await asyncio.gather(
            *(sim.notify(f"u{n % PHONES:02}", title=f"burst {n}") for n in range(BURST))
        )
        await asyncio.gather(
            *(sim.wait_for("NotificationDisplayed", notification=i, timeout=90) for i in ids)
        )
        await settle(app, pilot)

        fleet = app.query_one(Fleet)
        seen = set()
        while True:  # page through the fleet: every phone's card shows its notifications
            for card in fleet.cards():
                drawn = card.render().plain
                titles = [e.title for e in card.phone.notifications()]
                assert len(titles) == BURST // PHONES
                assert all(title in drawn for title in titles if title), card.phone.phone_id
                seen.add(card.phone.phone_id)
            if len(seen) == PHONES:
                break
            await pilot.press("pagedown")
            await settle(app, pilot)
        assert len(fleet.cards()) < PHONES  # only a page of cards is mounted
        assert app.dashboard.sender.accepted == BURST
        assert f"accepted {BURST} " in app.query_one(SenderPane).summary
        pane = app.query_one(TimelinePane)
        assert app.dashboard.events_seen == len(sim.timeline) > app.dashboard.timeline_cap
        assert pane.row_count == app.dashboard.timeline_cap
