"""What the FCM registry hands out and answers: tokens, registrations, delivery outcomes.

Plain types and helpers shared by :mod:`.registry` and the front ends (sans-IO).
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from fakeproviders.fcm.errors import FakeFcmError

#: reference/fcm.md §0.7: the default (and maximum) Android time to live, four weeks.
DEFAULT_TTL = 2_419_200
#: reference/fcm.md §1.2: FCM's default ``apns-expiration`` is 30 days.
DEFAULT_APNS_EXPIRATION = 30 * 86_400
# Real tokens: an instance id, ':', then an opaque part (``APA91b…``), ~150 chars in all
# (reference/fcm.md §1.3). The exact rule Google applies is unknown [U]; this one accepts every
# token shape seen in the wild and rejects things like "not-a-token".
WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{8,64}:[A-Za-z0-9_-]{32,4096}")


class UnknownToken(FakeFcmError, KeyError):
    """FCM never issued this token."""


class Platform(enum.StrEnum):
    ANDROID = "android"
    IOS = "ios"


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
    """``"uninstalled"``, ``"stale"`` or ``"rotated"`` once the token no longer works."""
    platform: str = Platform.ANDROID
    project_id: str = ""
    issued_at: float = 0.0


def new_token() -> str:
    """A token shaped like a real one: 22-char instance id, ``:``, ``APA91b`` + 134 chars.

    The instance id is the app instance's FID (Firebase Installation ID: 22 url-safe chars
    starting with c, d, e or f, the 0111 prefix of the FID spec), so ``fid`` sends reach it.
    """
    fid = secrets.choice("cdef") + secrets.token_urlsafe(16)[:21]
    return f"{fid}:APA91b{secrets.token_urlsafe(101)[:134]}"


def fid_of(token: str) -> str:
    """The FID part of a token the registry issued."""
    return token.split(":", 1)[0]


def ttl_seconds(headers: Mapping[str, str]) -> float:
    raw = headers.get("ttl")
    if raw is None:
        return float(DEFAULT_TTL)
    try:
        return float(raw.removesuffix("s"))
    except ValueError:
        return float(DEFAULT_TTL)


def apns_expiry(headers: Mapping[str, str], now: float) -> float:
    """``apns-expiration``: UNIX seconds, 0 = now or never; FCM's default is 30 days (§1.2)."""
    raw = headers.get("apns-expiration")
    try:
        value = int(raw) if raw is not None else None
    except ValueError:
        value = None
    if value is None:
        return now + DEFAULT_APNS_EXPIRATION
    return now if value == 0 else float(value)
