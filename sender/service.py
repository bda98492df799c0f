"""The sender: registers devices, accepts notifications, and delivers them through APNs and FCM.

``submit`` persists a request and queues it; worker tasks send it to every active token of the
user, record each delivery, retry what is worth retrying and prune dead tokens. The decisions are
in ``policy`` and the wire shapes in ``payloads``; this module only sequences them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from .apns_client import ApnsClient
from .clock import Clock
from .errors import NotFound, ProviderAuthError, ProviderUnreachable
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
from .models import Delivery, Device, EngagementEvent, Notification, NotificationRequest
from .payloads import apns_push, fcm_message
from .policy import RetryPolicy, Verdict, judge_apns, judge_fcm
from .store import Store
from .validation import check_device, check_engagement, check_request

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
    ) -> None:
        self.store = store
        self.apns = apns
        self.fcm = fcm
        self.clock = clock
        self._emit = emit
        self._retry = retry or RetryPolicy()
        self._worker_count = workers
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._done: dict[str, asyncio.Event] = {}

    # -- devices ------------------------------------------------------------------------------

    def register_device(
        self, token: str, platform: str, app_id: str, user_id: str
    ) -> tuple[Device, bool]:
        """Save a token an app handed over; returns the device and whether it was new.

        Re-registering a known token moves it to the given user and app, reactivates it and
        resets its registration time.
        """
        check_device(token, platform, app_id, user_id)
        device = Device(
            token=token,
            platform=platform,  # type: ignore[arg-type]  # checked above
            app_id=app_id,
            user_id=user_id,
            registered_at=self.clock.now(),
        )
        created = self.store.upsert_device(device)
        return device, created

    def unregister_device(self, token: str) -> None:
        """Stop sending to ``token`` (raises ``NotFound`` for an unknown token)."""
        if not self.store.deactivate_device(token):
            raise NotFound("device", token)

    def get_device(self, token: str) -> Device:
        device = self.store.get_device(token)
        if device is None:
            raise NotFound("device", token)
        return device

    # -- notifications ------------------------------------------------------------------------

    def submit(self, request: NotificationRequest) -> str:
        """Validate, persist (committed) and queue a notification; returns its id."""
        check_request(request)
        now = self.clock.now()
        notification_id = str(uuid.uuid4())
        self.store.add_notification(
            Notification(id=notification_id, request=request, status="queued", created_at=now)
        )
        self._emit(
            NotificationRequested(
                at=now, notification_id=notification_id, user_id=request.user_id, kind=request.kind
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
        return self.store.deliveries(notification_id)

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
        """Stop the workers; unfinished notifications stay in the store for the next start."""
        workers, self._workers = self._workers, []
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

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
                self.store.set_status(notification_id, "done")
                self._finished(notification_id)

    async def _process(self, notification_id: str) -> None:
        notification = self.store.get_notification(notification_id)
        if notification is None or notification.status == "done":
            self._finished(notification_id)
            return
        self.store.set_status(notification_id, "sending")
        # After a restart, tokens that already have an outcome are not sent to again.
        done = {delivery.token for delivery in self.store.deliveries(notification_id)}
        devices = self.store.active_devices(notification.request.user_id)
        await asyncio.gather(
            *(self._deliver(notification, d) for d in devices if d.token not in done)
        )
        self.store.set_status(notification_id, "done")
        self._finished(notification_id)

    def _finished(self, notification_id: str) -> None:
        event = self._done.pop(notification_id, None)
        if event is not None:
            event.set()

    async def _deliver(self, notification: Notification, device: Device) -> None:
        attempt = 0
        while True:
            attempt += 1
            result = await self._attempt(notification, device)
            if result.verdict is not Verdict.RETRY:
                break
            delay = self._retry.delay(attempt, result.retry_after)
            if delay is None:
                break
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
        self._record(notification, device, result)

    async def _attempt(self, notification: Notification, device: Device) -> _Attempt:
        try:
            if device.platform == "ios":
                return await self._attempt_apns(notification, device)
            return await self._attempt_fcm(notification, device)
        except ProviderUnreachable:
            return _Attempt(Verdict.RETRY, 0, None, "ProviderUnreachable")
        except ProviderAuthError:
            return _Attempt(Verdict.FAILED, 0, None, "ProviderAuthError")

    async def _attempt_apns(self, notification: Notification, device: Device) -> _Attempt:
        if self.apns is None:
            return _Attempt(Verdict.FAILED, 0, None, "ApnsNotConfigured")
        push = apns_push(notification.id, notification.request, device, self.clock.now())
        result = await self.apns.send(device.token, push.topic, push.headers, push.payload)
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
        result = await self.fcm.send(fcm_message(notification.id, notification.request, device))
        verdict = judge_fcm(result.status, result.error_code)
        return _Attempt(verdict, result.status, result.name, result.error_code, result.retry_after)

    def _record(self, notification: Notification, device: Device, result: _Attempt) -> None:
        now = self.clock.now()
        accepted = result.verdict is Verdict.ACCEPTED
        reason = None if accepted else (result.reason or f"HTTP {result.status}")
        self.store.add_delivery(
            Delivery(
                notification_id=notification.id,
                token=device.token,
                platform=device.platform,
                outcome="accepted" if accepted else "failed",
                push_id=result.push_id,
                http_status=result.status,
                reason=reason,
                at=now,
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
        self.store.deactivate_device(device.token)
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
