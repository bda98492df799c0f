"""A force-stopped Android app gets nothing until the user opens it again.

Finn force-stops the app in Settings. FCM still accepts messages for it, but the phone delivers
nothing to a stopped app, neither notifications nor data (reference/devices.md §2.4: "that app
should not run till the user explicitly starts it again"). Once Finn opens the app, the next
notification is shown.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation

NEEDS = {
    "pushsim_sender": "it reads the sender's per-device outcome of a push (GET /v1/notifications/{id})"
}


async def scenario(sim: Simulation) -> None:
    android = sim.add_android()
    android.install(DEFAULT_APP_ID, user_id="finn", answer="allow")
    android.force_stop(DEFAULT_APP_ID)

    stopped = await sim.notify("finn", title="Flash sale")
    (answer,) = (await sim.notification(stopped))["deliveries"]
    assert answer["http_status"] == 200, f"FCM accepts it: {answer}"
    dropped = await sim.expect("PushDropped", phone=android.phone_id, notification=stopped)
    assert "stopped" in dropped.reason, dropped.reason
    silent = await sim.notify("finn", kind="data", data={"sync": "1"})
    await sim.expect("PushDropped", phone=android.phone_id, notification=silent)
    sim.expect_no("NotificationDisplayed", phone=android.phone_id)

    android.launch(DEFAULT_APP_ID)
    android.background(DEFAULT_APP_ID)
    back = await sim.notify("finn", title="Welcome back")
    await sim.expect("NotificationDisplayed", phone=android.phone_id, notification=back)
