"""FCM's view of Android phones: registration tokens, who is online, and stored messages (sans-IO).

Implements the ``PushService`` protocol that ``devices`` declares, structurally (DESIGN.md, the
one-way rule). Delivery follows reference/fcm.md §5 and devices.md §2.6-§2.7: online phones get
the push at once; offline ones get it from storage when they reconnect, under FCM's limits.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

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

#: reference/fcm.md §0.14: Android tokens of a phone silent for 270 days expire.
STALE_AFTER = 270 * 86_400.0
#: reference/fcm.md §0.13: pending non-collapsible messages per app instance, and collapse keys.
MAX_PENDING = 100
MAX_COLLAPSE_KEYS = 4
#: reference/fcm.md §0.7: the default (and maximum) time to live, four weeks.
DEFAULT_TTL = 2_419_200
#: The payload of the special message FCM hands an app whose pending messages were dropped, which
#: the Android SDK turns into ``onDeletedMessages()`` (reference/fcm.md §5).
DELETED_MESSAGES_PAYLOAD: Mapping[str, Any] = {"message_type": "deleted_messages"}

# Real tokens: an instance id, ':', then an opaque part (``APA91b…``), ~150 chars in all
# (reference/fcm.md §1.3). The exact rule Google applies is unknown [U]; this one accepts every
# token shape seen in the wild and rejects things like "not-a-token".
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{8,64}:[A-Za-z0-9_-]{32,4096}")


class PushInbox(Protocol):
    """A connected phone (mirrors ``devices.push_service.PushInbox`` without importing it)."""

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None: ...


class Delivery(enum.Enum):
    """What became of a push handed to :meth:`FcmRegistry.deliver`."""

    DELIVERED = "delivered"
    STORED = "stored"
    DISCARDED = "discarded"
    UNREGISTERED = "unregistered"


@dataclass(frozen=True, slots=True)
class Registration:
    """A token as the registry knows it."""

    token: str
    phone_id: str
    app_id: str
    active: bool
    invalidated_reason: str | None = None
    """``"uninstalled"`` or ``"stale"`` once the token no longer works."""


@dataclass(slots=True)
class _Token:
    token: str
    phone_id: str
    app_id: str
    invalidated_reason: str | None = None
    pending: list[_Pending] = field(default_factory=list)
    deleted_messages: bool = False


@dataclass(frozen=True, slots=True)
class _Pending:
    push_id: str
    headers: Mapping[str, str]
    payload: Mapping[str, Any]
    stored_at: float
    ttl: float
    collapse_key: str | None


@dataclass(slots=True)
class _Phone:
    last_seen: float
    inbox: PushInbox | None = None
    tokens: list[str] = field(default_factory=list)


class FcmRegistry:
    """Tokens, connections and offline storage of one Firebase project's Android apps."""

    provider = "fcm"

    def __init__(self, clock: Clock, emit: Emit = discard_event, project_id: str = "") -> None:
        self._clock = clock
        self._emit = emit
        self.project_id = project_id
        self._tokens: dict[str, _Token] = {}
        self._phones: dict[str, _Phone] = {}

    # -- the PushService protocol ------------------------------------------------------------

    def register(self, phone_id: str, app_id: str) -> str:
        """The token of ``app_id`` (the package name) on ``phone_id``; the same one while it works."""
        now = self._clock.now()
        phone = self._phones.get(phone_id)
        if phone is None:
            phone = self._phones[phone_id] = _Phone(last_seen=now)
        self._notice_staleness(phone_id, phone)
        for token in phone.tokens:
            record = self._tokens[token]
            if record.app_id == app_id and record.invalidated_reason is None:
                return token
        if phone.inbox is None:
            phone.last_seen = now  # registering is contact with FCM
        token = _new_token()
        self._tokens[token] = _Token(token, phone_id, app_id)
        phone.tokens.append(token)
        self._emit(
            TokenIssued(
                at=now, provider=self.provider, token=token, app_id=app_id, phone_id=phone_id
            )
        )
        return token

    def unregister(self, token: str) -> None:
        """The app was uninstalled: later sends get 404 UNREGISTERED (devices.md §2.6)."""
        record = self._tokens.get(token)
        if record is not None and record.invalidated_reason is None:
            self._invalidate(record, "uninstalled")

    def connect(self, phone_id: str, inbox: PushInbox) -> None:
        """The phone is online: hand it what was stored for it, then new pushes as they come."""
        now = self._clock.now()
        phone = self._phones.get(phone_id)
        if phone is None:
            phone = self._phones[phone_id] = _Phone(last_seen=now)
        self._notice_staleness(phone_id, phone)  # before last_seen moves: a stale token stays dead
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

    # -- what the send endpoint asks ---------------------------------------------------------

    @staticmethod
    def is_well_formed(token: str) -> bool:
        """Whether ``token`` looks like an FCM registration token at all (else 400, not 404)."""
        return _WELL_FORMED.fullmatch(token) is not None

    def lookup(self, token: str) -> Registration | None:
        """The token's registration, None if FCM never issued it. Notices staleness."""
        record = self._tokens.get(token)
        if record is None:
            return None
        if record.invalidated_reason is None:
            self._notice_staleness(record.phone_id, self._phones[record.phone_id])
        return Registration(
            record.token,
            record.phone_id,
            record.app_id,
            record.invalidated_reason is None,
            record.invalidated_reason,
        )

    def is_connected(self, phone_id: str) -> bool:
        phone = self._phones.get(phone_id)
        return phone is not None and phone.inbox is not None

    def pending_count(self, token: str) -> int:
        """How many pushes wait in storage for ``token``."""
        record = self._tokens.get(token)
        return 0 if record is None else len(record.pending)

    def deliver(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> Delivery:
        """Hand an accepted push to the phone now, or store it under FCM's offline rules.

        ``headers``: ``priority``, ``ttl`` (whole seconds, as a string) and ``collapse_key`` when
        the message has one; ``payload``: the message's ``notification``, ``data``, ``android``.
        """
        registration = self.lookup(token)
        if registration is None or not registration.active:
            return Delivery.UNREGISTERED
        record = self._tokens[token]
        phone = self._phones[record.phone_id]
        now = self._clock.now()
        if phone.inbox is not None:
            self._hand_over(record, phone.inbox, push_id, headers, payload, now, False)
            return Delivery.DELIVERED
        ttl = _ttl_seconds(headers)
        if ttl <= 0:
            # reference/fcm.md §5: ttl 0 is "now or never", never stored.
            self._discarded(record, push_id, "ttl_zero", now)
            return Delivery.DISCARDED
        return self._store(
            record,
            _Pending(
                push_id, dict(headers), payload, now, ttl, headers.get("collapse_key") or None
            ),
            now,
        )

    # -- internals ---------------------------------------------------------------------------

    def _store(self, record: _Token, pending: _Pending, now: float) -> Delivery:
        key = pending.collapse_key
        if key is not None:
            # Same collapse_key: the newer message replaces the stored one (§5).
            for old in [p for p in record.pending if p.collapse_key == key]:
                record.pending.remove(old)
                self._discarded(record, old.push_id, "collapsed", now)
            keys = [p.collapse_key for p in record.pending if p.collapse_key is not None]
            if len(keys) >= MAX_COLLAPSE_KEYS:
                # FCM keeps 4 keys "with no determining factor"; we drop the oldest [U].
                oldest = next(p for p in record.pending if p.collapse_key is not None)
                record.pending.remove(oldest)
                self._discarded(record, oldest.push_id, "too_many_collapse_keys", now)
        else:
            plain = sum(1 for p in record.pending if p.collapse_key is None)
            if plain >= MAX_PENDING:
                # Over 100 pending: FCM drops everything stored and tells the app on reconnect
                # (onDeletedMessages, reference/fcm.md §5). The new message goes too [U].
                for old in record.pending:
                    self._discarded(record, old.push_id, "too_many_pending", now)
                record.pending.clear()
                record.deleted_messages = True
                self._discarded(record, pending.push_id, "too_many_pending", now)
                return Delivery.DISCARDED
        record.pending.append(pending)
        self._emit(
            NotificationStored(
                at=now,
                provider=self.provider,
                push_id=pending.push_id,
                token=record.token,
                phone_id=record.phone_id,
            )
        )
        return Delivery.STORED

    def _flush(self, record: _Token, inbox: PushInbox, now: float) -> None:
        if record.invalidated_reason is not None:
            return
        if record.deleted_messages:
            record.deleted_messages = False
            inbox.push_arrived(record.token, "deleted_messages", {}, DELETED_MESSAGES_PAYLOAD)
        pending, record.pending = record.pending, []
        for item in pending:
            if now > item.stored_at + item.ttl:
                self._discarded(record, item.push_id, "expired", now)
            else:
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
                at=now,
                provider=self.provider,
                push_id=push_id,
                token=record.token,
                phone_id=record.phone_id,
                from_storage=from_storage,
            )
        )
        inbox.push_arrived(record.token, push_id, headers, payload)

    def _notice_staleness(self, phone_id: str, phone: _Phone) -> None:
        """Expire the phone's tokens if it has been silent too long (reference/fcm.md §0.14)."""
        now = self._clock.now()
        if phone.inbox is not None or now - phone.last_seen <= STALE_AFTER:
            return
        for token in phone.tokens:
            record = self._tokens[token]
            if record.invalidated_reason is None:
                self._invalidate(record, "stale")

    def _invalidate(self, record: _Token, reason: str) -> None:
        now = self._clock.now()
        record.invalidated_reason = reason
        for item in record.pending:
            self._discarded(record, item.push_id, reason, now)
        record.pending.clear()
        record.deleted_messages = False
        self._emit(
            TokenInvalidated(
                at=now,
                provider=self.provider,
                token=record.token,
                app_id=record.app_id,
                phone_id=record.phone_id,
                reason=reason,
            )
        )

    def _discarded(self, record: _Token, push_id: str, reason: str, now: float) -> None:
        self._emit(
            NotificationDiscarded(
                at=now,
                provider=self.provider,
                push_id=push_id,
                token=record.token,
                phone_id=record.phone_id,
                reason=reason,
            )
        )


def _new_token() -> str:
    """A token shaped like a real one: 22-char instance id, ``:``, ``APA91b`` + 134 chars."""
    return f"{secrets.token_urlsafe(17)[:22]}:APA91b{secrets.token_urlsafe(101)[:134]}"


def _ttl_seconds(headers: Mapping[str, str]) -> float:
    raw = headers.get("ttl")
    if raw is None:
        return float(DEFAULT_TTL)
    try:
        return float(raw.removesuffix("s"))
    except ValueError:
        return float(DEFAULT_TTL)
