"""The sender: registers devices, accepts notifications, and delivers them through APNs and FCM.

``submit`` persists a request; the ``WorkLoop`` (``work``) claims it, resolves its audience (a
user, a list of users, a saved segment, everyone, or an FCM topic) into batches of tokens, and
claims and sends those batches; several instances on one database share them. The decisions are
in ``policy``, the wire shapes in ``payloads``, one push's attempts and outcome in ``delivery``,
batching of outcomes in ``recorder``; this module sequences them.

After a crash the store still holds every accepted notification that was not done; the batches it
held are claimed again (after a restart, or by another instance once their lease ran out) and
tokens that already have an outcome are skipped, so each push is sent at least once (the pushes
in flight and the outcomes not yet written may be sent twice).
"""

from __future__ import annotations

import asyncio
import contextlib
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
from .stores import Store
from .validation import check_device, check_engagement, check_request, check_segment
from .work import WorkLoop

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
        max_in_flight: int = 2000,
        rng: random.Random | None = None,
        recorder: DeliveryRecorder | None = None,
        instance: str | None = None,
        lease: float = 30.0,
        poll_interval: float = 0.5,
        batch_size: int = 500,
    ) -> None:
        """``max_in_flight`` bounds the pushes this instance holds at once (and so the duplicates
        a crash can cause); ``rng`` draws the retry jitter (seed it for reproducible runs).
        ``instance`` names this instance in the claims it takes (unique by default); a claim
        not renewed for ``lease`` seconds may be taken over; idle instances look for work
        every ``poll_interval`` seconds; audiences are split into batches of ``batch_size`` (at
        most a quarter of ``max_in_flight``, so that several are in hand at once)."""
        self.store = store
        self.apns = apns
        self.fcm = fcm
        self.clock = clock
        self._emit = emit
        self.recorder = recorder or DeliveryRecorder(store)
        deliverer = Deliverer(
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
        self.work = WorkLoop(
            store,
            deliverer,
            self.recorder,
            self._audience,
            self._finished,
            instance=instance,
            lease=lease,
            poll_interval=poll_interval,
            batch_size=batch_size,
            max_in_flight=max_in_flight,
        )
        self._poll_interval = poll_interval
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
        self.work.wake()
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
        """Wait up to ``timeout`` real seconds until the notification is done; True if it is.

        This instance's own work ends the wait at once; work finished by another instance on
        the same database is seen at the next look, every ``poll_interval`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = self._done.setdefault(notification_id, asyncio.Event())
        try:
            while self.get_notification(notification_id).status != "done":
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(remaining, self._poll_interval))
            return True
        finally:
            if self._done.get(notification_id) is event and not event.is_set():
                del self._done[notification_id]

    def record_event(self, notification_id: str, token: str, event: str) -> EngagementEvent:
        """Store what the user did with a notification (``received``, ``opened``, ``dismissed``)."""
        check_engagement(notification_id, token, event)
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
        return self.work.running

    async def start(self) -> None:
        """Start claiming work, including notifications a previous run left unfinished."""
        await self.work.start()

    async def stop(self) -> None:
        """Stop sending, save buffered outcomes and give this instance's claims back;
        unfinished notifications stay in the store for the next start (or another instance)."""
        await self.work.stop()

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
