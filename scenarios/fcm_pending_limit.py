"""FCM's 100 pending messages: past them everything stored is dropped and the app is told.

Kai's Android phone is off for a week while a chatty app sends 101 non-collapsible messages. FCM
keeps at most 100 pending messages per app instance; past that it drops them all, and when the
phone reconnects the app's ``onDeletedMessages`` runs instead (reference/fcm.md §0.13,
devices.md §2.7), so the app knows to sync.
"""

from __future__ import annotations

import asyncio

from simulator import DEFAULT_APP_ID, Simulation

NEEDS = {
    "pushsim_sender": "it waits for the sender to finish each send (GET /v1/notifications/{id})"
}


async def scenario(sim: Simulation) -> None:
    android = sim.add_android()
    android.install(DEFAULT_APP_ID, user_id="kai", answer="allow")
    android.background(DEFAULT_APP_ID)
    android.go_offline()

    sent = await asyncio.gather(*(sim.notify("kai", title=f"Message {n}") for n in range(101)))
    for notification_id in sent:
        await sim.notification(notification_id)
    stored = sim.timeline.events("NotificationStored", phone=android.phone_id)
    assert len(stored) >= 100, f"FCM stores up to 100: {len(stored)}"

    android.go_online()
    await sim.expect("PendingMessagesDeleted", phone=android.phone_id)
    sim.expect_no("NotificationDisplayed", phone=android.phone_id)

    fresh = await sim.notify("kai", title="You're back online")
    await sim.expect("NotificationDisplayed", notification=fresh)
