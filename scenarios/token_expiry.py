"""Token expiry: an uninstalled iOS app and a stale Android token are pruned, then come back.

Bob has the app on an iPhone and an Android phone. He deletes it from the iPhone and leaves the
Android phone in a drawer for 271 days (FCM expires tokens after 270 days without contact,
reference/fcm.md §0.14). APNs keeps answering 200 for the deleted app until one push has reached
the iPhone after the deletion (reference/devices.md §1.5): the first notification is accepted and
dropped by the phone, the next gets 410 ``Unregistered``; FCM answers 404 ``UNREGISTERED`` for the
stale token. The sender prunes both tokens and stops targeting them. Bob reinstalls on the iPhone
and switches the Android phone on and opens the app: both get new tokens and notifications are
shown again.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation

DAY = 86_400.0


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone()
    android = sim.add_android()
    for phone in (iphone, android):
        phone.install(DEFAULT_APP_ID, user_id="bob", answer="allow")
    old_ios = iphone.app(DEFAULT_APP_ID).token
    old_android = android.app(DEFAULT_APP_ID).token
    await sim.settle()  # both tokens reach the sender
    sim.advance(7 * DAY)  # a week of normal use

    iphone.uninstall(DEFAULT_APP_ID)
    android.go_offline()
    sim.advance(271 * DAY)

    miss_you = await sim.notify("bob", title="We miss you", body="Come back for 10% off")
    answers = {d["token"]: d for d in (await sim.notification(miss_you))["deliveries"]}
    ios, fcm = answers[old_ios], answers[old_android]
    assert ios["http_status"] == 200, f"APNs must accept the first push after deletion: {ios}"
    await sim.expect("PushDropped", phone=iphone.phone_id, notification=miss_you)
    assert (fcm["http_status"], fcm["reason"]) == (404, "UNREGISTERED"), f"FCM answered {fcm}"
    await sim.expect("TokenPruned", token=old_android)

    last_try = await sim.notify("bob", title="Last chance")
    (ios,) = (await sim.notification(last_try))["deliveries"]
    assert (ios["http_status"], ios["reason"]) == (410, "Unregistered"), f"APNs answered {ios}"
    await sim.expect("TokenPruned", token=old_ios)

    again = await sim.notify("bob", title="Still there?")
    targeted = (await sim.notification(again))["deliveries"]
    assert targeted == [], f"pruned tokens were targeted again: {targeted}"

    iphone.install(DEFAULT_APP_ID, user_id="bob", answer="allow")
    android.go_online()
    android.launch(DEFAULT_APP_ID)
    new_ios = iphone.app(DEFAULT_APP_ID).token
    new_android = android.app(DEFAULT_APP_ID).token
    assert new_ios != old_ios, "reinstalling on iOS must give a new token"
    assert new_android != old_android, "an expired FCM token must be replaced at the next launch"

    welcome = await sim.notify("bob", title="Welcome back")
    for phone, token in ((iphone, new_ios), (android, new_android)):
        shown = await sim.expect(
            "NotificationDisplayed", phone=phone.phone_id, notification=welcome
        )
        assert shown.token == token, f"{phone.phone_id} showed it on {shown.token}, not {token}"
