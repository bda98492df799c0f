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


Emit = Callable[[SenderEvent], None]


def discard_event(event: SenderEvent) -> None:
    """The default sink when nobody listens."""
