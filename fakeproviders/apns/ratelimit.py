"""Pushes per device token over a sliding window on the clock (sans-IO): 429 TooManyRequests,
"too many requests were made consecutively to the same device token" (reference/apns.md §2.4)."""

from __future__ import annotations

from collections import deque


class TokenRateLimiter:
    """At most ``limit`` requests per token within ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"need limit ≥ 1 and window > 0 (got {limit}, {window})")
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = {}

    def allow(self, token: str, now: float) -> bool:
        """Count a request to ``token`` at ``now``; False when it is over the limit."""
        times = self._seen.setdefault(token, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True
