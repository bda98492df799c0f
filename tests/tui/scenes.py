"""Deterministic scenes for the snapshot tests and the README screenshot.

Fixed phone ids and titles; every user has one phone and each notification is awaited before the
next is sent, so the timeline's order does not depend on which socket answers first. Times and
tokens are masked by ``StableLabels``.

    python -m tests.tui.scenes docs/     # writes the README screenshots (160x48 and 80x24)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from simulator import DEFAULT_APP_ID
from simulator.tui.app import PushsimApp
from simulator.tui.labels import StableLabels


def scene_app(state_dir: Path) -> PushsimApp:
    """An app that owns its simulation, with stable labels and no animations."""
    app = PushsimApp(state_dir=state_dir, labels=StableLabels(), pace=0, refresh=5.0)
    app.animation_level = "none"
    return app


async def demo_fleet(pilot: Pilot[int]) -> None:
    """Four phones: alerts shown and grouped, one suppressed by Settings, one stored offline."""
    app = pilot.app
    assert isinstance(app, PushsimApp)
    await asyncio.wait_for(app.ready.wait(), 10)
    sim = app.sim
    alice = sim.add_iphone("alice-iphone")
    bob = sim.add_android("bob-pixel")
    carol = sim.add_iphone("carol-iphone")
    dave = sim.add_android("dave-pixel", api_level=32)
    for phone, user in ((alice, "alice"), (bob, "bob"), (carol, "carol"), (dave, "dave")):
        phone.install(DEFAULT_APP_ID, user_id=user, answer="allow")
    carol.set_notifications_enabled(DEFAULT_APP_ID, False)
    dave.go_offline()
    sends = (
        ("alice", "Order shipped", "Your parcel is on its way", "orders", "NotificationDisplayed"),
        ("alice", "Out for delivery", "Arriving today 2-4 pm", "orders", "NotificationDisplayed"),
        ("alice", "Flash sale", "Everything must go", None, "NotificationDisplayed"),
        ("bob", "Welcome", "Thanks for joining", None, "NotificationDisplayed"),
        ("carol", "Reminder", "Your cart misses you", None, "NotificationSuppressed"),
        ("dave", "Are you there?", "We kept this for you", None, "NotificationStored"),
    )
    for user, title, body, thread, outcome in sends:
        notification_id = await app.send(
            {"user_id": user, "title": title, "body": body, "kind": "alert"}
            | ({"thread_id": thread} if thread else {})
        )
        assert notification_id is not None
        await sim.wait_for(outcome, notification=notification_id, timeout=10)
        await sim.notification(notification_id)
    app.clear_notifications()  # the "sent #n" toasts
    await settle(pilot)


async def settle(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, PushsimApp)
    await pilot.pause()
    await app.flush()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    for field in app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor would differ between runs


async def _write_screenshots(folder: Path) -> None:
    for width, height in ((160, 48), (80, 24)):
        with tempfile.TemporaryDirectory() as state_dir:
            app = scene_app(Path(state_dir))
            async with app.run_test(size=(width, height)) as pilot:
                await demo_fleet(pilot)
                app.save_screenshot(f"tui-{width}x{height}.svg", str(folder))


if __name__ == "__main__":
    asyncio.run(_write_screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
