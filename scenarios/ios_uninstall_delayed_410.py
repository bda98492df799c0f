"""iOS uninstall: APNs answers 200 until a push reached the phone, then 410 only after a delay.

Apple does not invalidate a deleted app's token at once (reference/devices.md §1.5): the token is
marked invalid only after a push has reached the device after the deletion, and then on a delay
Apple does not document. Here the delay is two days. Cara deletes the app; the next push is
accepted and dropped by her iPhone; pushes during the next two days are still accepted; after
that APNs answers 410 ``Unregistered`` with the time the token became invalid, and the sender
prunes it.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, ApnsOptions, Simulation

NEEDS = {"pushsim_sender": "it reads the sender's per-device outcomes and its TokenPruned events"}

DAY = 86_400.0
OPTIONS = {"apns_options": ApnsOptions(invalidation_delay=2 * DAY)}


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone()
    iphone.install(DEFAULT_APP_ID, user_id="cara", answer="allow")
    token = iphone.app(DEFAULT_APP_ID).token
    await sim.settle()

    iphone.uninstall(DEFAULT_APP_ID)
    reached = await sim.notify("cara", title="Your cart misses you")
    assert await _status(sim, reached) == 200
    await sim.expect("PushDropped", phone=iphone.phone_id, notification=reached)

    sim.advance(1 * DAY)
    one_day_later = await sim.notify("cara", title="Still 20% off")
    assert await _status(sim, one_day_later) == 200, "within the delay the token still works"

    sim.advance(1 * DAY + 60)
    too_late = await sim.notify("cara", title="Last day")
    (answer,) = (await sim.notification(too_late))["deliveries"]
    assert (answer["http_status"], answer["reason"]) == (410, "Unregistered"), answer
    pruned = await sim.expect("TokenPruned", token=token)
    assert pruned.reason == "Unregistered"


async def _status(sim: Simulation, notification_id: str) -> int:
    (answer,) = (await sim.notification(notification_id))["deliveries"]
    return int(answer["http_status"])
