"""Token expiry: an uninstalled iOS app and a stale Android token are pruned, then come back.

Bob has the app on an iPhone and an Android phone. He deletes it from the iPhone and leaves the
Android phone in a drawer for 271 days (FCM expires tokens after 270 days without contact,
reference/fcm.md §0.14). APNs keeps answering 200 for the deleted app until one push has reached
the iPhone after the deletion (reference/devices.md §1.5): the first notification is accepted and
dropped by the phone, and a day later (APNs's invalidation delay, a day by default) the next gets
410 ``Unregistered``; FCM answers 404 ``UNREGISTERED`` for the
stale token. The backend must prune both tokens: nothing is sent to either again. Bob reinstalls
on the iPhone and switches the Android phone on and opens the app: both get new tokens and
notifications are shown again.

Portable: it runs against any backend wired in through hooks; the checks read what the fakes
answered and what the phones did.
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

    since = sim.clock.now()
    await sim.notify("bob", title="We miss you", body="Come back for 10% off")
    await sim.expect("PushDropped", phone=iphone.phone_id, token=old_ios)
    stale = await sim.expect("NotificationRejected", token=old_android)
    assert (stale.status, stale.reason) == (404, "UNREGISTERED"), f"FCM answered {stale}"
    await sim.sending_done()
    (first,) = sim.provider_requests(token=old_ios, since=since)
    assert first.status == 200, f"APNs must accept the first push after deletion: {first}"

    sim.advance(DAY)  # APNs invalidates the deleted app's token on its own schedule
    await sim.notify("bob", title="Last chance")
    # A day-old JWT may first draw 403 ExpiredProviderToken; a backend re-signs and retries.
    gone = await sim.expect("NotificationRejected", token=old_ios, status=410)
    assert gone.reason == "Unregistered", f"APNs answered {gone}"
    await sim.sending_done()  # the backend has handled the answer

    await sim.notify("bob", title="Still there?")
    await sim.sending_done()
    for token in (old_android, old_ios):
        requests = sim.provider_requests(token=token)
        refused = next(n for n, r in enumerate(requests) if r.status in (404, 410))
        again = requests[refused + 1 :]
        assert not again, f"{token[:12]}… was sent to again after it was refused: {again}"

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
