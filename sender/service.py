"""The sender: registers devices, accepts notifications, and delivers them through APNs and FCM.

``submit`` persists a request and queues it; worker tasks resolve its audience (a user, a list of
users, a saved segment, everyone, or an FCM topic), send to every active token, record each
outcome, retry what is worth retrying and prune dead tokens. The decisions are in ``policy``, the
wire shapes in ``payloads``, batching of outcomes in ``recorder``; this module sequences them.

After a crash the store still holds every accepted notification that was not done; ``start``
resumes them and skips tokens that already have an outcome, so each push is sent at least once
(the pushes in flight and the outcomes not yet written may be sent twice).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass

from .apns_client import ApnsClient
from .clock import Clock
from .errors import InvalidInput, NotFound, ProviderAuthError, ProviderUnreachable
from .events import (
    Emit,
    EngagementRecorded,
    NotificationRequested,
    PushFailed,
    PushRetried,
    PushSent,
    TokenPruned,
    discard_event,
)
from .fcm_client import FcmClient
from .models import (
    Delivery,
    Device,
    EngagementEvent,
    Notification,
    NotificationRequest,
    Segment,
)
from .payloads import apns_push, encode, fcm_message
from .policy import AUTH_REASONS, RetryPolicy, Verdict, judge_apns, judge_fcm
from .recorder import DeliveryRecorder
from .stats import Stats
from .store import Store
from .validation import check_device, check_engagement, check_request, check_segment

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Attempt:
    verdict: Verdict
    status: int
    push_id: str | None
    reason: str | None
    retry_after: int | None = None


class SenderService:
    """The app server's core, independent of HTTP; ``create_app`` puts an API in front of it."""

    def __init__(
        self,
        store: Store,
        apns: ApnsClient | None,
        fcm: FcmClient | None,
        clock: Clock,
        emit: Emit = discard_event,
        *,
        retry: RetryPolicy | None = None,
        workers: int = 32,
        max_in_flight: int = 2000,
        rng: random.Random | None = None,
        recorder: DeliveryRecorder | None = None,
    ) -> None:
        """``max_in_flight`` bounds the pushes being sent at once (and so the duplicates a crash
        can cause); ``rng`` draws the retry jitter (seed it for reproducible runs)."""
        self.store = store
        self.apns = apns
        self.fcm = fcm
        self.clock = clock
        self._emit = emit
        self._retry = retry or RetryPolicy()
        self._rng = rng or random.Random()
        self._worker_count = workers
        self._slots = asyncio.Semaphore(max_in_flight)
        self.recorder = recorder or DeliveryRecorder(store)
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._done: dict[str, asyncio.Event] = {}

    # -- devices ------------------------------------------------------------------------------

    def register_device(
        self,
        token: str,
        platform: str,
        app_id: str,
        user_id: str,
        installation_id: str | None = None,
    ) -> tuple[Device, bool]:
        """Save a token an app handed over; returns the device and whether it was new.

        Re-registering a known token moves it to the given user and app, reactivates it and
        resets its registration time. A new token for a known ``installation_id`` (same app)
        replaces the installation's old token, which stops being used.
        """
        check_device(token, platform, app_id, user_id, installation_id)
        device = Device(
            token=token,
            platform=platform,  # type: ignore[arg-type]  # checked above
            app_id=app_id,
            user_id=user_id,
            registered_at=self.clock.now(),
            installation_id=installation_id,
        )
        created = self.store.upsert_device(device)
        for old in self.store.replace_installation(device):
            self._emit(
                TokenPruned(
                    at=device.registered_at,
                    token=old.token,
                    user_id=old.user_id,
                    app_id=old.app_id,
                    reason="replaced",
                )
            )
        return device, created

    def unregister_device(self, token: str) -> None:
        """Stop sending to ``token`` (raises ``NotFound`` for an unknown token)."""
        if not self.store.deactivate_device(token, "unregistered"):
            raise NotFound("device", token)

    def get_device(self, token: str) -> Device:
        device = self.store.get_device(token)
        if device is None:
            raise NotFound("device", token)
        return device

    def save_segment(self, segment: Segment) -> Segment:
        """Create or replace a saved audience."""
        check_segment(segment)
        self.store.save_segment(segment)
        return segment

    def get_segment(self, name: str) -> Segment:
        segment = self.store.get_segment(name)
        if segment is None:
            raise NotFound("segment", name)
        return segment

    # -- notifications ------------------------------------------------------------------------

    def submit(self, request: NotificationRequest) -> str:
        """Validate, persist (committed) and queue a notification; returns its id."""
        check_request(request)
        if request.segment is not None and self.store.get_segment(request.segment) is None:
            raise InvalidInput("segment", f"no segment named {request.segment!r}")
        now = self.clock.now()
        notification_id = str(uuid.uuid4())
        self.store.add_notification(
            Notification(id=notification_id, request=request, status="queued", created_at=now)
        )
        self._emit(
            NotificationRequested(
                at=now,
                notification_id=notification_id,
                user_id=request.user_id or "",
                kind=request.kind,
                target=_target(request),
            )
        )
        self._enqueue(notification_id)
        return notification_id

    def get_notification(self, notification_id: str) -> Notification:
        notification = self.store.get_notification(notification_id)
        if notification is None:
            raise NotFound("notification", notification_id)
        return notification

    def deliveries(self, notification_id: str) -> list[Delivery]:
        self.recorder.flush()
        return self.store.deliveries(notification_id)

    def stats(self, notification_id: str | None = None) -> Stats:
        """Counters over every notification, or over one."""
        if notification_id is not None:
            self.get_notification(notification_id)
        self.recorder.flush()
        raw = self.store.stats(notification_id)
        raw["auth_errors"] = sum(n for r, n in raw["failed"].items() if r in AUTH_REASONS)
        return Stats(**raw)

    async def wait(self, notification_id: str, timeout: float) -> bool:
        """Wait up to ``timeout`` real seconds until the notification is done; True if it is."""
        if self.get_notification(notification_id).status == "done":
            return True
        event = self._done.setdefault(notification_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def record_event(self, notification_id: str, token: str, event: str) -> EngagementEvent:
        """Store what the user did with a notification (``received``, ``opened``, ``dismissed``)."""
        check_engagement(token, event)
        self.get_notification(notification_id)
        record = EngagementEvent(
            notification_id=notification_id,
            token=token,
            event=event,  # type: ignore[arg-type]  # checked above
            at=self.clock.now(),
        )
        self.store.add_engagement(record)
        self._emit(
            EngagementRecorded(
                at=record.at, notification_id=notification_id, token=token, event=event
            )
        )
        return record

    # -- workers ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return bool(self._workers)

    async def start(self) -> None:
        """Start the workers and resume notifications a previous run left unfinished."""
        if self._workers:
            return
        for notification in self.store.unfinished_notifications():
            self._enqueue(notification.id)
        self._workers = [
            asyncio.create_task(self._work(), name=f"sender-worker-{i}")
            for i in range(self._worker_count)
        ]

    async def stop(self) -> None:
        """Stop the workers and save buffered outcomes; unfinished notifications stay queued
        in the store for the next start."""
        workers, self._workers = self._workers, []
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self.recorder.flush()

    def _enqueue(self, notification_id: str) -> None:
        if notification_id not in self._queued:
            self._queued.add(notification_id)
            self._queue.put_nowait(notification_id)

    async def _work(self) -> None:
        while True:
            notification_id = await self._queue.get()
            self._queued.discard(notification_id)
            try:
                await self._process(notification_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A bug must not leave the notification (and its waiters) hanging forever.
                log.exception("sending notification %s failed", notification_id)
                self.recorder.flush()
                self.store.set_status(notification_id, "done")
                self._finished(notification_id)

    async def _process(self, notification_id: str) -> None:
        notification = self.store.get_notification(notification_id)
        if notification is None or notification.status == "done":
            self._finished(notification_id)
            return
        self.store.set_status(notification_id, "sending")
        request = notification.request
        # After a restart, tokens that already have an outcome are not sent to again.
        done = self.store.delivered_tokens(notification_id)
        if request.topic is not None or request.condition is not None:
            if _target(request) not in done:
                await self._deliver_topic(notification)
        else:
            devices = [d for d in self._audience(request) if d.token not in done]
            await asyncio.gather(*(self._deliver(notification, d) for d in devices))
        self.recorder.flush()
        self.store.set_status(notification_id, "done")
        self._finished(notification_id)

    def _audience(self, request: NotificationRequest) -> list[Device]:
        if request.user_id is not None:
            return self.store.active_devices(request.user_id)
        if request.user_ids is not None:
            return self.store.find_devices(user_ids=request.user_ids)
        if request.segment is not None:
            segment = self.store.get_segment(request.segment)
            if segment is None:
                return []  # deleted since it was accepted: nobody to send to
            return self.store.find_devices(
                user_ids=segment.user_ids, platform=segment.platform, app_id=segment.app_id
            )
        return self.store.find_devices()

    def _finished(self, notification_id: str) -> None:
        event = self._done.pop(notification_id, None)
        if event is not None:
            event.set()

    async def _deliver(self, notification: Notification, device: Device) -> None:
        ttl = notification.request.ttl
        deadline = None if ttl is None else notification.created_at + ttl
        attempt = 0
        while True:
            attempt += 1
            async with self._slots:
                result = await self._attempt(notification, device)
            if result.verdict is not Verdict.RETRY:
                break
            delay = self._retry.delay(attempt, result.retry_after, self._rng.random())
            if delay is None or (deadline is not None and self.clock.now() + delay > deadline):
                break  # out of attempts, or the push would arrive after its TTL
            self._emit(
                PushRetried(
                    at=self.clock.now(),
                    notification_id=notification.id,
                    token=device.token,
                    status=result.status,
                    reason=result.reason or "",
                    delay=delay,
                )
            )
            await self.clock.sleep(delay)
        self._record(notification, device, result, attempt)

    async def _attempt(self, notification: Notification, device: Device) -> _Attempt:
        try:
            if device.platform == "ios":
                return await self._attempt_apns(notification, device)
            return await self._attempt_fcm(notification, device)
        except ProviderUnreachable as exc:
            log.warning("push to %s: %s", device.platform, exc)
            return _Attempt(Verdict.RETRY, 0, None, "ProviderUnreachable")
        except ProviderAuthError as exc:
            log.error("push to %s: credentials refused: %s", device.platform, exc)
            return _Attempt(Verdict.AUTH, 0, None, "ProviderAuthError")

    async def _attempt_apns(self, notification: Notification, device: Device) -> _Attempt:
        if self.apns is None:
            return _Attempt(Verdict.FAILED, 0, None, "ApnsNotConfigured")
        push = apns_push(notification.id, notification.request, device, self.clock.now())
        result = await self.apns.send_encoded(
            device.token, push.topic, push.headers, encode(push.payload)
        )
        registered_at = device.registered_at
        if result.status != 200:
            # Judge against the registration time now in the store: the app may have handed the
            # token over again while this push was in flight.
            registered_at = (self.store.get_device(device.token) or device).registered_at
        verdict = judge_apns(result.status, result.reason, result.timestamp_ms, registered_at)
        return _Attempt(verdict, result.status, result.apns_id, result.reason, result.retry_after)

    async def _attempt_fcm(self, notification: Notification, device: Device) -> _Attempt:
        if self.fcm is None:
            return _Attempt(Verdict.FAILED, 0, None, "FcmNotConfigured")
        message = fcm_message(notification.id, notification.request, device, now=self.clock.now())
        result = await self.fcm.send(message)
        verdict = judge_fcm(result.status, result.error_code)
        return _Attempt(verdict, result.status, result.name, result.error_code, result.retry_after)

    async def _deliver_topic(self, notification: Notification) -> None:
        # A topic or condition is one FCM message; FCM fans it out (reference/fcm.md §1.2).
        device = Device(
            token=_target(notification.request),
            platform="android",
            app_id="",
            user_id="",
            registered_at=0,
        )
        if self.fcm is None:
            self._record(
                notification, device, _Attempt(Verdict.FAILED, 0, None, "FcmNotConfigured"), 1
            )
            return
        request = notification.request
        attempt = 0
        while True:
            attempt += 1
            try:
                message = fcm_message(
                    notification.id,
                    request,
                    None,
                    topic=request.topic,
                    condition=request.condition,
                    now=self.clock.now(),
                )
                answer = await self.fcm.send(message)
                verdict = judge_fcm(answer.status, answer.error_code)
                # A topic is not a token: nothing to prune.
                verdict = Verdict.FAILED if verdict is Verdict.PRUNE else verdict
                result = _Attempt(
                    verdict, answer.status, answer.name, answer.error_code, answer.retry_after
                )
            except ProviderUnreachable:
                result = _Attempt(Verdict.RETRY, 0, None, "ProviderUnreachable")
            except ProviderAuthError:
                result = _Attempt(Verdict.AUTH, 0, None, "ProviderAuthError")
            delay = self._retry.delay(attempt, result.retry_after, self._rng.random())
            if result.verdict is not Verdict.RETRY or delay is None:
                break
            await self.clock.sleep(delay)
        self._record(notification, device, result, attempt)

    def _record(
        self, notification: Notification, device: Device, result: _Attempt, attempts: int
    ) -> None:
        now = self.clock.now()
        accepted = result.verdict is Verdict.ACCEPTED
        reason = None if accepted else (result.reason or f"HTTP {result.status}")
        self.recorder.add(
            Delivery(
                notification_id=notification.id,
                token=device.token,
                platform=device.platform,
                outcome="accepted" if accepted else "failed",
                push_id=result.push_id,
                http_status=result.status,
                reason=reason,
                at=now,
                attempts=attempts,
            )
        )
        if accepted:
            self._emit(
                PushSent(
                    at=now,
                    notification_id=notification.id,
                    user_id=device.user_id,
                    token=device.token,
                    app_id=device.app_id,
                    platform=device.platform,
                    push_id=result.push_id or "",
                )
            )
            return
        if result.verdict is Verdict.AUTH:
            # The sender's credentials are at fault: say so loudly, keep the token.
            log.error(
                "%s refused our credentials (%s %s); token kept",
                "APNs" if device.platform == "ios" else "FCM",
                result.status,
                reason,
            )
        self._emit(
            PushFailed(
                at=now,
                notification_id=notification.id,
                user_id=device.user_id,
                token=device.token,
                app_id=device.app_id,
                platform=device.platform,
                push_id=result.push_id,
                status=result.status,
                reason=reason or "",
            )
        )
        if result.verdict is Verdict.PRUNE:
            self._prune(notification, device, reason or "")

    def _prune(self, notification: Notification, device: Device, reason: str) -> None:
        current = self.store.get_device(device.token)
        if current is None or not current.active or current.registered_at > device.registered_at:
            return  # already gone, or handed over again since this send started
        self.store.deactivate_device(device.token, reason)
        self._emit(
            TokenPruned(
                at=self.clock.now(),
                token=device.token,
                user_id=device.user_id,
                app_id=device.app_id,
                reason=reason,
                notification_id=notification.id,
            )
        )


def _target(request: NotificationRequest) -> str:
    if request.user_id is not None:
        return f"user:{request.user_id}"
    if request.user_ids is not None:
        return f"users:{len(request.user_ids)}"
    if request.segment is not None:
        return f"segment:{request.segment}"
    if request.topic is not None:
        return f"topic:{request.topic}"
    if request.condition is not None:
        return f"condition:{request.condition}"
    return "everyone"
