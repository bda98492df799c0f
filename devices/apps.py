"""An app installed on a phone: its lifecycle state, token and notification settings.

The permission rules themselves live in :mod:`devices.permissions`; this module holds the state.
Objects here use ``__slots__`` and create containers lazily: a load test holds 100,000 phones.
"""

from __future__ import annotations

import enum
from typing import Any

from devices.channels import Channels
from devices.permissions import AndroidPermission, IosAuthorization, Permission

__all__ = ["AndroidApp", "Answer", "AppState", "InstalledApp", "IosApp", "Permission"]


class Answer(enum.Enum):
    """What the user does with the permission prompt."""

    ALLOW = "allow"
    DENY = "deny"
    DISMISS = "dismiss"
    """Swiping the dialog away (Android) or leaving before answering: the state is unchanged
    (devices.md §2.1) and the prompt may show again."""


class AppState(enum.Enum):
    """Where the app's process is (devices.md, "Device model checklist")."""

    NOT_RUNNING = "not running"
    """Never launched since boot, suspended and reclaimed, or killed by the OS."""
    FOREGROUND = "foreground"
    BACKGROUND = "background"
    FORCE_QUIT = "force-quit"
    """iOS: swiped away in the app switcher; no background pushes until launched (§1.8)."""
    FORCE_STOPPED = "force-stopped"
    """Android: Settings > Force stop; no FCM messages at all until launched (§2.4)."""


#: What a simulated app's ``willPresent`` returns by default: show everything (one shared set).
PRESENT_ALL: frozenset[str] = frozenset({"banner", "list", "sound", "badge"})


class InstalledApp:
    """What both platforms keep per installed app."""

    __slots__ = (
        "_data_pushes",
        "app_id",
        "foreground_presentation",
        "old_tokens",
        "reports_received",
        "state",
        "token",
        "user_id",
    )

    def __init__(self, app_id: str, user_id: str) -> None:
        self.app_id = app_id
        self.user_id = user_id
        self.token: str | None = None
        self.old_tokens: tuple[str, ...] = ()
        """Tokens the OS replaced; the provider decides whether they still work (§1.4)."""
        self.state = AppState.NOT_RUNNING
        self.foreground_presentation: frozenset[str] = PRESENT_ALL
        """What the app's code does with a notification while in the foreground. iOS: the
        ``UNNotificationPresentationOptions`` its ``willPresent`` returns (empty = silenced,
        devices.md §1.9). Android: non-empty means ``onMessageReceived`` posts it itself."""
        self.reports_received = False
        """Whether the app reports "received" to its server when its code sees a push."""
        self._data_pushes: list[dict[str, Any]] | None = None

    @property
    def data_pushes(self) -> list[dict[str, Any]]:
        """Data pushes the app's code received, oldest first."""
        if self._data_pushes is None:
            self._data_pushes = []
        return self._data_pushes

    def holds(self, token: str) -> bool:
        """Whether pushes to ``token`` reach this app (its current or a rotated-away token)."""
        return token == self.token or token in self.old_tokens

    def all_tokens(self) -> list[str]:
        """Every token the provider issued to this app (uninstalling unregisters them all)."""
        return [t for t in (self.token, *self.old_tokens) if t is not None]

    @property
    def permission(self) -> Permission:
        raise NotImplementedError

    @property
    def enabled_in_settings(self) -> bool:
        """The app's "Allow Notifications" switch in Settings."""
        raise NotImplementedError


#: Capabilities an iOS app may declare, and the kind of token each gets at launch (PushKit VoIP,
#: ActivityKit push-to-start, PushToTalk, location push service; reference/apns.md §1.4, §5.3).
CAPABILITY_TOKENS = {
    "voip": "voip",
    "liveactivity": "pushtostart",
    "pushtotalk": "pushtotalk",
    "location": "location",
}

#: An iOS build's APNs environment: development builds get sandbox tokens, App Store, TestFlight
#: and ad-hoc builds production ones (reference/apns.md §1.1, "Device tokens differ per environment").
BUILD_ENVIRONMENTS = {"development": "sandbox", "production": "production"}


