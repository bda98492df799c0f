"""What the fake Google Wallet API tells the timeline (``provider="gwallet"``)."""

from __future__ import annotations

from dataclasses import dataclass

from fakeproviders.events import ProviderEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class WalletObjectChanged(ProviderEvent):
    """The issuer inserted, updated or messaged a loyalty object (or its class)."""

    object_id: str
    class_id: str
    change: str
    """``"insert"``, ``"update"``, ``"patch"``, ``"message"``, ``"class"`` or ``"save"``."""
    push_id: str | None = None
    """The notification Google Wallet sends to the pass's holders, if this change notifies."""
    holders: int = 0
    """Phones holding the pass when it changed."""


@dataclass(frozen=True, kw_only=True, slots=True)
class WalletQuotaExceeded(ProviderEvent):
    """A notifying message or update over the per-pass quota was refused (403 quotaExceeded)."""

    object_id: str
    change: str
    used: int
    """Notifications already sent for the pass in the window."""
