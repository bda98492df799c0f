"""Notification permission models of iOS and Android, as small sans-IO state machines.

Each model answers two questions: does a request show the prompt (and with what result), and how
may an alert be presented now (or why not). Phones call them and turn the answers into events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from devices.errors import DeviceError

#: App Clips get ephemeral authorization "for up to eight hours" after a launch [U: Apple's App
#: Clip docs; reference/devices.md §1.1 did not research the duration].
EPHEMERAL_SECONDS = 8 * 3600.0


class Permission(enum.Enum):
    """The notification permission of an app, named as the platforms name it.

    iOS: ``UNAuthorizationStatus`` (reference/devices.md §1.1). Android: the ``POST_NOTIFICATIONS``
    runtime permission on API 33+ (§2.1), granted by default below 33.
    """

    NOT_DETERMINED = "notDetermined"
    AUTHORIZED = "authorized"
    DENIED = "denied"
    PROVISIONAL = "provisional"
    EPHEMERAL = "ephemeral"


@dataclass(frozen=True, slots=True)
class Presentation:
    """How an alert may be shown: always in the list (Notification Center, the shade)."""

    banner: bool
    sound: bool
    badge: bool


@dataclass(frozen=True, slots=True)
class PromptOutcome:
    """What a permission request did: ``shown`` the prompt, or ``skipped`` with the reason."""

    shown: bool
    reason: str | None = None


class IosAuthorization:
    """``UNAuthorizationStatus`` plus the per-app switches in Settings (devices.md §1.1-§1.3).

    ``enabled`` is the "Allow Notifications" switch, kept apart from ``status`` so the timeline can
    say whether the prompt or Settings turned notifications off.
    """

    __slots__ = ("alerts", "badges", "enabled", "ephemeral_until", "prompted", "sounds", "status")

    def __init__(self) -> None:
        self.status = Permission.NOT_DETERMINED
        self.enabled = True
        self.alerts = True
        self.sounds = True
        self.badges = True
        self.prompted = False
        self.ephemeral_until: float | None = None

    def request(self, answer: str, *, provisional: bool = False) -> PromptOutcome:
        """``requestAuthorization``; ``answer`` is ``"allow"``, ``"deny"`` or ``"dismiss"``."""
        if provisional:
            # Asking for .provisional shows no prompt (§1.1).
            if self.status is Permission.NOT_DETERMINED:
                self.status = Permission.PROVISIONAL
                return PromptOutcome(False, "provisional authorization needs no prompt")
            return PromptOutcome(False, "already determined")
        if self.prompted:
            # "The system prompts only the first time"; later calls return the answer (§1.2).
            return PromptOutcome(False, "asked before: iOS prompts only once")
        if self.status not in (Permission.NOT_DETERMINED, Permission.PROVISIONAL):
            return PromptOutcome(False, "already determined")
        if answer == "dismiss":
            return PromptOutcome(True)  # no answer recorded: the prompt may come back
        self.prompted = True
        self.status = Permission.AUTHORIZED if answer == "allow" else Permission.DENIED
        return PromptOutcome(True)

    def grant_ephemeral(self, now: float, seconds: float = EPHEMERAL_SECONDS) -> None:
        """An App Clip launch: authorized for a limited time, no prompt (§1.1)."""
        if self.status in (Permission.NOT_DETERMINED, Permission.EPHEMERAL):
            self.status = Permission.EPHEMERAL
            self.ephemeral_until = now + seconds

    def set_enabled(self, enabled: bool) -> None:
        """The "Allow Notifications" switch. Turning it on for a denied app authorizes it."""
        if self.status is Permission.NOT_DETERMINED:
            raise DeviceError("the app has not asked for notifications: Settings has no switch")
        self.enabled = enabled
        if enabled and self.status is Permission.DENIED:
            self.status = Permission.AUTHORIZED
            self.alerts = self.sounds = self.badges = True

    def set_option(self, setting: str, on: bool) -> None:
        """Settings > Notifications > the app: ``alerts``, ``sounds`` or ``badges``."""
        if setting not in ("alerts", "sounds", "badges"):
            raise DeviceError(f"unknown setting {setting!r}: use alerts, sounds or badges")
        if self.status is Permission.NOT_DETERMINED:
            raise DeviceError("the app has not asked for notifications: Settings has no switch")
        setattr(self, setting, on)

    def promote(self) -> None:
        """Provisional → authorized ("Keep… Deliver Prominently"): the requested options (all
        three here) become the app's settings (§1.1)."""
        if self.status is not Permission.PROVISIONAL:
            raise DeviceError(f"only provisional apps can be promoted, not {self.status.value}")
        self.status = Permission.AUTHORIZED
        self.alerts = self.sounds = self.badges = True

    def presentation(self, now: float) -> Presentation | str:
        """How an alert may be shown now, or why it is not shown at all."""
        if not self.enabled:
            return "notifications turned off in Settings"
        status = self.status
        if status is Permission.NOT_DETERMINED:
            return "permission not determined"
        if status is Permission.DENIED:
            return "permission denied"
        if status is Permission.EPHEMERAL and (
            self.ephemeral_until is None or now >= self.ephemeral_until
        ):
            return "ephemeral authorization expired"
        if status is Permission.PROVISIONAL:
            # Notification Center only: no banner, no sound, no lock screen (§1.1).
            return Presentation(banner=False, sound=False, badge=False)
        # All switches off still lists it quietly (§1.1, "authorized but everything off").
        return Presentation(banner=self.alerts, sound=self.sounds, badge=self.badges)