class IosApp(InstalledApp):
    """An iOS app: UserNotifications authorization, badge, held background push."""

    __slots__ = (
        "_activities",
        "_special",
        "authorization",
        "badge",
        "capabilities",
        "debugger_attached",
        "dismiss_categories",
        "environment",
        "held",
        "reports_calls",
        "voip_failures",
        "voip_stopped",
    )

    def __init__(
        self,
        app_id: str,
        user_id: str,
        authorization: IosAuthorization | None = None,
        *,
        build: str = "development",
        capabilities: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(app_id, user_id)
        self.environment = BUILD_ENVIRONMENTS[build]
        """The APNs environment of its tokens: ``"sandbox"`` or ``"production"``."""
        self.capabilities = capabilities
        """What it declared (``CAPABILITY_TOKENS``): each gives it a token of its own."""
        self._special: dict[str, str] | None = None  # kind -> token
        self._activities: dict[str, Any] | None = None  # activity id -> LiveActivity
        self.reports_calls = True
        """Whether the app reports each VoIP push to CallKit as an incoming call (iOS 13+
        terminates an app that does not)."""
        self.voip_failures = 0
        """VoIP pushes in a row the app did not report as calls."""
        self.voip_stopped = False
        """iOS stopped delivering VoIP pushes to it after repeated failures."""
        self.authorization = authorization or IosAuthorization()
        self.badge = 0
        self.dismiss_categories: frozenset[str] = frozenset()
        """Categories registered with ``customDismissAction``: only their dismissals reach the
        app (devices.md §1.9)."""
        self.debugger_attached = False
        """Xcode's debugger lifts the background-push throttle (§1.8)."""
        self.held: Any = None
        """The newest background push the throttle holds back (a ``HeldPush``), if any."""

    @property
    def special_tokens(self) -> dict[str, str]:
        """Its tokens other than the notification token, by kind (``voip``, ``pushtostart``…)."""
        if self._special is None:
            self._special = {}
        return self._special

    @property
    def activities(self) -> dict[str, Any]:
        """Its Live Activities (``devices.ios_activity.LiveActivity``) by id, dismissed included."""
        if self._activities is None:
            self._activities = {}
        return self._activities

    def special_kind(self, token: str) -> tuple[str, str | None] | None:
        """(kind, activity id) of a special token of this app, or None."""
        for kind, held in (self._special or {}).items():
            if held == token:
                return kind, None
        for activity in (self._activities or {}).values():
            if activity.token == token:
                return "liveactivity", activity.activity_id
        return None

    def holds(self, token: str) -> bool:
        return super().holds(token) or self.special_kind(token) is not None

    def all_tokens(self) -> list[str]:
        activities = (a.token for a in (self._activities or {}).values())
        return [*super().all_tokens(), *(self._special or {}).values(), *activities]

    @property
    def permission(self) -> Permission:
        return self.authorization.status

    @property
    def enabled_in_settings(self) -> bool:
        return self.authorization.enabled


class AndroidApp(InstalledApp):
    """An Android app: ``POST_NOTIFICATIONS``, notification channels, the delete intent."""

    __slots__ = ("channels", "default_channel", "delete_intent", "runtime_permission")

    def __init__(self, app_id: str, user_id: str, runtime_permission: AndroidPermission) -> None:
        super().__init__(app_id, user_id)
        self.runtime_permission = runtime_permission
        self.channels: Channels | None = None
        """A ``Channels`` once the app created one (API 26+)."""
        self.default_channel: str | None = None
        """The manifest's ``default_notification_channel_id`` (§2.2)."""
        self.delete_intent = False
        """Whether notifications the app posts itself carry a delete intent (dismissals are
        then reported); the FCM SDK's own notifications never do."""

    @property
    def permission(self) -> Permission:
        return self.runtime_permission.status

    @property
    def enabled_in_settings(self) -> bool:
        return self.runtime_permission.enabled
