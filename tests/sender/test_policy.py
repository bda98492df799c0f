"""Decisions on provider answers and retry delays (sans-IO)."""

from __future__ import annotations

import pytest

from sender.policy import RetryPolicy, Verdict, judge_apns, judge_fcm

REGISTERED = 1_000.0


@pytest.mark.parametrize(
    ("status", "reason", "verdict"),
    [
        (200, None, Verdict.ACCEPTED),
        (410, "Unregistered", Verdict.PRUNE),
        (410, "ExpiredToken", Verdict.PRUNE),
        (400, "BadDeviceToken", Verdict.PRUNE),
        (400, "DeviceTokenNotForTopic", Verdict.PRUNE),
        (400, "BadTopic", Verdict.FAILED),
        (403, "InvalidProviderToken", Verdict.AUTH),
        (413, "PayloadTooLarge", Verdict.FAILED),
        (429, "TooManyRequests", Verdict.RETRY),
        (429, "TooManyProviderTokenUpdates", Verdict.AUTH),
        (500, "InternalServerError", Verdict.RETRY),
        (503, "Shutdown", Verdict.RETRY),
    ],
)
def test_apns_verdicts(status: int, reason: str | None, verdict: Verdict) -> None:
    """Each APNs answer maps to accept, prune, retry, auth or fail (reference/apns.md §2.4)."""
    assert judge_apns(status, reason, None, REGISTERED) is verdict


def test_apns_410_before_registration_does_not_prune() -> None:
    """A 410 timestamp earlier than the registration time fails without pruning."""
    assert judge_apns(410, "Unregistered", int(REGISTERED * 1000) - 1, REGISTERED) is Verdict.FAILED
    assert judge_apns(410, "Unregistered", int(REGISTERED * 1000), REGISTERED) is Verdict.PRUNE


@pytest.mark.parametrize(
    ("status", "code", "verdict"),
    [
        (200, None, Verdict.ACCEPTED),
        (404, "UNREGISTERED", Verdict.PRUNE),
        (400, "INVALID_ARGUMENT", Verdict.FAILED),
        (403, "SENDER_ID_MISMATCH", Verdict.AUTH),
        (429, "QUOTA_EXCEEDED", Verdict.RETRY),
        (503, "UNAVAILABLE", Verdict.RETRY),
        (500, "INTERNAL", Verdict.RETRY),
        (401, "THIRD_PARTY_AUTH_ERROR", Verdict.AUTH),
    ],
)
def test_fcm_verdicts(status: int, code: str | None, verdict: Verdict) -> None:
    """Each FCM errorCode maps to accept, prune, retry, auth or fail (reference/fcm.md §2.2)."""
    assert judge_fcm(status, code) is verdict


def test_backoff_doubles_and_is_bounded() -> None:
    """Delays double from base_delay, are capped by max_delay, and stop after max_attempts."""
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0)
    assert [policy.delay(n, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, None]


def test_retry_after_overrides_backoff() -> None:
    """A server's Retry-After is used as the delay."""
    assert RetryPolicy().delay(1, 42) == 42.0
