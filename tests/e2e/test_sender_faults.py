"""The sender against fakes on a bad day: 503/429 with Retry-After on 20% of requests, GOAWAYs.

On SQLite one sender sends; on PostgreSQL two instances share the campaign.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fakeproviders.ca import LocalCA
from fakeproviders.faults import Fault
from sender import ApnsClient, FcmClient, SenderService, SystemClock, open_store
from sender.events import PushRetried, SenderEvent
from sender.models import NotificationRequest
from sender.policy import RetryPolicy
from tests.sender.providers import APP_ID, Providers, running_providers

DEVICES = 400
POLICY = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.5, jitter=0.5)


@asynccontextmanager
async def _sender(
    providers: Providers, database: str, events: list[SenderEvent]
) -> AsyncIterator[SenderService]:
    clock = SystemClock()
    store = open_store(database)
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
        store,
        apns,
        fcm,
        clock,
        events.append,
        retry=POLICY,
        rng=random.Random(6),
        # A window smaller than the campaign, so that two instances share it (in batches of 25).
        max_in_flight=100,
        poll_interval=0.05,
    )
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
        await apns.aclose()
        await fcm.aclose()
        store.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
async def test_retryable_faults_and_goaway_storms_deliver_every_push_once(
    engine: str, ca: LocalCA, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """With every 4th token answered 503 or 429 + Retry-After once (20% of requests) and GOAWAY
    storms on APNs, each device gets its push exactly once, retried once after Retry-After,
    also when two instances on one PostgreSQL database share the campaign."""
    events: list[SenderEvent] = []
    if engine == "sqlite":
        database, instances = str(tmp_path / "sender.sqlite3"), 1
    else:
        database, instances = request.getfixturevalue("postgres_url"), 2
    async with (
        running_providers(ca, tmp_path) as providers,
        contextlib.AsyncExitStack() as stack,
    ):
        senders = [
            await stack.enter_async_context(_sender(providers, database, events))
            for _ in range(instances)
        ]
        service = senders[0]
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
        for sender in senders:
            assert await sender.wait(notification_id, timeout=30)
        deliveries = {d.token: d for d in service.deliveries(notification_id)}
        pools = [sender.apns.pool for sender in senders if sender.apns]
        claimed = [sender.work.claimed for sender in senders]

    assert set(deliveries) == set(tokens)
    assert {d.outcome for d in deliveries.values()} == {"accepted"}
    assert providers.accepted == {token: 1 for token in tokens}, "exactly once per device"
    assert {t for t, d in deliveries.items() if d.attempts == 2} == faulted
    assert {t for t, d in deliveries.items() if d.attempts == 1} == set(tokens) - faulted
    retried = [e for e in events if isinstance(e, PushRetried)]
    assert sorted(e.token for e in retried) == sorted(faulted)
    assert {e.delay for e in retried} == {1.0}, "Retry-After is honoured as given"
    assert all(claimed), f"every instance sent a share of the campaign: {claimed}"
    assert sum(pool.goaways for pool in pools) >= 10
    for pool in pools:
        assert pool.connections_opened > pool.goaways, "a new connection after each GOAWAY"
