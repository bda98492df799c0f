"""The sender's counters, as ``GET /v1/stats`` reports them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class Stats:
    """Counts over every notification (or over one, then without the token counters)."""

    requested: int
    """Notifications the API accepted."""
    sent: int
    """Pushes with a final outcome (one per token per notification)."""
    accepted: int
    """Pushes a provider accepted."""
    failed: dict[str, int]
    """Pushes finally refused, by APNs reason / FCM errorCode."""
    retries: int
    """Extra attempts after retryable answers."""
    duplicates: int
    """Outcomes recorded twice for one push (two instances sent it: one's lease ran out)."""
    auth_errors: int
    """Pushes refused because of the sender's own credentials (tokens were kept)."""
    received: int
    opened: int
    dismissed: int
    """Distinct devices that reported each engagement."""
    open_rate: float
    """``opened / accepted``."""
    tokens_pruned: int | None = None
    tokens_pruned_by_reason: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
