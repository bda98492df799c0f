"""What phones tell the timeline: frozen, past-tense events.

Field names follow the timeline's convention: ``phone_id``, ``app_id``, ``user_id``, ``token`` are
actors; ``push_id`` (the provider's ``apns-id`` or FCM message name) and ``notification_id`` (the
sender's id, read from the payload when the sender put one there) tie a push to its sender request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class DeviceEvent:
    at: float
    """When it happened, on the phone's clock (seconds since the epoch)."""
    phone_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AppInstalled(DeviceEvent):
    app_id: str
    user_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AppUninstalled(DeviceEvent):
    app_id: str
    token: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class PermissionAnswered(DeviceEvent):
    """The user answered (or dismissed) the notification permission prompt."""

    app_id: str
    answer: str
    """``"allow"``, ``"deny"`` or ``"dismiss"``."""
    permission: str
    """The resulting state, e.g. ``"authorized"`` or ``"denied"``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationSettingChanged(DeviceEvent):
    """The user switched the app's notifications on or off in Settings."""

    app_id: str
    enabled: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenReceived(DeviceEvent):
    """The OS handed the app its push token (at every launch, per the platforms' advice)."""

    app_id: str
    token: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationDisplayed(DeviceEvent):
    app_id: str
    token: str
    push_id: str
    notification_id: str | None
    entry_id: str
    """The tray entry to tap or dismiss."""
    title: str | None
    body: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationSuppressed(DeviceEvent):
    """An alert push reached the phone but was not shown."""

    app_id: str
    token: str
    push_id: str
    notification_id: str | None
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DataPushReceived(DeviceEvent):
    """The app's code got a data (silent) push."""

    app_id: str
    token: str
    push_id: str
    notification_id: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingMessagesDeleted(DeviceEvent):
    """Android: FCM discarded the messages it held for the app; ``onDeletedMessages`` ran."""

    app_id: str
    token: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PushDropped(DeviceEvent):
    """A push arrived for a token no installed app holds any more."""

    token: str
    push_id: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationTapped(DeviceEvent):
    app_id: str
    push_id: str
    notification_id: str | None
    entry_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationDismissed(DeviceEvent):
    app_id: str
    push_id: str
    notification_id: str | None
    entry_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PhoneWentOffline(DeviceEvent):
    pass


@dataclass(frozen=True, kw_only=True, slots=True)
class PhoneCameOnline(DeviceEvent):
    pass


Emit = Callable[[DeviceEvent], None]


def discard_event(event: DeviceEvent) -> None:
    """The default sink when nobody listens."""
