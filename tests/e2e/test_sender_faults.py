"""The sender against fakes on a bad day: 503/429 with Retry-After on 20% of requests, GOAWAYs."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fakeproviders.ca import LocalCA
from fakeproviders.faults import Fault
from sender import ApnsClient, FcmClient, SenderService, SqliteStore, SystemClock
from sender.events import PushRetried, SenderEvent
from sender.models import NotificationRequest
from sender.policy import RetryPolicy
from tests.sender.providers import APP_ID, Providers, running_providers

DEVICES = 400
POLICY = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.5, jitter=0.5)


@asynccontextmanager
async def _sender(
    providers: Providers, folder: Path, events: list[SenderEvent]
) -> AsyncIterator[SenderService]:
    clock = SystemClock()
    store = SqliteStore(folder / "sender.sqlite3")
    apns = ApnsClient(
        providers.apns.url,
        providers.key.team_id,
        providers.key.key_id,
        providers.key.private_key_pem,
        providers.ca_file,
        clock,
    )
    fcm = FcmClient(providers.fcm.url, providers.account_path, providers.ca_file, clock)
    service = SenderService(
        store, apns, fcm, clock, events.append, retry=POLICY, rng=random.Random(6)
    )
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
        await apns.aclose()
        await fcm.aclose()
        store.close()


async def test_retryable_faults_and_goaway_storms_deliver_every_push_once(
    ca: LocalCA, tmp_path: Path
) -> None:
    """With every 4th token answered 503 or 429 + Retry-After once (20% of requests) and GOAWAY
    storms on APNs, each device gets its push exactly once, retried once after Retry-After."""
    events: list[SenderEvent] = []
    async with (
        running_providers(ca, tmp_path) as providers,
        _sender(providers, tmp_path, events) as service,
    ):
        tokens: dict[str, str] = {}
        for i in range(DEVICES):
            platform = "ios" if i % 2 else "android"
            token = providers.ios_token() if platform == "ios" else providers.android_token()
            tokens[token] = platform
            service.register_device(token, platform, APP_ID, f"user-{i}")
        faulted = set(list(tokens)[::4])
        for n, token in enumerate(faulted):
            busy = n % 2 == 0
            if tokens[token] == "ios":
                reason = "ServiceUnavailable" if busy else "TooManyRequests"
                providers.apns.faults.add(
                    Fault(
                        status=503 if busy else 429,
                        reason=reason,
                        retry_after=1,
                        token=token,
                        times=1,
                    )
                )
            else:
                reason = "UNAVAILABLE" if busy else "QUOTA_EXCEEDED"
                providers.fcm.faults.add(
                    Fault(
                        status=503 if busy else 429,
                        reason=reason,
                        retry_after=1,
                        token=token,
                        times=1,
                    )
                )
        # The storm: the next 25 APNs answers each end their connection with GOAWAY.
        providers.apns.faults.add(Fault(goaway=True, times=25))

        notification_id = service.submit(
            NotificationRequest(everyone=True, title="Flash sale", body="Now")
        )
        assert await service.wait(notification_id, timeout=30)
        deliveries = {d.token: d for d in service.deliveries(notification_id)}
        apns_pool = service.apns.pool if service.apns else None

    assert set(deliveries) == set(tokens)
    assert {d.outcome for d in deliveries.values()} == {"accepted"}
    assert providers.accepted == {token: 1 for token in tokens}, "exactly once per device"
    assert {t for t, d in deliveries.items() if d.attempts == 2} == faulted
    assert {t for t, d in deliveries.items() if d.attempts == 1} == set(tokens) - faulted
    retried = [e for e in events if isinstance(e, PushRetried)]
    assert sorted(e.token for e in retried) == sorted(faulted)
    assert {e.delay for e in retried} == {1.0}, "Retry-After is honoured as given"
    assert apns_pool is not None and apns_pool.goaways >= 10
    assert apns_pool.connections_opened > apns_pool.goaways, "a new connection after each GOAWAY"
