"""SenderService audiences, installations, stats, auth errors and retry bounds."""

from __future__ import annotations

import json
import random

import httpx
import pytest

from sender import NotificationRequest, SenderService, SqliteStore
from sender.errors import InvalidInput
from sender.events import PushRetried, SenderEvent, TokenPruned
from sender.models import Segment
from sender.policy import RetryPolicy

from .conftest import ManualClock, Script, apns_error, fcm_error

IOS = ["a1" * 32, "b2" * 32, "c3" * 32]
ANDROID = ["fcm-1:APA91b", "fcm-2:APA91b"]


async def _send(service: SenderService, request: NotificationRequest) -> str:
    notification_id = service.submit(request)
    assert await service.wait(notification_id, timeout=5)
    return notification_id


def _fleet(service: SenderService) -> None:
    service.register_device(IOS[0], "ios", "com.a", "alice")
    service.register_device(IOS[1], "ios", "com.b", "bob")
    service.register_device(IOS[2], "ios", "com.a", "carol")
    service.register_device(ANDROID[0], "android", "com.a", "alice")
    service.register_device(ANDROID[1], "android", "com.a", "dave")


def _sent(apns_script: Script, fcm_script: Script) -> set[str]:
    ios = {r.url.path.rsplit("/", 1)[-1] for r in apns_script.requests}
    return ios | {json.loads(r.content)["message"]["token"] for r in fcm_script.requests}


async def test_user_list_reaches_those_users(
    service: SenderService, apns_script: Script, fcm_script: Script
) -> None:
    """``user_ids`` sends to every active device of each listed user, and no one else."""
    _fleet(service)
    await _send(service, NotificationRequest(user_ids=["alice", "bob"], title="Hi"))
    assert _sent(apns_script, fcm_script) == {IOS[0], IOS[1], ANDROID[0]}


async def test_everyone_reaches_every_active_device(
    service: SenderService, apns_script: Script, fcm_script: Script
) -> None:
    """``everyone`` sends to all active devices, skipping unregistered ones."""
    _fleet(service)
    service.unregister_device(IOS[2])
    nid = await _send(service, NotificationRequest(everyone=True, title="Hi"))
    assert _sent(apns_script, fcm_script) == {IOS[0], IOS[1], ANDROID[0], ANDROID[1]}
    assert len(service.deliveries(nid)) == 4


async def test_segment_filters_by_platform_and_app(
    service: SenderService, apns_script: Script, fcm_script: Script
) -> None:
    """A saved segment sends to active devices matching all its criteria."""
    _fleet(service)
    service.save_segment(Segment(name="ios-a", platform="ios", app_id="com.a"))
    await _send(service, NotificationRequest(segment="ios-a", title="Hi"))
    assert _sent(apns_script, fcm_script) == {IOS[0], IOS[2]}


async def test_unknown_segment_is_refused(service: SenderService) -> None:
    """A notification to a segment that was never saved is refused before it is stored."""
    with pytest.raises(InvalidInput) as info:
        service.submit(NotificationRequest(segment="nope", title="Hi"))
    assert info.value.field == "segment"


async def test_topic_is_one_fcm_message(
    service: SenderService, apns_script: Script, fcm_script: Script
) -> None:
    """A topic notification is a single FCM message to the topic, recorded as one outcome."""
    _fleet(service)
    nid = await _send(service, NotificationRequest(topic="news", title="Hi"))
    assert apns_script.requests == []
    (request,) = fcm_script.requests
    assert json.loads(request.content)["message"]["topic"] == "news"
    (delivery,) = service.deliveries(nid)
    assert (delivery.token, delivery.outcome) == ("topic:news", "accepted")


async def test_condition_is_one_fcm_message(
    service: SenderService, apns_script: Script, fcm_script: Script
) -> None:
    """A condition notification is a single FCM message with that condition (FCM fans it out)."""
    _fleet(service)
    condition = "'news' in topics && ('sport' in topics || 'tv' in topics)"
    nid = await _send(service, NotificationRequest(condition=condition, title="Hi"))
    assert apns_script.requests == []
    (request,) = fcm_script.requests
    message = json.loads(request.content)["message"]
    assert message["condition"] == condition and "topic" not in message
    (delivery,) = service.deliveries(nid)
    assert (delivery.token, delivery.outcome) == (f"condition:{condition}", "accepted")


async def test_new_token_replaces_the_installations_old_one(
    service: SenderService, apns_script: Script, events: list[SenderEvent]
) -> None:
    """A new token for the same installation and app deactivates the old token ("replaced")."""
    service.register_device(IOS[0], "ios", "com.a", "alice", installation_id="install-1")
    service.register_device(IOS[1], "ios", "com.a", "alice", installation_id="install-1")
    assert service.get_device(IOS[0]).active is False
    assert service.get_device(IOS[0]).inactive_reason == "replaced"
    await _send(service, NotificationRequest(user_id="alice", title="Hi"))
    assert [r.url.path.rsplit("/", 1)[-1] for r in apns_script.requests] == [IOS[1]]
    assert [(e.token, e.reason) for e in events if isinstance(e, TokenPruned)] == [  # type: ignore[attr-defined]
        (IOS[0], "replaced")
    ]


async def test_same_token_again_is_idempotent(service: SenderService) -> None:
    """Registering the same token twice keeps one active device (created only the first time)."""
    _, first = service.register_device(IOS[0], "ios", "com.a", "alice", installation_id="i")
    _, second = service.register_device(IOS[0], "ios", "com.a", "alice", installation_id="i")
    assert (first, second) == (True, False)
    assert service.get_device(IOS[0]).active is True


