"""Throttling: 429 and 503 answers, with and without Retry-After, retried by the sender.

FCM answers Olga's first message with 429 ``QUOTA_EXCEEDED`` (Retry-After: 30) and then 503
``UNAVAILABLE`` (Retry-After: 10); APNs answers her iPhone's first push with 429
``TooManyRequests`` and no Retry-After. The sender waits as told (reference/fcm.md §2.4: retry
honouring Retry-After, exponential backoff with jitter otherwise), on the simulation's clock, and
each push is delivered on the attempt after the faults. The token is kept: throttling is not a
reason to prune.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation

NEEDS = {
    "pushsim_sender": "it reads the sender's retry delays from its outcomes (`pushsim audit` checks any backend's retries)"
}


async def scenario(sim: Simulation) -> None:
    iphone, android = sim.add_iphone(), sim.add_android()
    for phone in (iphone, android):
        phone.install(DEFAULT_APP_ID, user_id="olga", answer="allow")
        phone.background(DEFAULT_APP_ID)
    sim.fault("fcm", status=429, reason="QUOTA_EXCEEDED", retry_after=30, times=1)
    sim.fault("fcm", status=503, reason="UNAVAILABLE", retry_after=10, times=1)
    sim.fault("apns", status=429, reason="TooManyRequests", times=1)

    sale = await sim.notify("olga", title="Sale starts now")
    android_token = android.app(DEFAULT_APP_ID).token
    quota = await sim.expect("PushRetried", notification=sale, token=android_token, status=429)
    assert quota.delay >= 30, f"Retry-After: 30 must be honoured, waited {quota.delay}"
    apns = await sim.expect(
        "PushRetried", notification=sale, token=iphone.app(DEFAULT_APP_ID).token
    )
    assert (apns.status, apns.reason) == (429, "TooManyRequests")

    sim.advance(max(quota.delay, apns.delay))
    busy = await sim.expect("PushRetried", notification=sale, token=android_token, status=503)
    assert busy.delay >= 10, f"Retry-After: 10 must be honoured, waited {busy.delay}"
    sim.advance(busy.delay)

    for phone in (iphone, android):
        await sim.expect("NotificationDisplayed", notification=sale, phone=phone.phone_id)
    attempts = {
        d["platform"]: (d["http_status"], d["attempts"])
        for d in (await sim.notification(sale))["deliveries"]
    }
    assert attempts == {"android": (200, 3), "ios": (200, 2)}, attempts
    sim.expect_no("TokenPruned")
