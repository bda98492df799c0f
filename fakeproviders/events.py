"""What the fakes tell the timeline: frozen, past-tense events.

Field names follow the timeline's convention, so that one notification can be followed across
packages: ``phone_id``, ``app_id``, ``token`` name the actors; ``push_id`` (the ``apns-id`` for APNs,
the message ``name`` for FCM) is the provider's correlation id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class ProviderEvent:
    at: float
    """When it happened, on the provider's clock (seconds since the epoch)."""
    provider: str
    """``"apns"`` or ``"fcm"``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenIssued(ProviderEvent):
    """The provider issued a token for an app on a phone."""

    token: str
    app_id: str
    phone_id: str
    kind: str = "notification"
    """APNs: what the token is for (notification, voip, liveactivity, pushtostart, pushtotalk,
    location); FCM tokens are all ``"notification"``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenInvalidated(ProviderEvent):
    """The provider considers the token dead from ``at`` on: sends get 410 / UNREGISTERED."""

    token: str
    app_id: str
    phone_id: str
    reason: str
    """Why: ``"uninstalled"``, ``"stale"``, ``"rotated"``…"""


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationAccepted(ProviderEvent):
    """The provider answered a send 200 and took the push."""

    push_id: str
    token: str
    app_id: str
    phone_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationRejected(ProviderEvent):
    """The provider refused a send: ``status`` and ``reason`` are what it answered."""

    push_id: str
    token: str | None
    status: int
    reason: str
    """The wire reason: an APNs ``reason`` or an FCM ``errorCode``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationStored(ProviderEvent):
    """The phone was offline; the provider keeps the push for later."""

    push_id: str
    token: str
    phone_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationDiscarded(ProviderEvent):
    """A stored push that will never be delivered (replaced, expired, over the limit)."""

    push_id: str
    token: str
    phone_id: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationDelivered(ProviderEvent):
    """The push reached the phone (at once, or from storage when it came online)."""

    push_id: str
    token: str
    phone_id: str
    from_storage: bool = False


Emit = Callable[[ProviderEvent], None]


def discard_event(event: ProviderEvent) -> None:
    """The default sink when nobody listens."""
