"""Delivery of one notification to one device or one FCM topic: attempt, retry, record, prune.

Each attempt goes to APNs or FCM by the device's platform; ``policy`` judges the answer. Worth
retrying: after the policy's backoff (or the provider's ``Retry-After``), unless that would pass
the notification's TTL. Accepted or not, the outcome goes to the ``DeliveryRecorder`` and the
timeline; a dead token is deactivated, unless the app registered it again meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

from .apns_client import ApnsClient
from .clock import Clock
from .errors import ProviderAuthError, ProviderUnreachable
from .events import Emit, PushFailed, PushRetried, PushSent, TokenPruned
from .fcm_client import FcmClient
from .models import Delivery, Device, Notification, NotificationRequest
from .payloads import apns_push, encode, fcm_message
from .policy import RetryPolicy, Verdict, judge_apns, judge_fcm
from .recorder import DeliveryRecorder
from .stores import Store
from .validation import storable

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One send's answer, judged: what the policy decided, and what the provider said."""

    verdict: Verdict
    status: int
    push_id: str | None
    reason: str | None
    retry_after: int | None = None


class Deliverer:
    """Sends pushes for ``SenderService``: at most ``max_in_flight`` attempts at once."""

    def __init__(
        self,
        store: Store,
        apns: ApnsClient | None,
        fcm: FcmClient | None,
        clock: Clock,
        emit: Emit,
        recorder: DeliveryRecorder,
        *,
        retry: RetryPolicy,
        rng: random.Random,
        max_in_flight: int,
    ) -> None:
        self.store = store
        self.apns = apns
        self.fcm = fcm
        self.clock = clock
        self.recorder = recorder
        self._emit = emit
        self._retry = retry
        self._rng = rng
        self._slots = asyncio.Semaphore(max_in_flight)

    async def to_device(self, notification: Notification, device: Device) -> None:
        """Send ``notification`` to ``device``, retrying as the policy says; record the outcome."""
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

    async def _attempt(self, notification: Notification, device: Device) -> Attempt:
        try:
            if device.platform == "ios":
                return await self._attempt_apns(notification, device)
            return await self._attempt_fcm(notification, device)
        except ProviderUnreachable as exc:
            log.warning("push to %s: %s", device.platform, exc)
            return Attempt(Verdict.RETRY, 0, None, "ProviderUnreachable")
        except ProviderAuthError as exc:
            log.error("push to %s: credentials refused: %s", device.platform, exc)
            return Attempt(Verdict.AUTH, 0, None, "ProviderAuthError")
        except Exception as exc:  # a bug here or in a client library: the push still gets an
            # outcome (named after the error) rather than none when its batch finishes.
            log.exception("push to %s failed unexpectedly", device.platform)
            return Attempt(Verdict.FAILED, 0, None, type(exc).__name__)

    async def _attempt_apns(self, notification: Notification, device: Device) -> Attempt:
        if self.apns is None:
            return Attempt(Verdict.FAILED, 0, None, "ApnsNotConfigured")
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
        return Attempt(verdict, result.status, result.apns_id, result.reason, result.retry_after)

    async def _attempt_fcm(self, notification: Notification, device: Device) -> Attempt:
        if self.fcm is None:
            return Attempt(Verdict.FAILED, 0, None, "FcmNotConfigured")
        message = fcm_message(notification.id, notification.request, device, now=self.clock.now())
        result = await self.fcm.send(message)
        verdict = judge_fcm(result.status, result.error_code)
        return Attempt(verdict, result.status, result.name, result.error_code, result.retry_after)

    async def to_topic(self, notification: Notification) -> None:
        """Send ``notification`` to its FCM topic or condition: one message FCM fans out."""
        # A topic or condition is one FCM message; FCM fans it out (reference/fcm.md §1.2).
        device = Device(
            token=target_of(notification.request),
            platform="android",
            app_id="",
            user_id="",
            registered_at=0,
        )
        if self.fcm is None:
            self._record(
                notification, device, Attempt(Verdict.FAILED, 0, None, "FcmNotConfigured"), 1
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
                result = Attempt(
                    verdict, answer.status, answer.name, answer.error_code, answer.retry_after
                )
            except ProviderUnreachable:
                result = Attempt(Verdict.RETRY, 0, None, "ProviderUnreachable")
            except ProviderAuthError:
                result = Attempt(Verdict.AUTH, 0, None, "ProviderAuthError")
            delay = self._retry.delay(attempt, result.retry_after, self._rng.random())
            if result.verdict is not Verdict.RETRY or delay is None:
                break
            await self.clock.sleep(delay)
        self._record(notification, device, result, attempt)

    def _record(
        self, notification: Notification, device: Device, result: Attempt, attempts: int
    ) -> None:
        now = self.clock.now()
        accepted = result.verdict is Verdict.ACCEPTED
        # What a provider answered is kept as it came, except NUL, which PostgreSQL cannot store.
        reason = None if accepted else storable(result.reason or f"HTTP {result.status}")
        push_id = storable(result.push_id)
        self.recorder.add(
            Delivery(
                notification_id=notification.id,
                token=device.token,
                platform=device.platform,
                outcome="accepted" if accepted else "failed",
                push_id=push_id,
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
                    push_id=push_id or "",
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
                push_id=push_id,
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


def target_of(request: NotificationRequest) -> str:
    """How the timeline names a request's audience (``user:kai``, ``topic:news``, ``everyone``)."""
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
