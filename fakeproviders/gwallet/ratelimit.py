"""A token bucket on the injected clock: Google's 20 requests/s for the Wallet API (sans-IO)."""

from __future__ import annotations


class RateLimit:
    """``rate`` requests per second, with bursts of as many."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self._tokens = rate
        self._at = now

    def allow(self, now: float) -> bool:
        """Take one request's token at ``now``; False when the bucket is empty."""
        self._tokens = min(self.rate, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
