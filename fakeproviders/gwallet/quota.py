"""The per-pass notification quota: at most N notifying messages or updates per window (sans-IO).

reference/wallet.md §7: "max 3 notifying messages/updates per pass per 24 h"; both kinds count
together (devices.md §5.2). The window is rolling (its kind is [U]; see ``WalletOptions``).
"""

from __future__ import annotations

from collections import deque


class NotificationQuota:
    """Counts notifications per pass on the injected clock's times."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._sent: dict[str, deque[float]] = {}

    def allows(self, pass_id: str, now: float) -> bool:
        """Whether one more notification for ``pass_id`` fits at ``now``."""
        return self.used(pass_id, now) < self.limit

    def take(self, pass_id: str, now: float) -> None:
        """Count one notification for ``pass_id`` at ``now``."""
        self._sent.setdefault(pass_id, deque()).append(now)

    def used(self, pass_id: str, now: float) -> int:
        """Notifications for ``pass_id`` within the window ending at ``now``."""
        sent = self._sent.get(pass_id)
        if sent is None:
            return 0
        while sent and sent[0] <= now - self.window:
            sent.popleft()
        if not sent:
            del self._sent[pass_id]
            return 0
        return len(sent)
