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
    """The app was installed and launched for the first time, signed in as ``user_id``."""

    app_id: str
    user_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AppUninstalled(DeviceEvent):
    """The app was deleted from the phone; its provider is told (its rules decide when the token
    dies)."""

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
class PermissionPromptSkipped(DeviceEvent):
    """The app asked for notification permission but no prompt was shown, and why
    (asked before, two denials, provisional request, no runtime permission below API 33)."""

    app_id: str
    reason: str
    permission: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationSettingChanged(DeviceEvent):
    """The user switched the app's notifications on or off in Settings."""

    app_id: str
    enabled: bool
    setting: str = "notifications"
    """``"notifications"`` (the whole app), ``"alerts"``, ``"sounds"``, ``"badges"``, or
    ``"promoted"`` (provisional → authorized)."""
    permission: str | None = None
    """The permission afterwards, when the change moved it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class AppStateChanged(DeviceEvent):
    """The app moved between foreground, background, not running, force-quit / force-stopped."""

    app_id: str
    state: str
    previous: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenRotated(DeviceEvent):
    """The OS replaced the app's token; the app reports the new one at its next launch."""

    app_id: str
    old_token: str
    token: str
    reason: str
    """``"restore"``, ``"reinstall"``, ``"clear data"`` or ``"os update"``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class AppDataCleared(DeviceEvent):
    """Android: the user cleared the app's data (Settings > Storage > Clear data)."""

    app_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PhoneRestored(DeviceEvent):
    """The phone's apps were restored from a backup onto a new device."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PhoneWiped(DeviceEvent):
    """Erase all content and settings: every app and its permission are gone."""


@dataclass(frozen=True, kw_only=True, slots=True)
class OsUpdated(DeviceEvent):
    """The phone got a new OS version (on iOS the app tokens may rotate)."""

    version: str
    """iOS version or Android API level, as text."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelChanged(DeviceEvent):
    """Android: a notification channel was created by the app or changed by the user (§2.2)."""

    app_id: str
    channel_id: str
    importance: str
    blocked: bool
    by: str
    """``"app"`` (created it) or ``"user"`` (changed it in Settings)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenReceived(DeviceEvent):
    """The OS handed the app its push token (at every launch, per the platforms' advice)."""

    app_id: str
    token: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SpecialTokenReceived(DeviceEvent):
    """iOS: the app got a token other than its notification token: ``voip`` (PushKit),
    ``pushtostart`` or ``liveactivity`` (ActivityKit, one per activity), ``pushtotalk``,
    ``location``. Pushes of that kind must go to it (reference/apns.md §1.4)."""

    app_id: str
    kind: str
    token: str
    activity_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class LiveActivityChanged(DeviceEvent):
    """iOS: a Live Activity on the lock screen changed: ``started``, ``updated``, ``ended``,
    ``stale``, ``dismissed`` (``devices/ios_activity.py``)."""

    app_id: str
    activity_id: str
    change: str
    token: str
    """The activity's own push token."""
    content_state: Mapping[str, Any] = field(default_factory=dict)
    relevance_score: float = 0.0
    stale_at: float | None = None
    dismiss_at: float | None = None
    push_id: str | None = None
    """The push that made the change (None for the app's own calls and for changes of time)."""
    alert_title: str | None = None
    alert_body: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class VoipPushReceived(DeviceEvent):
    """iOS: PushKit handed a VoIP push to the app; ``reported_call`` says whether the app
    reported an incoming call to CallKit, as iOS 13+ requires."""

    app_id: str
    token: str
    push_id: str
    reported_call: bool
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class AppTerminated(DeviceEvent):
    """iOS terminated the app, and why (a VoIP push not reported as a call)."""

    app_id: str
    reason: str
    push_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class VoipPushesStopped(DeviceEvent):
    """iOS stopped delivering VoIP pushes to the app after repeated failures to report calls."""

    app_id: str
    failures: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SpecialPushReceived(DeviceEvent):
    """iOS: a push-to-talk or location push reached the code that handles it (``callback``)."""

    app_id: str
    kind: str
    token: str
    push_id: str
    callback: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationDisplayed(DeviceEvent):
    """An alert was shown: on the lock screen or in the tray (``entry_id`` names it for tap and
    dismiss)."""

    app_id: str
    token: str
    push_id: str
    notification_id: str | None
    entry_id: str
    """The tray entry to tap or dismiss."""
    title: str | None
    body: str | None
    banner: bool = True
    """Presented on screen (iOS banner / lock screen, Android heads-up); False when it only went
    to the list (provisional, passive, alerts off, a low-importance channel)."""
    sound: bool = False
    """A sound was played."""
    replaced_entry_id: str | None = None
    """The entry it replaced (same ``apns-collapse-id`` or Android ``tag``)."""
    thread_id: str | None = None
    channel_id: str | None = None
    posted_by: str = "system"
    """``"system"`` (the OS or the FCM SDK) or ``"app"`` (the app's code posted it)."""


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
    callback: str = ""
    """The platform callback that ran, e.g. ``onMessageReceived`` or
    ``application:didReceiveRemoteNotification``."""
    held_since: float | None = None
    """iOS: when the system started holding this background push (throttled), if it did."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationHandedToApp(DeviceEvent):
    """A notification push reached the app's code instead of the tray (the app is in the
    foreground: Android ``onMessageReceived``, iOS ``willPresent``; devices.md §1.9, §2.3)."""

    app_id: str
    token: str
    push_id: str
    notification_id: str | None
    callback: str
    title: str | None
    body: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class BackgroundPushHeld(DeviceEvent):
    """iOS: a background push is held back by the throttle (devices.md §1.8); only the newest
    held one per app survives, delivered when the user launches the app."""

    app_id: str
    token: str
    push_id: str
    notification_id: str | None
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BadgeChanged(DeviceEvent):
    """The app icon's badge changed (``aps.badge``; 0 clears it, devices.md §1.7)."""

    app_id: str
    badge: int
    push_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingMessagesDeleted(DeviceEvent):
    """Android: FCM discarded the messages it held for the app; ``onDeletedMessages`` ran."""

    app_id: str
    token: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PushDropped(DeviceEvent):
    """The phone threw a push away before any app code or tray saw it: a token no installed app
    holds any more, a force-stopped Android app, a force-quit iOS app's background push…"""

    token: str
    push_id: str
    reason: str
    app_id: str | None = None
    notification_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationTapped(DeviceEvent):
    """The user tapped the notification: the app opens and reports it to its server."""

    app_id: str
    push_id: str
    notification_id: str | None
    entry_id: str
    action: str = "default"
    """``"default"`` (a tap on the notification) or the id of a custom action button."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """The payload the app was opened with."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationDismissed(DeviceEvent):
    """The user swiped the notification away."""

    app_id: str
    push_id: str
    notification_id: str | None
    entry_id: str
    reported: bool = False
    """Whether the app was told (iOS ``customDismissAction``, Android delete intent; §1.9)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PhoneWentOffline(DeviceEvent):
    """The phone lost its connection; providers store pushes for it."""

    pass


@dataclass(frozen=True, kw_only=True, slots=True)
class PhoneCameOnline(DeviceEvent):
    """The phone is online again; providers hand over what they stored."""

    pass


Emit = Callable[[DeviceEvent], None]


def discard_event(event: DeviceEvent) -> None:
    """The default sink when nobody listens."""
