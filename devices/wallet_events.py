"""What a phone's Wallet tells the timeline: passes added, refused, updated, removed, and the
user's per-pass switches. ``wallet`` says whose: ``"google"`` (Google Wallet on Android) or
``"apple"`` (Apple Wallet on iPhone). Notifications a pass shows are ordinary
``NotificationDisplayed`` / ``NotificationSuppressed`` events whose ``app_id`` is the Wallet app."""

from __future__ import annotations

from dataclasses import dataclass

from devices.events import DeviceEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class PassAdded(DeviceEvent):
    """The user added (Google: saved) a pass to the phone's Wallet."""

    wallet: str
    pass_id: str
    """Google: the loyalty object id; Apple: the serial number."""
    pass_type: str
    """Google: the loyalty class id; Apple: the pass type identifier."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PassRefused(DeviceEvent):
    """The Wallet would not add a pass (a bad link, a bad signature…), and why."""

    wallet: str
    reason: str
    source: str = ""
    """Where the pass came from (Apple: its download link, or ``"update"`` for a fetched one)."""
    pass_id: str | None = None
    """The pass an update was refused for (Apple keeps the version it has)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PassUpdated(DeviceEvent):
    """The Wallet got a newer version of a pass; it always keeps the latest data."""

    wallet: str
    pass_id: str
    changed: tuple[str, ...] = ()
    """Fields whose value changed (Google: dotted paths such as ``loyaltyPoints.balance``)."""
    push_id: str | None = None
    """The notification that came with the update, if any (shown or suppressed)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PassRemoved(DeviceEvent):
    """The user deleted a pass from the phone's Wallet."""

    wallet: str
    pass_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PassSettingChanged(DeviceEvent):
    """The user flipped a switch of one pass (``pass_id``) or of the whole Wallet (None)."""

    wallet: str
    pass_id: str | None
    setting: str
    """``"notifications"`` (Google: "Updates about your passes"; Apple: "Allow Notifications")
    or ``"automatic_updates"`` (Apple)."""
    enabled: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class PassRegistered(DeviceEvent):
    """Apple: the web service answered Wallet's registration of a pass for updates (201 new,
    200 again; reference/wallet.md §1)."""

    wallet: str
    pass_id: str
    pass_type: str
    device_library_id: str
    token: str
    """The pass type's push token Wallet handed over."""
    status: int


@dataclass(frozen=True, kw_only=True, slots=True)
class WalletLogged(DeviceEvent):
    """Apple: Wallet logged a web-service problem in the device's words and sends it to the
    service's ``/v1/log`` (reference/wallet.md §3)."""

    wallet: str
    pass_type: str
    message: str


@dataclass(frozen=True, kw_only=True, slots=True)
class WalletRequestRetried(DeviceEvent):
    """Apple: a call to a pass's web service failed (no answer, or a server error) and Wallet
    tries it again after ``delay`` seconds (reference/wallet.md §1; the schedule is [U])."""

    wallet: str
    method: str
    url: str
    status: int
    """The failed answer's HTTP status; 0 when none came (``error`` says why)."""
    error: str | None
    attempt: int
    """The try that failed (1 = the first)."""
    delay: float
