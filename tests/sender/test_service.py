"""SenderService with scripted providers: delivery, pruning, retries, wait()."""

from __future__ import annotations

import json

import httpx
import pytest

from sender import (
    ApnsClient,
    NotificationRequest,
    PushSent,
    SenderService,
    SqliteStore,
    TokenPruned,
)
from sender.errors import InvalidInput, NotFound
from sender.events import EngagementRecorded, PushFailed, PushRetried, SenderEvent

from .conftest import ManualClock, Script, apns_error, fcm_error

IOS = "ab" * 32
ANDROID = "fcm-token:APA91bXYZ"
ALERT = NotificationRequest(user_id="u1", title="Hello", body="World", data={"k": "v"})


async def _send(service: SenderService, request: NotificationRequest = ALERT) -> str:
    notification_id = service.submit(request)
    assert await service.wait(notification_id, timeout=5)
    return notification_id


def _of(events: list[SenderEvent], kind: type[SenderEvent]) -> list[SenderEvent]:
    return [e for e in events if isinstance(e, kind)]


async def test_alert_reaches_every_active_device(
    service: SenderService, apns_script: Script, fcm_script: Script, events: list[SenderEvent]
) -> None:
    """A notification goes to each active token of the user, by platform, and is recorded."""
    service.register_device(IOS, "ios", "com.example", "u1")
    service.register_device(ANDROID, "android", "com.example.android", "u1")
    service.register_device("cd" * 32, "ios", "com.example", "someone-else")
    nid = await _send(service)
    assert service.get_notification(nid).status == "done"
    (apns_request,) = apns_script.requests
    (fcm_request,) = fcm_script.requests
    assert apns_request.url.path == f"/3/device/{IOS}"
    assert json.loads(apns_request.content)["notification_id"] == nid
    assert json.loads(fcm_request.content)["message"]["data"]["notification_id"] == nid
    deliveries = {d.token: d for d in service.deliveries(nid)}
    assert deliveries[IOS].outcome == deliveries[ANDROID].outcome == "accepted"
    assert deliveries[IOS].push_id == apns_request.headers["apns-id"]
    assert deliveries[ANDROID].push_id and deliveries[ANDROID].push_id.startswith("projects/")
    assert {e.token for e in _of(events, PushSent)} == {IOS, ANDROID}  # type: ignore[attr-defined]


async def test_unregistered_token_is_not_sent_to(
    service: SenderService, apns_script: Script
) -> None:
    """A token the app unregistered gets no pushes."""
    service.register_device(IOS, "ios", "com.example", "u1")
    service.unregister_device(IOS)
    nid = await _send(service)
    assert apns_script.requests == []
    assert service.deliveries(nid) == []


async def test_unregistering_unknown_token_raises(service: SenderService) -> None:
    """Unregistering a token the sender never saw raises NotFound."""
    with pytest.raises(NotFound):
        service.unregister_device(IOS)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(410, "Unregistered"), (400, "BadDeviceToken"), (400, "DeviceTokenNotForTopic")],
)
async def test_dead_apns_token_is_pruned(
    service: SenderService,
    apns_script: Script,
    events: list[SenderEvent],
    status: int,
    reason: str,
) -> None:
    """APNs 410 Unregistered, 400 BadDeviceToken and DeviceTokenNotForTopic deactivate the token."""
    service.register_device(IOS, "ios", "com.example", "u1")
    apns_script.answer(IOS, apns_error(status, reason))
    nid = await _send(service)
    assert service.get_device(IOS).active is False
    (pruned,) = _of(events, TokenPruned)
    assert (pruned.token, pruned.reason, pruned.notification_id) == (IOS, reason, nid)  # type: ignore[attr-defined]
    (delivery,) = service.deliveries(nid)
    assert (delivery.outcome, delivery.http_status, delivery.reason) == ("failed", status, reason)


async def test_410_older_than_registration_does_not_prune(
    service: SenderService, apns_script: Script, clock: ManualClock, events: list[SenderEvent]
) -> None:
    """A 410 whose timestamp predates the token's (re-)registration leaves the token active."""
    invalidated_ms = int(clock.now() * 1000)
    clock.advance(60)
    service.register_device(IOS, "ios", "com.example", "u1")
    apns_script.answer(IOS, apns_error(410, "Unregistered", timestamp=invalidated_ms))
    nid = await _send(service)
    assert service.get_device(IOS).active is True
    assert _of(events, TokenPruned) == []
    assert service.deliveries(nid)[0].outcome == "failed"


async def test_410_newer_than_registration_prunes(
    service: SenderService, apns_script: Script, clock: ManualClock
) -> None:
    """A 410 whose timestamp follows the token's registration deactivates it."""
    service.register_device(IOS, "ios", "com.example", "u1")
    clock.advance(60)
    apns_script.answer(IOS, apns_error(410, "Unregistered", timestamp=int(clock.now() * 1000)))
    await _send(service)
    assert service.get_device(IOS).active is False


async def test_fcm_unregistered_is_pruned(
    service: SenderService, fcm_script: Script, events: list[SenderEvent]
) -> None:
    """FCM 404 UNREGISTERED deactivates the token."""
    service.register_device(ANDROID, "android", "com.example", "u1")
    fcm_script.answer(ANDROID, fcm_error(404, "NOT_FOUND", "UNREGISTERED"))
    await _send(service)
    assert service.get_device(ANDROID).active is False
    assert [e.reason for e in _of(events, TokenPruned)] == ["UNREGISTERED"]  # type: ignore[attr-defined]


