"""An app installed on a phone, and its notification permission."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Permission(enum.Enum):
    """The notification permission of an app, named as the platforms name it.

    iOS: ``UNAuthorizationStatus`` (reference/devices.md §1.1). Android: the ``POST_NOTIFICATIONS``
    runtime permission on API 33+ (§2.1), granted by default below 33.
    """

    NOT_DETERMINED = "notDetermined"
    AUTHORIZED = "authorized"
    DENIED = "denied"


class Answer(enum.Enum):
    """What the user does with the permission prompt."""

    ALLOW = "allow"
    DENY = "deny"
    DISMISS = "dismiss"
    """Android only: swiping the dialog away leaves the state unchanged (devices.md §2.1)."""


@dataclass(kw_only=True)
class InstalledApp:
    app_id: str
    user_id: str
    permission: Permission
    enabled_in_settings: bool = True
    """The "Allow Notifications" switch in Settings."""
    token: str | None = None
    data_pushes: list[dict[str, Any]] = field(default_factory=list)
    """Data pushes the app's code received, oldest first."""

    def suppression_reason(self) -> str | None:
        """Why an alert would not be shown now, or ``None`` when it would."""
        if self.permission is Permission.NOT_DETERMINED:
            return "permission not determined"
        if self.permission is Permission.DENIED:
            return "permission denied"
        if not self.enabled_in_settings:
            return "notifications turned off in Settings"
        return None
