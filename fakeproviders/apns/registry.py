"""The fake APNs's device side: tokens, connected phones and the offline store.

``ApnsRegistry`` implements the ``PushService`` protocol that ``devices`` declares (structurally,
without importing it) plus what the HTTP/2 server needs (``lookup``, ``deliver``). It is sans-IO:
it reads the injected clock, never sleeps, and reports everything as timeline events. All state
stays behind its methods, so it can later move to Redis (DESIGN.md, "Growing past one process").
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from fakeproviders.apns.errors import UnknownToken
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

#: How long APNs keeps a push without ``apns-expiration`` for an offline device
#: (reference/devices.md §1.6: "up to 30 days").
DEFAULT_STORAGE_SECONDS = 30 * 24 * 3600.0


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
    """When the app was uninstalled; later sends get 410 Unregistered with this time."""


@dataclass(frozen=True, slots=True)
class _StoredPush:
    push_id: str
    headers: Mapping[str, str]
    payload: Mapping[str, Any]
    expires_at: float


class ApnsRegistry:
    """Device tokens, online phones and one stored push per app (reference/devices.md §1.6)."""

    def __init__(
        self,
        clock: Clock,
        emit: Emit = discard_event,
        environment: str = "sandbox",
        *,
        storage_seconds: float = DEFAULT_STORAGE_SECONDS,
    ) -> None:
        self.clock = clock
        self.environment = environment
        self._emit = emit
        self._storage_seconds = storage_seconds
        self._records: dict[str, ApnsTokenRecord] = {}
        self._active: dict[tuple[str, str], str] = {}  # (phone_id, app_id) -> valid token
        self._inboxes: dict[str, Inbox] = {}  # online phones
        # phone_id -> token -> the one stored push of that app (indexed by phone for connect)
        self._stored: dict[str, dict[str, _StoredPush]] = {}

    # -- PushService ---------------------------------------------------------------------------

    def register(self, phone_id: str, app_id: str) -> str:
        """The token for ``app_id`` on ``phone_id``: 32 random bytes as 64 lowercase hex.

        An app that asks again while its token is valid gets the same token back, as iOS does on
        every ``registerForRemoteNotifications``.
        """
        existing = self._active.get((phone_id, app_id))
        if existing is not None:
            return existing
        token = secrets.token_hex(32)
        now = self.clock.now()
        self._records[token] = ApnsTokenRecord(token, app_id, phone_id, self.environment, now)
        self._active[(phone_id, app_id)] = token
        self._emit(
            TokenIssued(at=now, provider=PROVIDER, token=token, app_id=app_id, phone_id=phone_id)
        )
        return token

    def unregister(self, token: str) -> None:
        """The app was uninstalled: from now on the token gets 410 Unregistered."""
        record = self._records.get(token)
        if record is None:
            raise UnknownToken(token)
        if record.invalidated_at is not None:
            return
        now = self.clock.now()
        self._records[token] = replace(record, invalidated_at=now)
        self._active.pop((record.phone_id, record.app_id), None)
        self._emit(
            TokenInvalidated(
                at=now,
                provider=PROVIDER,
                token=token,
                app_id=record.app_id,
                phone_id=record.phone_id,
                reason="uninstalled",
            )
        )
        stored = self._stored.get(record.phone_id, {}).pop(token, None)
        if stored is not None:
            self._discard(record, stored.push_id, "unregistered")

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
        """The record of ``token``, or None if this registry never issued it."""
        return self._records.get(token)

    def is_connected(self, phone_id: str) -> bool:
        """Whether ``phone_id`` is online."""
        return phone_id in self._inboxes

    def deliver(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        """Hand an accepted push to the phone now, or store it while the phone is offline.

        ``headers`` are the ``apns-*`` headers with defaults filled in; ``apns-expiration``
        decides storage (reference/apns.md §1.3): ``0`` means one attempt and no storage, a
        past date means already expired, none means the storage limit (30 days).
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
            # One stored push per app: the newest wins (reference/devices.md §1.6).
            self._discard(record, older.push_id, "replaced")
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

    # -- internals -----------------------------------------------------------------------------

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
        # Emit first so the timeline reads delivered → displayed when the phone reacts at once.
        self._emit(
            NotificationDelivered(
                at=self.clock.now(),
                provider=PROVIDER,
                push_id=push_id,
                token=record.token,
                phone_id=record.phone_id,
                from_storage=from_storage,
            )
        )
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
