"""A data push still reaches the app while its notifications are turned off.

Eve turns the app's notifications off on both phones. An alert is accepted and suppressed, but a
data (silent) push still wakes the app: the permission covers alerts, sounds and badges only
(reference/devices.md §1.3, §2.3).
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation


async def scenario(sim: Simulation) -> None:
    phones = [sim.add_iphone(), sim.add_android()]
    for phone in phones:
        phone.install(DEFAULT_APP_ID, user_id="eve", answer="allow")
        phone.set_notifications_enabled(DEFAULT_APP_ID, False)

    alert = await sim.notify("eve", title="New message")
    for phone in phones:
        hidden = await sim.expect(
            "NotificationSuppressed", phone=phone.phone_id, notification=alert
        )
        assert "Settings" in hidden.reason or "denied" in hidden.reason, hidden.reason

    sync = await sim.notify("eve", kind="data", data={"sync": "inbox"})
    for phone in phones:
        received = await sim.expect("DataPushReceived", phone=phone.phone_id, notification=sync)
        assert received.data["sync"] == "inbox"
        assert phone.app(DEFAULT_APP_ID).data_pushes[-1]["sync"] == "inbox"
    sim.expect_no("NotificationDisplayed", notification=sync)