class AndroidPermission:
    """``POST_NOTIFICATIONS`` (API 33+) and the app's notifications switch (devices.md §2.1)."""

    __slots__ = ("denials", "enabled", "status")

    def __init__(self, api_level: int) -> None:
        # New installs on 33+ are off until granted; below 33 posting is allowed by default.
        self.status = Permission.NOT_DETERMINED if api_level >= 33 else Permission.AUTHORIZED
        self.enabled = True
        self.denials = 0

    @property
    def should_show_rationale(self) -> bool:
        """``shouldShowRequestPermissionRationale``: true after exactly one denial."""
        return self.denials == 1 and self.status is Permission.DENIED

    def request(self, answer: str, *, api_level: int) -> PromptOutcome:
        """``requestPermissions(POST_NOTIFICATIONS)``."""
        if api_level < 33:
            return PromptOutcome(False, "no runtime permission below API 33")
        if self.status is Permission.AUTHORIZED:
            return PromptOutcome(False, "already granted")
        if self.denials >= 2:
            # The second "Don't allow" means don't ask again: requests fail silently (§2.1).
            return PromptOutcome(False, "denied twice: only Settings can grant it now")
        if answer == "allow":
            self.status = Permission.AUTHORIZED
            self.enabled = True
        elif answer == "deny":
            self.status = Permission.DENIED
            self.denials += 1
        # "dismiss": swiping the dialog away leaves the state unchanged (§2.1).
        return PromptOutcome(True)

    def set_enabled(self, enabled: bool, *, api_level: int) -> None:
        """Settings > Apps > the app > Notifications. On 33+ switching it on grants the
        permission (it is the same switch, §2.1)."""
        self.enabled = enabled
        if enabled and api_level >= 33 and self.status is not Permission.AUTHORIZED:
            self.status = Permission.AUTHORIZED

    def upgrade_to_33(self, has_channel: bool) -> None:
        """The device was upgraded to Android 13: eligible apps (a channel, not disabled by the
        user) are pre-granted; a disabled app stays disabled (§2.1)."""
        if self.status is not Permission.AUTHORIZED:
            return
        if not self.enabled:
            self.status = Permission.DENIED
        elif not has_channel:
            self.status = Permission.NOT_DETERMINED

    def blocked_reason(self) -> str | None:
        """Why the app may not post now, or ``None``."""
        if not self.enabled:
            return "notifications turned off in Settings"
        if self.status is Permission.NOT_DETERMINED:
            return "permission not determined"
        if self.status is Permission.DENIED:
            return "permission denied"
        return None
