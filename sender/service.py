"""The sender: registers devices, accepts notifications, and delivers them through APNs and FCM.

``submit`` persists a request and queues it; worker tasks resolve its audience (a user, a list of
users, a saved segment, everyone, or an FCM topic), send to every active token, record each
outcome, retry what is worth retrying and prune dead tokens. The decisions are in ``policy``, the
wire shapes in ``payloads``, one push's attempts and outcome in ``delivery``, batching of
outcomes in ``recorder``; this module sequences them.

After a crash the store still holds every accepted notification that was not done; ``start``
resumes them and skips tokens that already have an outcome, so each push is sent at least once
(the pushes in flight and the outcomes not yet written may be sent twice).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid

from .apns_client import ApnsClient
from .clock import Clock
from .delivery import Deliverer, target_of
from .errors import InvalidInput, NotFound
from .events import (
    Emit,
    EngagementRecorded,
    NotificationRequested,
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
from .policy import AUTH_REASONS, RetryPolicy
from .recorder import DeliveryRecorder
from .stats import Stats
from .store import Store
from .validation import check_device, check_engagement, check_request, check_segment

log = logging.getLogger(__name__)


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
        self._worker_count = workers
        self.recorder = recorder or DeliveryRecorder(store)
        self._deliver = Deliverer(
            store,
            apns,
            fcm,
            clock,
            emit,
            self.recorder,
            retry=retry or RetryPolicy(),
            rng=rng or random.Random(),
            max_in_flight=max_in_flight,
        )
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
                target=target_of(request),
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
            if target_of(request) not in done:
                await self._deliver.to_topic(notification)
        else:
            devices = [d for d in self._audience(request) if d.token not in done]
            await asyncio.gather(*(self._deliver.to_device(notification, d) for d in devices))
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
