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

    @property
    def permission(self) -> Permission:
        raise NotImplementedError

    @property
    def enabled_in_settings(self) -> bool:
        """The app's "Allow Notifications" switch in Settings."""
        raise NotImplementedError


#: An iOS build's APNs environment: development builds get sandbox tokens, App Store, TestFlight
#: and ad-hoc builds production ones (reference/apns.md §1.1, "Device tokens differ per environment").
BUILD_ENVIRONMENTS = {"development": "sandbox", "production": "production"}


class IosApp(InstalledApp):
    """An iOS app: UserNotifications authorization, badge, held background push."""

    __slots__ = (
        "authorization",
        "badge",
        "debugger_attached",
        "dismiss_categories",
        "environment",
        "held",
    )

    def __init__(
        self,
        app_id: str,
        user_id: str,
        authorization: IosAuthorization | None = None,
        *,
        build: str = "development",
    ) -> None:
        super().__init__(app_id, user_id)
        self.environment = BUILD_ENVIRONMENTS[build]
        """The APNs environment of its tokens: ``"sandbox"`` or ``"production"``."""
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
