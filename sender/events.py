"""What the sender tells the timeline: frozen, past-tense events.

Field names follow the timeline's convention so one notification can be followed across packages:
``notification_id`` is the sender's id, ``push_id`` the provider's (``apns-id`` or FCM message
``name``), and ``user_id``, ``token``, ``app_id`` name the actors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class SenderEvent:
    at: float
    """When it happened, on the sender's clock (seconds since the epoch)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationRequested(SenderEvent):
    """The API accepted (and persisted) a notification request."""

    notification_id: str
    user_id: str
    """The target user, or ``""`` for other targets (see ``target``)."""
    kind: str
    """``"alert"`` or ``"data"``."""
    target: str = ""
    """``user:<id>``, ``users:<count>``, ``segment:<name>``, ``topic:<name>`` or ``everyone``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PushSent(SenderEvent):
    """A provider accepted one push (APNs 200, FCM 200)."""

    notification_id: str
    user_id: str
    token: str
    app_id: str
    platform: str
    push_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PushRetried(SenderEvent):
    """A push got a retryable answer; the sender waits ``delay`` seconds and tries again."""

    notification_id: str
    token: str
    status: int
    reason: str
    delay: float


@dataclass(frozen=True, kw_only=True, slots=True)
class PushFailed(SenderEvent):
    """A push was finally refused (or the provider could not be reached)."""

    notification_id: str
    user_id: str
    token: str
    app_id: str
    platform: str
    push_id: str | None
    status: int
    """The HTTP status; ``0`` when no HTTP answer was received."""
    reason: str
    """The APNs ``reason`` or FCM ``errorCode``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenPruned(SenderEvent):
    """A token was deactivated because the provider said it is dead."""

    token: str
    user_id: str
    app_id: str
    reason: str
    notification_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EngagementRecorded(SenderEvent):
    """An app reported what the user did with a notification."""

    notification_id: str
    token: str
    event: str
    """``"received"``, ``"opened"`` or ``"dismissed"``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CardIssued(SenderEvent):
    """A loyalty card was issued to a user (an Apple pass or a Google Wallet object)."""

    card_id: str
    user_id: str
    platform: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CardChanged(SenderEvent):
    """A card's points or tier changed (its new ``version``)."""

    card_id: str
    version: int
    points: int
    tier: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CardUpdatePushed(SenderEvent):
    """A device was told of a card change: an APNs pass push (``token``) or a Google Wallet
    PATCH (``token`` = ``"google-wallet"``); ``status`` 200 when accepted."""

    card_id: str
    version: int
    token: str
    status: int
    reason: str | None = None
    push_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CardPushRetried(SenderEvent):
    """A card's update push will be sent again after ``delay`` seconds (APNs 429/5xx, or no
    answer); it waits in the outbox meanwhile."""

    card_id: str
    version: int
    token: str
    status: int
    reason: str
    delay: float


@dataclass(frozen=True, kw_only=True, slots=True)
class PassDeviceRegistered(SenderEvent):
    """PassKit web service: a device registered a pass for updates (``created`` False: again)."""

    card_id: str
    device_library_id: str
    push_token: str
    created: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class PassDeviceUnregistered(SenderEvent):
    """A device's registration for a pass ended: ``"device"`` (it asked) or the APNs reason."""

    card_id: str
    device_library_id: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PassServed(SenderEvent):
    """The web service answered a request for a pass: 200 with the pass, or 304 unchanged."""

    card_id: str
    status: int
    version: int


@dataclass(frozen=True, kw_only=True, slots=True)
class PassLogReceived(SenderEvent):
    """A device reported a web-service error through ``POST /v1/log``."""

    message: str


Emit = Callable[[SenderEvent], None]


def discard_event(event: SenderEvent) -> None:
    """The default sink when nobody listens."""