async def test_auth_errors_keep_the_token_and_are_counted(
    service: SenderService, apns_script: Script, fcm_script: Script
) -> None:
    """APNs InvalidProviderToken and FCM THIRD_PARTY_AUTH_ERROR fail, keep tokens, count as auth."""
    service.register_device(IOS[0], "ios", "com.a", "alice")
    service.register_device(ANDROID[0], "android", "com.a", "alice")
    apns_script.answer(IOS[0], apns_error(403, "InvalidProviderToken"))
    fcm_script.answer(ANDROID[0], fcm_error(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"))
    await _send(service, NotificationRequest(user_id="alice", title="Hi"))
    assert service.get_device(IOS[0]).active and service.get_device(ANDROID[0]).active
    stats = service.stats()
    assert stats.auth_errors == 2
    assert stats.failed == {"InvalidProviderToken": 1, "THIRD_PARTY_AUTH_ERROR": 1}


async def test_stats_count_outcomes_and_engagement(
    service: SenderService, apns_script: Script, clock: ManualClock
) -> None:
    """Stats count requested, sent, accepted, failed by reason, pruned, opened and the open rate."""
    _fleet(service)
    apns_script.answer(IOS[1], apns_error(410, "Unregistered", timestamp=int(clock.now() * 1000)))
    nid = await _send(service, NotificationRequest(everyone=True, title="Hi"))
    service.record_event(nid, IOS[0], "received")
    service.record_event(nid, IOS[0], "opened")
    service.record_event(nid, IOS[0], "opened")  # reported twice, counted once
    service.record_event(nid, IOS[2], "dismissed")
    stats = service.stats()
    assert (stats.requested, stats.sent, stats.accepted) == (1, 5, 4)
    assert stats.failed == {"Unregistered": 1}
    assert (stats.tokens_pruned, stats.tokens_pruned_by_reason) == (1, {"Unregistered": 1})
    assert (stats.received, stats.opened, stats.dismissed) == (1, 1, 1)
    assert stats.open_rate == 0.25
    assert service.stats(nid).accepted == 4


async def test_unreachable_provider_is_retried(
    store: SqliteStore, apns: object, fcm: object, clock: ManualClock, ec_pem: bytes
) -> None:
    """No answer at all (connection refused) is retried like a 503, then recorded as failed."""
    from sender import ApnsClient

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = ApnsClient(
        "https://apns.test", "T", "K", ec_pem, None, clock, transport=httpx.MockTransport(refuse)
    )
    service = SenderService(store, client, None, clock, retry=RetryPolicy(max_attempts=3, jitter=0))
    await service.start()
    try:
        service.register_device(IOS[0], "ios", "com.a", "alice")
        nid = await _send(service, NotificationRequest(user_id="alice", title="Hi"))
    finally:
        await service.stop()
        await client.aclose()
    (delivery,) = service.deliveries(nid)
    assert (delivery.reason, delivery.http_status, delivery.attempts) == (
        "ProviderUnreachable",
        0,
        3,
    )
    assert clock.sleeps == [1.0, 2.0]


async def test_retries_stop_at_the_ttl(
    service: SenderService, apns_script: Script, clock: ManualClock, events: list[SenderEvent]
) -> None:
    """A retry that would happen after the notification's TTL is not made."""
    service.register_device(IOS[0], "ios", "com.a", "alice")
    apns_script.answer(IOS[0], apns_error(503, "ServiceUnavailable"))
    await _send(service, NotificationRequest(user_id="alice", title="Hi", ttl=1))
    assert clock.sleeps == [1.0]  # the second retry (2 s later) would be past the TTL
    assert len(apns_script.requests) == 2


async def test_jitter_spreads_backoff_within_bounds(
    store: SqliteStore, apns: object, clock: ManualClock, apns_script: Script
) -> None:
    """With jitter 0.5 each backoff lies between half and all of the doubling delay."""
    policy = RetryPolicy(max_attempts=4, base_delay=2.0, jitter=0.5)
    service = SenderService(store, apns, None, clock, retry=policy, rng=random.Random(3))  # type: ignore[arg-type]
    await service.start()
    try:
        service.register_device(IOS[0], "ios", "com.a", "alice")
        apns_script.answer(IOS[0], apns_error(500, "InternalServerError"))
        await _send(service, NotificationRequest(user_id="alice", title="Hi"))
    finally:
        await service.stop()
    assert len(clock.sleeps) == 3
    for sleep, full in zip(clock.sleeps, (2.0, 4.0, 8.0), strict=True):
        assert full / 2 <= sleep <= full
    assert len(set(clock.sleeps)) == 3


async def test_retry_events_carry_the_delay(
    service: SenderService, fcm_script: Script, events: list[SenderEvent]
) -> None:
    """QUOTA_EXCEEDED with Retry-After: 30 emits PushRetried with delay 30."""
    service.register_device(ANDROID[0], "android", "com.a", "alice")
    fcm_script.answer(
        ANDROID[0],
        fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", headers={"Retry-After": "30"}),
        httpx.Response(200, json={"name": "projects/p/messages/1"}),
    )
    await _send(service, NotificationRequest(user_id="alice", title="Hi"))
    assert [e.delay for e in events if isinstance(e, PushRetried)] == [30.0]  # type: ignore[attr-defined]
