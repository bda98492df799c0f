"""Token rotation: after a restore the app's new token replaces the old one at once.

Ian restores his iPhone from a backup onto a new phone: the app's token changes (reference/
devices.md §1.4) and the app reports the new one, with its installation, at its next launch. The
old token keeps working at APNs for a while (here one day, an APNs setting: how long is not
documented), so a sender that kept both would reach Ian twice. The backend replaces the old token
with the new one: Ian gets each notification once, and nothing is sent to the old token again.

Portable: it runs against any backend wired in through hooks (one that keys tokens by the device
the apps report); the checks read what the fakes answered and what the phones did.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, ApnsOptions, Simulation

DAY = 86_400.0
OPTIONS = {"apns_options": ApnsOptions(rotated_token_lifetime=DAY)}


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone()
    iphone.install(DEFAULT_APP_ID, user_id="ian", answer="allow")
    old = iphone.app(DEFAULT_APP_ID).token
    await sim.settle()

    iphone.restore_to_new_device()
    iphone.launch(DEFAULT_APP_ID)
    iphone.background(DEFAULT_APP_ID)
    new = iphone.app(DEFAULT_APP_ID).token
    assert new != old, "a restore gives the app a new token"
    await sim.expect("TokenRotated", old_token=old, token=new)
    rotated = sim.clock.now()

    for title in ("Your weekly summary", "Next week's summary"):
        summary = await sim.notify("ian", title=title)
        shown = await sim.expect(
            "NotificationDisplayed", notification=summary, phone=iphone.phone_id
        )
        assert shown.token == new, f"shown on {shown.token}, not on the new token {new}"
        await sim.sending_done()
        seen = [e.token for e in sim.timeline.events("NotificationDisplayed", notification=summary)]
        assert seen == [new], f"Ian sees it once, on the new token: {seen}"
        sim.advance(DAY + 60)  # by now APNs answers 410 for the old token

    stale = sim.provider_requests(token=old, since=rotated)
    assert not stale, f"the old token was still used after the new one came: {stale}"
