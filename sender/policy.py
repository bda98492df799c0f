"""What to do with a provider's answer: pure decisions, no I/O.

Prune rules: APNs 410 Unregistered / ExpiredToken, 400 BadDeviceToken / DeviceTokenNotForTopic
(reference/apns.md §2.4: "don't retry"), FCM 404 UNREGISTERED (reference/fcm.md §2.2). A 410
whose timestamp is older than the token's registration does not prune: the app handed the token
over again after APNs stopped accepting it (Apple: compare the timestamp with when you last got
the token). Retry rules: APNs 429 TooManyRequests and 5xx, FCM QUOTA_EXCEEDED, UNAVAILABLE and
INTERNAL (reference/fcm.md §2.2), with bounded exponential backoff and jitter, or the server's
Retry-After. Auth errors (APNs 403 token or certificate reasons, FCM 401/403) fail the push and
keep the token: the sender's credentials are at fault, not the device.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

_APNS_PRUNE: dict[int, frozenset[str]] = {
    400: frozenset({"BadDeviceToken", "DeviceTokenNotForTopic"}),
    410: frozenset({"Unregistered", "ExpiredToken"}),
}
# reference/apns.md §2.4 (403 rows) and §2.6: both spellings of the environment-key reason.
_APNS_AUTH = frozenset(
    {
        "BadCertificate",
        "BadCertificateEnvironment",
        "ExpiredProviderToken",
        "InvalidProviderToken",
        "MissingProviderToken",
        "UnrelatedKeyIdInToken",
        "BadEnvironmentKeyIdInToken",
        "BadEnvironmentKeyInToken",
        "TooManyProviderTokenUpdates",
    }
)
_FCM_PRUNE = frozenset({"UNREGISTERED"})
_FCM_RETRY = frozenset({"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED"})
_FCM_AUTH = frozenset(
    {"THIRD_PARTY_AUTH_ERROR", "SENDER_ID_MISMATCH", "UNAUTHENTICATED", "PERMISSION_DENIED"}
)

AUTH_REASONS = _APNS_AUTH | _FCM_AUTH | {"ProviderAuthError"}
"""Failure reasons that blame the sender's credentials (counted as ``auth_errors``)."""


class Verdict(enum.Enum):
    """The sender's decision for one provider answer."""

    ACCEPTED = "accepted"
    PRUNE = "prune"
    """Failed for good and the token is dead: deactivate it."""
    RETRY = "retry"
    """Worth another attempt after a delay."""
    FAILED = "failed"
    """Failed for good; keep the token."""
    AUTH = "auth"
    """Failed because of the sender's credentials; keep the token, tell the operator."""


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
    if reason in _APNS_AUTH or (status == 403 and reason != "Forbidden"):
        return Verdict.AUTH
    if status == 429 or status >= 500:
        return Verdict.RETRY
    return Verdict.FAILED


def judge_fcm(status: int, error_code: str | None) -> Verdict:
    """Decide what an FCM answer means for the message and its token."""
    if status == 200:
        return Verdict.ACCEPTED
    if error_code in _FCM_PRUNE or (status == 404 and error_code is None):
        return Verdict.PRUNE
    if error_code in _FCM_RETRY or status in (429, 500, 502, 503, 504):
        return Verdict.RETRY
    if error_code in _FCM_AUTH or status in (401, 403):
        return Verdict.AUTH
    return Verdict.FAILED


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries: ``max_attempts`` sends in all, waits doubling from ``base_delay``.

    ``jitter`` is the share of each backoff that is random ("equal jitter"): with 0.5 a 4 s
    backoff waits between 2 and 4 s, so a crowd of failed pushes does not come back at once.
    A server's ``Retry-After`` is honoured as given, up to ``max_retry_after``; asking for longer
    gives up instead (the push would be stale).
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.5
    max_retry_after: float = 3600.0

    def delay(self, attempt: int, retry_after: int | None, rand: float = 1.0) -> float | None:
        """Seconds to wait after failed attempt number ``attempt`` (1-based); None = give up.

        ``rand`` in [0, 1] is the caller's random draw (1.0 = no jitter).
        """
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            # The server knows best: honour its Retry-After (reference/fcm.md §2.2, §2.4).
            return float(retry_after) if retry_after <= self.max_retry_after else None
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return backoff * (1.0 - self.jitter) + backoff * self.jitter * min(max(rand, 0.0), 1.0)
