"""The fake APNs's device side: tokens, connected phones and the offline store.

``ApnsRegistry`` implements the ``PushService`` protocol that ``devices`` declares (structurally,
without importing it) plus what the HTTP/2 server needs (``lookup``, ``deliver``). It is sans-IO:
it reads the injected clock, never sleeps, and reports everything as timeline events. All state
stays behind its methods, so it can later move to Redis (DESIGN.md, "Growing past one process").

Environments: every token belongs to ``"sandbox"`` or ``"production"`` (reference/apns.md §1.1).
One registry may serve both: a sandbox ``FakeApns`` and a production ``FakeApns`` share it, each
accepting only its own environment's tokens, so a token sent to the other one gets BadDeviceToken.

Token lifecycle (reference/devices.md §1.4-§1.5, settings in ``ApnsOptions``):

- ``unregister`` (uninstall): valid until one push reached the phone after the deletion, then
  410 Unregistered after ``invalidation_delay`` (or at once in the ``"immediate"`` test mode);
  the delay can be changed while running (``registry.invalidation_delay``);
- ``rotate``: a new token for the same app and phone; the old one keeps working for
  ``rotated_token_lifetime`` (forever by default), then 410 Unregistered;
- ``expire``: 410 ExpiredToken from now on.

The 410 ``timestamp`` is the moment the token became invalid; a ``TokenInvalidated`` event with
that time is emitted when the invalidity is first observed (a lookup, or a new registration).

Token kinds (``kinds.py``): besides the app's notification token, an app gets separate VoIP,
push-to-talk, location and Live Activity tokens (one per activity, plus push-to-start); each record
carries its kind, and validation refuses a topic of another kind.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from fakeproviders.apns.errors import UnknownToken
from fakeproviders.apns.kinds import NOTIFICATION, TOKEN_KINDS
from fakeproviders.apns.options import ApnsOptions
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

PROVIDER = "apns"
ENVIRONMENTS = ("sandbox", "production")

#: How long APNs keeps a push without ``apns-expiration`` for an offline device
#: (reference/devices.md §1.6: "up to 30 days").
DEFAULT_STORAGE_SECONDS = 30 * 24 * 3600.0

#: Wire reasons of a 410 (reference/apns.md §2.4).
UNREGISTERED = "Unregistered"
EXPIRED_TOKEN = "ExpiredToken"


class Inbox(Protocol):
    """A connected phone (``devices.push_service.PushInbox``, restated to keep packages apart)."""

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class ApnsTokenRecord:
    """What APNs knows about one device token."""

    token: str
    app_id: str
    """The bundle id the token was issued for (its topic)."""
    phone_id: str
    environment: str
    """``"sandbox"`` or ``"production"``: tokens work only in the environment that issued them."""
    issued_at: float
    invalidated_at: float | None = None
    """When the token stopped working; later sends get 410 with this time (integer ms)."""
    invalid_reason: str = UNREGISTERED
    """The 410 reason once invalid: ``Unregistered`` or ``ExpiredToken``."""
    kind: str = NOTIFICATION
    """What the token is for (``kinds.TOKEN_KINDS``): the app's notifications, VoIP, a Live
    Activity, push-to-start, push-to-talk or location pushes."""
    activity_id: str | None = None
    """For a Live Activity update token: the activity it belongs to."""


@dataclass(frozen=True, slots=True)
class _StoredPush:
    push_id: str
    headers: Mapping[str, str]
    payload: Mapping[str, Any]
    expires_at: float


@dataclass(frozen=True, slots=True)
class _Pending:
    """A token that will stop working: when (None: at the next delivery), why, and the 410."""

    at: float | None
    why: str
    reason: str = UNREGISTERED


class ApnsRegistry:
    """Device tokens, online phones and one stored push per app (reference/devices.md §1.6)."""

    def __init__(
        self,
        clock: Clock,
        emit: Emit = discard_event,
        environment: str = "sandbox",
        *,
        storage_seconds: float | None = None,
        options: ApnsOptions | None = None,
    ) -> None:
        """``environment`` is where ``register`` issues tokens unless told otherwise."""
        if environment not in ENVIRONMENTS:
            raise ValueError(f"environment must be one of {ENVIRONMENTS}: {environment!r}")
        self.clock = clock
        self.environment = environment
        self.options = options or ApnsOptions()
        self._emit = emit
        self._storage_seconds = (
            storage_seconds if storage_seconds is not None else self.options.storage_seconds
        )
        self._records: dict[str, ApnsTokenRecord] = {}
        self._pending: dict[str, _Pending] = {}  # tokens that will become invalid
        self.invalidation_delay = self.options.invalidation_delay
        """Seconds from the trigger to the first 410 after an uninstall (``ApnsOptions``); may be
        changed while running and applies to uninstalls triggered from then on."""
        # (phone, app, environment, kind, activity) -> the token in use
        self._active: dict[tuple[str, str, str, str, str | None], str] = {}
        self._inboxes: dict[str, Inbox] = {}  # online phones
        # phone_id -> token -> the one stored push of that app (indexed by phone for connect)
        self._stored: dict[str, dict[str, _StoredPush]] = {}

    # -- PushService ---------------------------------------------------------------------------

    def register(
        self,
        phone_id: str,
        app_id: str,
        environment: str | None = None,
        *,
        kind: str = NOTIFICATION,
        activity_id: str | None = None,
    ) -> str:
        """The token of ``kind`` for ``app_id`` on ``phone_id``: 32 random bytes as 64 lowercase hex.

        An app that asks again while its token is valid gets the same token back, as iOS does on
        every ``registerForRemoteNotifications``. ``environment`` defaults to the registry's (an
        app built for development gets sandbox tokens). ``kind`` is one of ``kinds.TOKEN_KINDS``;
        a ``"liveactivity"`` token belongs to one activity (``activity_id``).
        """
        environment = environment or self.environment
        if environment not in ENVIRONMENTS:
            raise ValueError(f"environment must be one of {ENVIRONMENTS}: {environment!r}")
        if kind not in TOKEN_KINDS:
            raise ValueError(f"kind must be one of {TOKEN_KINDS}: {kind!r}")
        if (kind == "liveactivity") != (activity_id is not None):
            raise ValueError("a liveactivity token, and only that kind, needs an activity_id")
        key = (phone_id, app_id, environment, kind, activity_id)
        existing = self._active.get(key)
        if existing is not None and self.lookup(existing) is not None:
            record = self._records[existing]
            if record.invalidated_at is None and existing not in self._pending:
                return existing
        return self._issue(key)

    def unregister(self, token: str) -> None:
        """The app was uninstalled: the token stops working under Apple's rule (module doc)."""
        record = self._require(token)
        if record.invalidated_at is not None or token in self._pending:
            return
        self._active.pop(_key(record), None)
        now = self.clock.now()
        if self.options.uninstall_invalidation == "immediate":
            self._pending[token] = _Pending(now, "uninstalled")
            stored = self._stored.get(record.phone_id, {}).pop(token, None)
            if stored is not None:
                self._discard(record, stored.push_id, "unregistered")
        else:
            # APNs learns of the deletion only when a push reaches the device (devices.md §1.5).
            self._pending[token] = _Pending(None, "uninstalled")
        self.lookup(token)  # an immediate invalidation is announced at once

    def rotate(self, token: str) -> str:
        """A new token for the same app and phone; the old one keeps working for
        ``rotated_token_lifetime`` seconds (forever when None), then gets 410 Unregistered."""
        record = self._require(token)
        self._active.pop(_key(record), None)
        lifetime = self.options.rotated_token_lifetime
        if lifetime is not None and record.invalidated_at is None and token not in self._pending:
            self._pending[token] = _Pending(self.clock.now() + lifetime, "rotated")
            self.lookup(token)
        return self._issue(_key(record))

    def expire(self, token: str) -> None:
        """The token has expired: from now on it gets 410 ExpiredToken (reference/apns.md §2.4)."""
        record = self._require(token)
        if record.invalidated_at is not None:
            return
        self._active.pop(_key(record), None)
        self._pending[token] = _Pending(self.clock.now(), "expired", EXPIRED_TOKEN)
        self.lookup(token)

    def connect(self, phone_id: str, inbox: Inbox) -> None:
        """The phone is online: hand it its stored pushes (unless expired), then new ones."""
        self._inboxes[phone_id] = inbox
        now = self.clock.now()
        for token, stored in self._stored.pop(phone_id, {}).items():
            record = self._records[token]
            if now > stored.expires_at:
                self._discard(record, stored.push_id, "expired")
            else:
                self._hand_over(inbox, record, stored.push_id, stored.headers, stored.payload, True)

    def disconnect(self, phone_id: str) -> None:
        """The phone went offline: pushes for it are stored from now on."""
        self._inboxes.pop(phone_id, None)

    # -- what the server needs -----------------------------------------------------------------

    def lookup(self, token: str) -> ApnsTokenRecord | None:
        """The record of ``token`` as of the clock's now, or None if never issued."""
        record = self._records.get(token)
        if record is None:
            return None
        pending = self._pending.get(token)
        if pending is not None and pending.at is not None and self.clock.now() >= pending.at:
            del self._pending[token]
            record = replace(record, invalidated_at=pending.at, invalid_reason=pending.reason)
            self._records[token] = record
            self._emit(
                TokenInvalidated(
                    at=pending.at,
                    provider=PROVIDER,
                    token=token,
                    app_id=record.app_id,
                    phone_id=record.phone_id,
                    reason=pending.why,
                )
            )
        return record

    def is_connected(self, phone_id: str) -> bool:
        """Whether ``phone_id`` is online."""
        return phone_id in self._inboxes

    def deliver(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        """Hand an accepted push to the phone now, or store it while the phone is offline.

        ``headers`` are the ``apns-*`` headers with defaults filled in; ``apns-expiration``
        decides storage (reference/apns.md §1.3): ``0`` means one attempt and no storage, a
        past date means already expired, none means the storage limit (30 days). A stored push
        with the same ``apns-collapse-id`` is replaced as "collapsed", any other as "replaced"
        (one stored push per app, devices.md §1.6).
        """
        record = self._records.get(token)
        if record is None:
            raise UnknownToken(token)
        inbox = self._inboxes.get(record.phone_id)
        if inbox is not None:
            self._hand_over(inbox, record, push_id, headers, payload, False)
            return
        now = self.clock.now()
        expires_at = self._expiry(headers.get("apns-expiration"), now)
        if expires_at is None or now > expires_at:
            self._discard(record, push_id, "expired")
            return
        pushes = self._stored.setdefault(record.phone_id, {})
        older = pushes.get(token)
        pushes[token] = _StoredPush(push_id, dict(headers), payload, expires_at)
        if older is not None:
            collapse = headers.get("apns-collapse-id")
            same = collapse is not None and older.headers.get("apns-collapse-id") == collapse
            self._discard(record, older.push_id, "collapsed" if same else "replaced")
        self._emit(
            NotificationStored(
                at=now, provider=PROVIDER, push_id=push_id, token=token, phone_id=record.phone_id
            )
        )

    def stored_push_id(self, token: str) -> str | None:
        """The ``apns-id`` of the push stored for ``token``'s app, if any."""
        record = self._records.get(token)
        stored = None if record is None else self._stored.get(record.phone_id, {}).get(token)
        return None if stored is None else stored.push_id

    def tokens(self, phone_id: str | None = None) -> list[ApnsTokenRecord]:
        """Every token record (of one phone), as of now."""
        found = [self.lookup(t) for t, r in self._records.items() if phone_id in (None, r.phone_id)]
        return [r for r in found if r is not None]

    # -- internals -----------------------------------------------------------------------------

    def _require(self, token: str) -> ApnsTokenRecord:
        record = self.lookup(token)
        if record is None:
            raise UnknownToken(token)
        return record

    def _issue(self, key: tuple[str, str, str, str, str | None]) -> str:
        phone_id, app_id, environment, kind, activity_id = key
        token = secrets.token_hex(32)
        now = self.clock.now()
        self._records[token] = ApnsTokenRecord(
            token, app_id, phone_id, environment, now, kind=kind, activity_id=activity_id
        )
        self._active[key] = token
        self._emit(
            TokenIssued(
                at=now, provider=PROVIDER, token=token, app_id=app_id, phone_id=phone_id, kind=kind
            )
        )
        return token

    def _expiry(self, expiration: str | None, now: float) -> float | None:
        """When a stored push expires; None for ``apns-expiration: 0`` (never stored)."""
        if expiration is None:
            return now + self._storage_seconds
        try:
            value = int(expiration)
        except ValueError:  # validation rejects these; stay safe if called directly
            return now + self._storage_seconds
        return None if value == 0 else float(value)

    def _hand_over(
        self,
        inbox: Inbox,
        record: ApnsTokenRecord,
        push_id: str,
        headers: Mapping[str, str],
        payload: Mapping[str, Any],
        from_storage: bool,
    ) -> None:
        now = self.clock.now()
        # Emit first so the timeline reads delivered → displayed when the phone reacts at once.
        self._emit(
            NotificationDelivered(
                at=now,
                provider=PROVIDER,
                push_id=push_id,
                token=record.token,
                phone_id=record.phone_id,
                from_storage=from_storage,
            )
        )
        pending = self._pending.get(record.token)
        if pending is not None and pending.at is None:
            # The first push after the deletion reached the phone: the sliding schedule starts.
            self._pending[record.token] = replace(pending, at=now + self.invalidation_delay)
        inbox.push_arrived(record.token, push_id, headers, payload)

    def _discard(self, record: ApnsTokenRecord, push_id: str, reason: str) -> None:
        self._emit(
            NotificationDiscarded(
                at=self.clock.now(),
                provider=PROVIDER,
                push_id=push_id,
                token=record.token,
                phone_id=record.phone_id,
                reason=reason,
            )
        )


def _key(record: ApnsTokenRecord) -> tuple[str, str, str, str, str | None]:
    return (record.phone_id, record.app_id, record.environment, record.kind, record.activity_id)
