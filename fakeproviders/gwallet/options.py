"""Settings of the fake Google Wallet API: where Google's behaviour is unknown ([U] in
reference/wallet.md) or where tests need a switch, the choice is here with its default and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class WalletOptions:
    """Tunable behaviour of the fake Wallet API. The defaults follow Google as far as known."""

    notifications_per_window: int = 3
    """Notifying messages and updates allowed per pass per window (reference/wallet.md §7)."""
    quota_window: float = 86_400.0
    """The window, in seconds: "3 per pass in 24 h". Rolling or per calendar day is [U]: rolling."""
    refuse_update_over_quota: bool = True
    """A notifying PATCH/PUT over the quota: Google documents QuotaExceeded for notifications
    (§7) but not what happens to the update itself [U]. True answers the 403 and applies
    nothing; False applies the update without a notification."""
    notify_fields: tuple[str, ...] = ("loyaltyPoints.balance", "secondaryLoyaltyPoints.balance")
    """Object fields whose change notifies under ``NOTIFY_ON_UPDATE``: Google allowlists fields
    and names ``loyaltyPoints.balance`` "and others"; the full list is [U] (§7)."""
    class_notify_fields: tuple[str, ...] = ("rewardsTier",)
    """Class fields whose change notifies every pass of the class under ``NOTIFY_ON_UPDATE``
    (Google names ``rewardsTier`` for loyalty, §7; the rest is [U]). Each pass's quota counts;
    a pass over it gets the update without a notification [U]."""
    require_state: bool = True
    """An object without ``state`` is refused: documented as required, enforcement [U] (§6)."""
    requests_per_second: float | None = 20.0
    """Google's documented rate limit for the Wallet API (reference/wallet.md §6, [C G8]), on
    the injected clock with a burst of as many; over it the answer is 429 ``rateLimitExceeded``
    (its exact body is [U]). None turns the limit off."""
    request_log_size: int = 10_000
    """How many entries ``FakeGoogleWallet.request_log`` keeps."""
