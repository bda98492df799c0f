"""What to do with a provider's answer: pure decisions, no I/O.

Prune rules: APNs 410 Unregistered / ExpiredToken, 400 BadDeviceToken / DeviceTokenNotForTopic
(reference/apns.md §2.4: "don't retry"), FCM 404 UNREGISTERED (reference/fcm.md §2.2). A 410
whose timestamp is older than the token's registration does not prune: the app handed the token
over again after APNs stopped accepting it (Apple: compare the timestamp with when you last got
the token). Retry rules: APNs 429 TooManyRequests and 5xx, FCM QUOTA_EXCEEDED, UNAVAILABLE and
INTERNAL (reference/fcm.md §2.2), with bounded exponential backoff or the server's Retry-After.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

_APNS_PRUNE: dict[int, frozenset[str]] = {
    400: frozenset({"BadDeviceToken", "DeviceTokenNotForTopic"}),
    410: frozenset({"Unregistered", "ExpiredToken"}),
}
_FCM_PRUNE = frozenset({"UNREGISTERED"})
_FCM_RETRY = frozenset({"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED"})


class Verdict(enum.Enum):
    """The sender's decision for one provider answer."""

    ACCEPTED = "accepted"
    PRUNE = "prune"
    """Failed for good and the token is dead: deactivate it."""
    RETRY = "retry"
    """Worth another attempt after a delay."""
    FAILED = "failed"
    """Failed for good; keep the token."""


def judge_apns(
    status: int, reason: str | None, timestamp_ms: int | None, registered_at: float
) -> Verdict:
    """Decide what an APNs answer means for the push and its token."""
    if status == 200:
        return Verdict.ACCEPTED
    if reason in _APNS_PRUNE.get(status, ()):
        if status == 410 and timestamp_ms is not None and timestamp_ms < registered_at * 1000:
            return Verdict.FAILED
        return Verdict.PRUNE
    if (status == 429 and reason != "TooManyProviderTokenUpdates") or status >= 500:
        return Verdict.RETRY
    return Verdict.FAILED


def judge_fcm(status: int, error_code: str | None) -> Verdict:
    """Decide what an FCM answer means for the message and its token."""
    if status == 200:
        return Verdict.ACCEPTED
    if error_code in _FCM_PRUNE or (status == 404 and error_code is None):
        return Verdict.PRUNE
    if error_code in _FCM_RETRY or status in (429, 500, 503):
        return Verdict.RETRY
    return Verdict.FAILED


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries: ``max_attempts`` sends in all, waits doubling from ``base_delay``."""

    max_attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int, retry_after: int | None) -> float | None:
        """Seconds to wait after failed attempt number ``attempt`` (1-based); None = give up."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            # The server knows best: honour its Retry-After (reference/fcm.md §2.4).
            return float(retry_after)
        return min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