async def test_other_errors_keep_the_token(service: SenderService, apns_script: Script) -> None:
    """A refusal that says nothing about the token (400 BadTopic) fails once and keeps it."""
    service.register_device(IOS, "ios", "com.example", "u1")
    apns_script.answer(IOS, apns_error(400, "BadTopic"))
    nid = await _send(service)
    assert service.get_device(IOS).active is True
    assert len(apns_script.requests) == 1
    assert service.deliveries(nid)[0].reason == "BadTopic"


async def test_an_unexpected_error_still_records_an_outcome(
    service: SenderService, apns: ApnsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push whose attempt raises something unforeseen (a bug) is recorded as failed, named
    after the error, and keeps its token: the notification never ends with a push missing."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    service.register_device(IOS, "ios", "com.example", "u1")
    monkeypatch.setattr(apns, "send_encoded", broken)
    nid = await _send(service)
    (delivery,) = service.deliveries(nid)
    assert (delivery.outcome, delivery.reason) == ("failed", "RuntimeError")
    assert service.get_device(IOS).active is True


async def test_retry_after_is_honoured(
    service: SenderService, fcm_script: Script, clock: ManualClock, events: list[SenderEvent]
) -> None:
    """A 503 with Retry-After: 7 is retried after sleeping exactly 7 s on the clock."""
    service.register_device(ANDROID, "android", "com.example", "u1")
    fcm_script.answer(
        ANDROID,
        fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", headers={"Retry-After": "7"}),
        httpx.Response(200, json={"name": "projects/p/messages/2"}),
    )
    nid = await _send(service)
    assert clock.sleeps == [7.0]
    assert service.deliveries(nid)[0].outcome == "accepted"
    assert [e.delay for e in _of(events, PushRetried)] == [7.0]  # type: ignore[attr-defined]


async def test_retries_back_off_and_are_bounded(
    service: SenderService, apns_script: Script, clock: ManualClock, events: list[SenderEvent]
) -> None:
    """Without Retry-After, 5xx is retried with doubling delays, then recorded as failed."""
    service.register_device(IOS, "ios", "com.example", "u1")
    apns_script.answer(IOS, apns_error(503, "ServiceUnavailable"))
    nid = await _send(service)
    assert clock.sleeps == [1.0, 2.0]
    assert len(apns_script.requests) == 3
    assert service.deliveries(nid)[0].reason == "ServiceUnavailable"
    assert len(_of(events, PushFailed)) == 1


async def test_wait_times_out_when_not_done(store: SqliteStore, clock: ManualClock) -> None:
    """wait() returns False when the notification is not done within the timeout."""
    service = SenderService(store, None, None, clock)
    nid = service.submit(ALERT)
    assert await service.wait(nid, timeout=0.01) is False


async def test_wait_unknown_notification_raises(service: SenderService) -> None:
    """wait() on an id the sender never issued raises NotFound."""
    with pytest.raises(NotFound):
        await service.wait("nope", timeout=0.01)


async def test_unfinished_notifications_resume_on_start(
    store: SqliteStore, clock: ManualClock, apns: object, fcm: object, apns_script: Script
) -> None:
    """A notification accepted before the workers started is sent once they start."""
    service = SenderService(store, apns, fcm, clock)  # type: ignore[arg-type]
    service.register_device(IOS, "ios", "com.example", "u1")
    nid = service.submit(ALERT)
    restarted = SenderService(store, apns, fcm, clock)  # type: ignore[arg-type]
    await restarted.start()
    try:
        assert await restarted.wait(nid, timeout=5)
    finally:
        await restarted.stop()
    assert len(apns_script.requests) == 1


async def test_reregistering_updates_owner(service: SenderService, clock: ManualClock) -> None:
    """Registering a known token again moves it to the new user and app and reactivates it."""
    _, created = service.register_device(IOS, "ios", "com.a", "u1")
    service.unregister_device(IOS)
    clock.advance(5)
    device, created_again = service.register_device(IOS, "ios", "com.b", "u2")
    assert (created, created_again) == (True, False)
    assert service.get_device(IOS) == device
    assert (device.user_id, device.app_id, device.active, device.registered_at) == (
        "u2",
        "com.b",
        True,
        clock.now(),
    )


async def test_invalid_request_is_refused(service: SenderService) -> None:
    """An alert with neither title nor body is refused before it is stored."""
    with pytest.raises(InvalidInput) as info:
        service.submit(NotificationRequest(user_id="u1", kind="alert"))
    assert info.value.field == "title"
    assert service.store.unfinished_notifications() == []


async def test_engagement_is_recorded(service: SenderService, events: list[SenderEvent]) -> None:
    """record_event stores the event and emits EngagementRecorded; unknown ids raise NotFound."""
    nid = await _send(service)
    service.record_event(nid, IOS, "opened")
    assert [e.event for e in service.store.engagements(nid)] == ["opened"]
    assert len(_of(events, EngagementRecorded)) == 1
    with pytest.raises(NotFound):
        service.record_event("nope", IOS, "opened")


async def test_a_batch_the_store_could_not_finish_is_finished_at_the_next_heartbeat(
    store: SqliteStore, clock: ManualClock, apns: object, fcm: object
) -> None:
    """When marking a sent batch finished fails (the database restarting), the next heartbeat
    finishes it: the notification ends done and its waiters are woken."""
    service = SenderService(store, apns, fcm, clock, lease=0.03)  # type: ignore[arg-type]
    service.register_device(IOS, "ios", "com.example", "u1")
    finish = store.finish_batch
    failures = [RuntimeError("the database is restarting")]

    def flaky_finish(notification_id: str, seq: int) -> bool:
        if failures:
            raise failures.pop()
        return finish(notification_id, seq)

    store.finish_batch = flaky_finish  # type: ignore[method-assign]
    await service.start()
    try:
        nid = service.submit(ALERT)
        assert await service.wait(nid, timeout=5)
    finally:
        await service.stop()
    assert failures == [] and service.get_notification(nid).status == "done"
