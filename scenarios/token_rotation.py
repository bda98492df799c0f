"""Token rotation: after a restore the old token keeps working for a day, then it is pruned.

Ian restores his iPhone from a backup onto a new phone: the app's token changes (reference/
devices.md §1.4) and the app reports the new one at its next launch. The old token keeps working
for a while (here one day, an APNs setting: how long is not documented), so the sender, which now
holds both, reaches Ian twice. A day later APNs answers 410 for the old token; the sender prunes it
and Ian gets each notification once again.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, ApnsOptions, Simulation

NEEDS = {"pushsim_sender": "it reads the sender's per-device outcomes and its TokenPruned events"}

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

    twice = await sim.notify("ian", title="Your weekly summary")
    answers = {d["token"]: d["http_status"] for d in (await sim.notification(twice))["deliveries"]}
    assert answers == {old: 200, new: 200}, f"both tokens still work: {answers}"
    shown = [e.token for e in sim.timeline.events("NotificationDisplayed", notification=twice)]
    assert sorted(shown) == sorted([old, new]), f"Ian sees it twice, once per token: {shown}"

    sim.advance(DAY + 60)
    after = await sim.notify("ian", title="Next week's summary")
    answers = {d["token"]: d for d in (await sim.notification(after))["deliveries"]}
    assert (answers[old]["http_status"], answers[old]["reason"]) == (410, "Unregistered")
    await sim.expect("TokenPruned", token=old)

    once = await sim.notify("ian", title="Back to normal")
    (only,) = (await sim.notification(once))["deliveries"]
    assert only["token"] == new
    await sim.expect("NotificationDisplayed", notification=once, token=new)
