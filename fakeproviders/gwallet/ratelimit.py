"""A token bucket on the injected clock: Google's 20 requests/s for the Wallet API (sans-IO)."""

from __future__ import annotations


class RateLimit:
    """``rate`` requests per second, with bursts of as many (at least one: a rate below 1/s
    still lets a request through once enough time has passed)."""

    def __init__(self, rate: float, now: float) -> None:
        if not rate > 0:
            raise ValueError(f"need a rate > 0 requests per second (got {rate})")
        self.rate = rate
        self._burst = max(rate, 1.0)
        self._tokens = self._burst
        self._at = now

    def allow(self, now: float) -> bool:
        """Take one request's token at ``now``; False when the bucket is empty."""
        self._tokens = min(self._burst, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
