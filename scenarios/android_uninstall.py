"""Android uninstall: FCM answers 200 until a message reached the phone, which reports the app gone.

Google's documented flow (reference/devices.md §2.6): FCM does not learn of an uninstall from the
uninstall itself. The next message is accepted and sent to the phone; the phone's FCM client finds
no app for it, drops it and tells FCM the app was uninstalled; FCM marks the token for deletion,
and only later sends get 404 ``UNREGISTERED``, after a delay Google does not document (here one
hour). The sender then prunes the token. Dev reinstalls the app and gets a new token.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, FcmOptions, Simulation

HOUR = 3_600.0
OPTIONS = {"fcm_options": FcmOptions(uninstall_delay=HOUR)}


async def scenario(sim: Simulation) -> None:
    android = sim.add_android()
    android.install(DEFAULT_APP_ID, user_id="dev", answer="allow")
    token = android.app(DEFAULT_APP_ID).token
    await sim.settle()

    android.uninstall(DEFAULT_APP_ID)
    reached = await sim.notify("dev", title="Flash sale")
    assert await _status(sim, reached) == 200, "FCM has not heard of the uninstall yet"
    await sim.expect("PushDropped", phone=android.phone_id, notification=reached)

    sim.advance(HOUR - 60)
    marked = await sim.notify("dev", title="Flash sale ends soon")
    assert await _status(sim, marked) == 200, "the token is marked for deletion, not yet gone"

    sim.advance(120)
    too_late = await sim.notify("dev", title="Last hour")
    (answer,) = (await sim.notification(too_late))["deliveries"]
    assert (answer["http_status"], answer["reason"]) == (404, "UNREGISTERED"), answer
    await sim.expect("TokenPruned", token=token)

    android.install(DEFAULT_APP_ID, user_id="dev", answer="allow")
    assert android.app(DEFAULT_APP_ID).token != token, "a reinstall gets a new token"
    welcome = await sim.notify("dev", title="Welcome back")
    await sim.expect("NotificationDisplayed", phone=android.phone_id, notification=welcome)


async def _status(sim: Simulation, notification_id: str) -> int:
    (answer,) = (await sim.notification(notification_id))["deliveries"]
    return int(answer["http_status"])
