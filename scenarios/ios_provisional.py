"""Provisional authorization on iOS: delivered quietly to Notification Center, then promoted.

The app asks for provisional authorization, so no prompt is shown (reference/devices.md §1.1).
Notifications are delivered quietly: in Notification Center, with no banner and no sound. When
Dev taps "Keep… Deliver Prominently", later notifications get banners.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone()
    iphone.install(DEFAULT_APP_ID, user_id="dev", provisional=True)
    assert iphone.app(DEFAULT_APP_ID).permission.value == "provisional"
    sim.expect_no("PermissionAnswered", phone=iphone.phone_id)

    quiet = await sim.notify("dev", title="Tip of the day", body="Try dark mode")
    shown = await sim.expect("NotificationDisplayed", notification=quiet)
    assert (shown.banner, shown.sound) == (False, False), shown

    iphone.promote(DEFAULT_APP_ID)
    loud = await sim.notify("dev", title="Your order shipped")
    shown = await sim.expect("NotificationDisplayed", notification=loud)
    assert shown.banner, f"a promoted app's notifications show a banner: {shown}"
