"""Opt-out: notifications turned off in Settings are still accepted by the provider, never shown.

Alice allows notifications on her iPhone and her Android phone and sees the first one. Then she
turns the app's notifications off in Settings on both. The next notification is still accepted by
APNs and FCM (200: the token stays valid, reference/devices.md §1.3), reaches both phones, and is
suppressed there, with the reason on the timeline.

Portable: it runs against any backend wired in through hooks; the checks read what the fakes
answered and what the phones did.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone()
    android = sim.add_android()
    for phone in (iphone, android):
        phone.install(DEFAULT_APP_ID, user_id="alice", answer="allow")

    shipped = await sim.notify("alice", title="Order shipped", body="Your parcel is on its way")
    for phone in (iphone, android):
        shown = await sim.wait_for(
            "NotificationDisplayed", phone=phone.phone_id, notification=shipped
        )
        assert shown.title == "Order shipped", f"{phone.phone_id} showed {shown.title!r}"

    for phone in (iphone, android):
        phone.set_notifications_enabled(DEFAULT_APP_ID, False)

    turned_off = sim.clock.now()
    sale = await sim.notify("alice", title="Flash sale", body="Everything must go")
    for phone in (iphone, android):
        hidden = await sim.wait_for(
            "NotificationSuppressed", phone=phone.phone_id, notification=sale
        )
        assert hidden.reason == "notifications turned off in Settings", hidden.reason
    for phone in (iphone, android):
        token = phone.app(DEFAULT_APP_ID).token
        answers = [r.status for r in sim.provider_requests(token=token, since=turned_off)]
        assert answers == [200], f"{phone.platform} provider answers were {answers}"
    shown_after = sim.timeline.events("NotificationDisplayed", notification=sale)
    assert not shown_after, f"shown although turned off: {shown_after}"
