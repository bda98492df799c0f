"""When to sign a new APNs provider token (JWT): a sans-IO rule book, reference/apns.md §3.1.

Apple: refresh "no more than once every 20 minutes and no less than once every 60 minutes"; a
token older than an hour gets 403 ExpiredProviderToken; a new token more often than every 20
minutes on one connection gets 429 TooManyProviderTokenUpdates. One token is shared by every
connection, so renewing it at most once per ``min_interval`` keeps each connection within the
rule too.
"""

from __future__ import annotations

from collections.abc import Callable

DEFAULT_LIFETIME = 50 * 60.0
"""Seconds a token is reused before a new one is signed (before APNs' hour is up)."""
MIN_INTERVAL = 20 * 60.0
"""Never sign again sooner than this, even when APNs says the token expired."""


class ProviderTokens:
    """Holds the current provider token; ``sign(iat)`` makes one (no I/O, no clock reads)."""

    def __init__(
        self,
        sign: Callable[[int], str],
        *,
        lifetime: float = DEFAULT_LIFETIME,
        min_interval: float = MIN_INTERVAL,
    ) -> None:
        self._sign = sign
        self.lifetime = lifetime
        self.min_interval = min_interval
        self._token: str | None = None
        self._iat = 0.0
        self.signed = 0
        """How many tokens were signed so far."""

    def current(self, now: float) -> str:
        """The token to send at ``now``, signed anew when the last is ``lifetime`` old."""
        if self._token is None or now - self._iat >= self.lifetime:
            self._renew(now)
        assert self._token is not None
        return self._token

    def rejected_as_expired(self, used: str, now: float) -> bool:
        """APNs answered ExpiredProviderToken to ``used``; True when a retry may use a newer one.

        Pushes in flight with the same old token renew it once. A token younger than
        ``min_interval`` is not replaced: the clocks disagree, and churning tokens would only
        earn 429 TooManyProviderTokenUpdates.
        """
        if used != self._token:
            return self._token is not None
        if now - self._iat < self.min_interval:
            return False
        self._renew(now)
        return True

    def _renew(self, now: float) -> None:
        self._token = self._sign(int(now))
        self._iat = now
        self.signed += 1
