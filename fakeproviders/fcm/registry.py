"""FCM's view of app instances: registration tokens, topics, who is online, stored messages.

Implements the ``PushService`` protocol that ``devices`` declares, structurally (DESIGN.md, the
one-way rule). Delivery follows reference/fcm.md §5 and devices.md §2.6-§2.7: online phones get
the push at once; offline ones get it from storage when they reconnect, under FCM's limits
(Android) or APNs' (iOS apps registered with FCM). Sans-IO: time comes from the injected clock,
and token deaths scheduled for later (uninstall delay, rotation grace, staleness) happen lazily:
when the token is next looked at, its ``TokenInvalidated`` is emitted, stamped with the time the
token died (the timeline files it there).

An uninstall is not news to FCM: the token keeps working until a push reaches the phone, whose
FCM client finds no app for it and reports the app gone (:meth:`FcmRegistry.report_app_removed`);
then the token dies after ``uninstall_delay`` (devices.md §2.6, Google's documented flow).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fakeproviders.clock import Clock
from fakeproviders.events import (
    Emit,
    NotificationDelivered,
    NotificationDiscarded,
    NotificationStored,
    TokenInvalidated,
    TokenIssued,
    discard_event,
)
from fakeproviders.fcm.conditions import Condition
from fakeproviders.fcm.options import UninstallRule
from fakeproviders.fcm.storage import AndroidQueue, ApnsQueue, Pending
from fakeproviders.fcm.tokens import (
    WELL_FORMED,
    Delivery,
    Platform,
    PushInbox,
    Registration,
    UnknownToken,
    apns_expiry,
    fid_of,
    new_token,
    ttl_seconds,
)
from fakeproviders.fcm.topics import TopicSubscriptions

__all__ = [
    "DELETED_MESSAGES_PAYLOAD",
    "STALE_AFTER",
    "Delivery",
    "FcmRegistry",
    "Platform",
    "PushInbox",
    "Registration",
    "UnknownToken",
]

#: reference/fcm.md §0.14: Android tokens of a phone silent for 270 days expire (not iOS, §5).
STALE_AFTER = 270 * 86_400.0
#: The payload of the special message FCM hands an app whose pending messages were dropped, which
#: the Android SDK turns into ``onDeletedMessages()`` (reference/fcm.md §5).
DELETED_MESSAGES_PAYLOAD: Mapping[str, Any] = {"message_type": "deleted_messages"}


class _Token:
    __slots__ = (
        "app_id",
        "doom",
        "invalidated_reason",
        "issued_at",
        "phone_id",
        "platform",
        "project_id",
        "queue",
        "removed",
        "token",
    )  # fmt: skip

    def __init__(
        self, token: str, phone_id: str, app_id: str, platform: Platform, project_id: str, at: float
    ) -> None:
        self.token = token
        self.phone_id = phone_id
        self.app_id = app_id
        self.platform = platform
        self.project_id = project_id
        self.issued_at = at
        self.invalidated_reason: str | None = None
        self.doom: tuple[float, str] | None = None
        """(when, why) the token stops working, if that is scheduled."""
        self.removed = False
        """The app was uninstalled from the phone (FCM may not know it yet)."""
        self.queue: AndroidQueue | ApnsQueue | None = None  # created on first store


class _Phone:
    __slots__ = ("inbox", "last_seen", "tokens")

    def __init__(self, last_seen: float) -> None:
        self.last_seen = last_seen
        self.inbox: PushInbox | None = None
        self.tokens: list[str] = []


class FcmRegistry:
    """Tokens, topics, connections and offline storage of a Firebase project's app instances.

    Settings (plain attributes, switchable at run time):

    - ``uninstall_invalidation``: ``"after_delivery"`` (FCM learns of an uninstall when the
      phone reports it, after a push reached it) or ``"immediate"`` (at :meth:`unregister`; a
      test switch). See :class:`~fakeproviders.fcm.options.FcmOptions`.
    - ``uninstall_delay``: seconds from that moment to sends getting UNREGISTERED; undocumented
      (devices.md §2.6 [U]), default 0.
    - ``rotation_grace``: seconds the old token keeps working after :meth:`rotate`. Default 0:
      the triggers (reinstall, clear data, restore; devices.md §2.6) delete the old app
      instance, and FCM answers UNREGISTERED for "the client unregistered" (ErrorCode page) [U].
    - ``apns_key_configured``: whether the project has an APNs key; without one, sends to iOS
      tokens get 401 THIRD_PARTY_AUTH_ERROR (reference/fcm.md §2.3).
    - ``stale_after``: Android inactivity before tokens expire (270 days, §0.14).
    """

    provider = "fcm"

    def __init__(
        self,
        clock: Clock,
        emit: Emit = discard_event,
        project_id: str = "",
        *,
        uninstall_invalidation: UninstallRule = "after_delivery",
        uninstall_delay: float = 0.0,
        rotation_grace: float = 0.0,
        apns_key_configured: bool = True,
        stale_after: float = STALE_AFTER,
        topics: TopicSubscriptions | None = None,
    ) -> None:
        self._clock = clock
        self._emit = emit
        self.project_id = project_id
        self.uninstall_invalidation = uninstall_invalidation
        self.uninstall_delay = uninstall_delay
        self.rotation_grace = rotation_grace
        self.apns_key_configured = apns_key_configured
        self.stale_after = stale_after
        self.topics = topics if topics is not None else TopicSubscriptions()
        self._tokens: dict[str, _Token] = {}
        self._phones: dict[str, _Phone] = {}
        self._fids: dict[str, str] = {}  # Firebase Installation ID -> token

    # -- the PushService protocol ------------------------------------------------------------

    def register(
        self,
        phone_id: str,
        app_id: str,
        *,
        platform: str = Platform.ANDROID,
        project_id: str | None = None,
    ) -> str:
        """The token of ``app_id`` on ``phone_id``; the same one while it works.

        ``platform="ios"`` registers an iOS app through FCM: its pushes are relayed under APNs
        rules. ``project_id`` (default: the registry's) is the sender the token belongs to;
        another project's token gets 403 SENDER_ID_MISMATCH.
        """
        kind = Platform(platform)
        project = self.project_id if project_id is None else project_id
        now = self._clock.now()
        phone = self._phone(phone_id, now)
        self._notice_staleness(phone, now)
        for token in phone.tokens:
            record = self._tokens[token]
            if (
                (record.app_id, record.platform, record.project_id) == (app_id, kind, project)
                and not record.removed
                and record.doom is None
                and self._alive(record, now)
            ):
                return token
        if phone.inbox is None:
            phone.last_seen = now  # registering is contact with FCM
        return self._issue(phone_id, phone, app_id, kind, project, now)

    def unregister(self, token: str) -> None:
        """The app was uninstalled. FCM hears of it from the phone (:meth:`report_app_removed`),
        or at once under ``uninstall_invalidation="immediate"``; a reinstall gets a new token."""
        record = self._tokens.get(token)
        if record is None or not self._alive(record, self._clock.now()):
            return
        record.removed = True
        if self.uninstall_invalidation == "immediate":
            self._doom(record, self.uninstall_delay, "uninstalled")

    def report_app_removed(self, token: str) -> None:
        """The phone's FCM client got a push for an app that is not installed and says so: FCM
        marks the token for deletion, and sends get 404 UNREGISTERED ``uninstall_delay`` later."""
        record = self._tokens.get(token)
        if record is None or record.doom is not None or not self._alive(record, self._clock.now()):
            return
        self._doom(record, self.uninstall_delay, "uninstalled")

    def rotate(self, token: str) -> str:
        """The OS replaced the app's token: a new one for the same app, phone and project.

        The old token works for ``rotation_grace`` more seconds; topic subscriptions belong to
        the old app instance and are not carried over (the app resubscribes) [U].
        """
        record = self._tokens.get(token)
        if record is None:
            raise UnknownToken(token)
        now = self._clock.now()
        if self._alive(record, now):
            self._doom(record, self.rotation_grace, "rotated")
        phone = self._phone(record.phone_id, now)
        return self._issue(
            record.phone_id, phone, record.app_id, record.platform, record.project_id, now
        )

    def connect(self, phone_id: str, inbox: PushInbox) -> None:
        """The phone is online: hand it what was stored for it, then new pushes as they come."""
        now = self._clock.now()
        phone = self._phone(phone_id, now)
        self._notice_staleness(phone, now)  # before last_seen moves: a stale token stays dead
        phone.inbox = inbox
        phone.last_seen = now
        for token in list(phone.tokens):
            self._flush(self._tokens[token], inbox, now)

    def disconnect(self, phone_id: str) -> None:
        """The phone went offline; pushes are stored from now on."""
        phone = self._phones.get(phone_id)
        if phone is not None and phone.inbox is not None:
            phone.inbox = None
            phone.last_seen = self._clock.now()

    # -- what the endpoints ask --------------------------------------------------------------

    @staticmethod
    def is_well_formed(token: str) -> bool:
        """Whether ``token`` looks like an FCM registration token at all (else 400, not 404)."""
        return WELL_FORMED.fullmatch(token) is not None

    def lookup(self, token: str) -> Registration | None:
        """The token's registration, None if FCM never issued it. Notices deaths that are due."""
        record = self._tokens.get(token)
        if record is None:
            return None
        active = self._alive(record, self._clock.now())
        return Registration(
            record.token,
            record.phone_id,
            record.app_id,
            active,
            record.invalidated_reason,
            record.platform,
            record.project_id,
            record.issued_at,
        )

    def token_for_fid(self, fid: str) -> str | None:
        """The token of the app instance whose Firebase Installation ID is ``fid``."""
        return self._fids.get(fid)

    def registrations(self) -> list[Registration]:
        """Every token ever issued, with its state now (for inspection)."""
        return [r for t in list(self._tokens) if (r := self.lookup(t)) is not None]

    def is_connected(self, phone_id: str) -> bool:
        phone = self._phones.get(phone_id)
        return phone is not None and phone.inbox is not None

    def pending_count(self, token: str) -> int:
        """How many pushes wait in storage for ``token``."""
        record = self._tokens.get(token)
        return 0 if record is None or record.queue is None else len(record.queue)

    def deliver(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> Delivery:
        """Hand an accepted push to the phone now, or store it under the offline rules.

        Android ``headers``: ``priority``, ``ttl`` (whole seconds) and ``collapse_key``; iOS:
        the ``apns-*`` headers (``apns-expiration`` decides storage).
        """
        record = self._tokens.get(token)
        now = self._clock.now()
        if record is None or not self._alive(record, now):
            return Delivery.UNREGISTERED
        phone = self._phones[record.phone_id]
        if phone.inbox is not None:
            self._hand_over(record, phone.inbox, push_id, headers, payload, now, False)
            return Delivery.DELIVERED
        if record.platform is Platform.IOS:
            expires_at, collapse_key = apns_expiry(headers, now), None
        else:
            expires_at = now + ttl_seconds(headers)
            collapse_key = headers.get("collapse_key") or None
        if expires_at <= now:
            # ttl 0 / apns-expiration 0: "now or never", never stored (fcm.md §5).
            self._discarded(record, push_id, "ttl_zero", now)
            return Delivery.DISCARDED
        if record.queue is None:
            record.queue = ApnsQueue() if record.platform is Platform.IOS else AndroidQueue()
        outcome = record.queue.add(
            Pending(push_id, dict(headers), payload, now, expires_at, collapse_key)
        )
        for dropped_id, reason in outcome.dropped:
            self._discarded(record, dropped_id, reason, now)
        if not outcome.stored:
            return Delivery.DISCARDED
        self._emit(
            NotificationStored(
                at=now, provider=self.provider, push_id=push_id, token=token,
                phone_id=record.phone_id,
            )
        )  # fmt: skip
        return Delivery.STORED

    # -- topics --------------------------------------------------------------------------------

    def subscribe(self, token: str, topic: str) -> bool:
        """Subscribe an active token; True if new. Raises UnknownToken or a TopicError."""
        self._require_active(token)
        return self.topics.add(token, topic, self._clock.now())

    def unsubscribe(self, token: str, topic: str) -> bool:
        """Unsubscribe; True if it was subscribed. Raises UnknownToken."""
        self._require_active(token)
        return self.topics.remove(token, topic)

    def topics_of(self, token: str) -> dict[str, float]:
        """The token's topics and when each was subscribed."""
        return self.topics.topics_of(token)

    def subscribers(self, topic: str, project_id: str | None = None) -> list[str]:
        """Active tokens of the project (default: the registry's) subscribed to ``topic``."""
        project = self.project_id if project_id is None else project_id
        now = self._clock.now()
        return [
            t
            for t in self.topics.subscribers(topic)
            if self._tokens[t].project_id == project and self._alive(self._tokens[t], now)
        ]

    def recipients(self, condition: Condition, project_id: str | None = None) -> list[str]:
        """Active tokens of the project a condition reaches (with ``!``: unsubscribed ones too)."""
        project = self.project_id if project_id is None else project_id
        now = self._clock.now()
        candidates = (
            list(self._tokens)
            if condition.negates
            else self.topics.subscribers_of_any(condition.topics)
        )
        out = []
        for token in candidates:
            record = self._tokens[token]
            if record.project_id != project or not self._alive(record, now):
                continue
            if condition.matches(self.topics.topics_of(token)):
                out.append(token)
        return out

    # -- internals ---------------------------------------------------------------------------

    def _phone(self, phone_id: str, now: float) -> _Phone:
        phone = self._phones.get(phone_id)
        if phone is None:
            phone = self._phones[phone_id] = _Phone(now)
        return phone

    def _issue(
        self, phone_id: str, phone: _Phone, app_id: str, kind: Platform, project: str, now: float
    ) -> str:
        token = new_token()
        self._tokens[token] = _Token(token, phone_id, app_id, kind, project, now)
        self._fids[fid_of(token)] = token
        phone.tokens.append(token)
        self._emit(
            TokenIssued(
                at=now, provider=self.provider, token=token, app_id=app_id, phone_id=phone_id
            )
        )
        return token

    def _require_active(self, token: str) -> _Token:
        record = self._tokens.get(token)
        if record is None or not self._alive(record, self._clock.now()):
            raise UnknownToken(token)
        return record

    def _doom(self, record: _Token, delay: float, reason: str) -> None:
        now = self._clock.now()
        if delay <= 0:
            self._invalidate(record, reason, now)
        else:
            record.doom = (now + delay, reason)

    def _alive(self, record: _Token, now: float) -> bool:
        if record.invalidated_reason is not None:
            return False
        if record.doom is not None and now >= record.doom[0]:
            self._invalidate(record, record.doom[1], record.doom[0])
            return False
        if record.platform is Platform.ANDROID:
            self._notice_staleness(self._phones[record.phone_id], now)
        return record.invalidated_reason is None

    def _notice_staleness(self, phone: _Phone, now: float) -> None:
        """Expire Android tokens of a phone silent too long (reference/fcm.md §0.14)."""
        if phone.inbox is not None or now - phone.last_seen <= self.stale_after:
            return
        for token in phone.tokens:
            record = self._tokens[token]
            if record.invalidated_reason is None and record.platform is Platform.ANDROID:
                self._invalidate(record, "stale", phone.last_seen + self.stale_after)

    def _invalidate(self, record: _Token, reason: str, at: float) -> None:
        record.invalidated_reason = reason
        record.doom = None
        if record.queue is not None:
            for push_id in record.queue.clear():
                self._discarded(record, push_id, reason, at)
            record.queue = None
        # FCM garbage-collects the topic subscriptions of dead tokens (reference/fcm.md §5).
        self.topics.drop_token(record.token)
        self._emit(
            TokenInvalidated(
                at=at, provider=self.provider, token=record.token, app_id=record.app_id,
                phone_id=record.phone_id, reason=reason,
            )
        )  # fmt: skip

    def _flush(self, record: _Token, inbox: PushInbox, now: float) -> None:
        if record.queue is None or not self._alive(record, now):
            return
        signal, live, expired = record.queue.take(now)
        record.queue = None
        if signal:
            inbox.push_arrived(record.token, "deleted_messages", {}, DELETED_MESSAGES_PAYLOAD)
        for push_id, reason in expired:
            self._discarded(record, push_id, reason, now)
        for item in live:
            self._hand_over(record, inbox, item.push_id, item.headers, item.payload, now, True)

    def _hand_over(
        self,
        record: _Token,
        inbox: PushInbox,
        push_id: str,
        headers: Mapping[str, str],
        payload: Mapping[str, Any],
        now: float,
        from_storage: bool,
    ) -> None:
        # Delivered comes before whatever the phone makes of it, on the timeline too.
        self._emit(
            NotificationDelivered(
                at=now, provider=self.provider, push_id=push_id, token=record.token,
                phone_id=record.phone_id, from_storage=from_storage,
            )
        )  # fmt: skip
        inbox.push_arrived(record.token, push_id, headers, payload)

    def _discarded(self, record: _Token, push_id: str, reason: str, now: float) -> None:
        self._emit(
            NotificationDiscarded(
                at=now, provider=self.provider, push_id=push_id, token=record.token,
                phone_id=record.phone_id, reason=reason,
            )
        )  # fmt: skip
