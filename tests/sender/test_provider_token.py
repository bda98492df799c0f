"""When the APNs provider token is signed anew (reference/apns.md §3.1), sans-IO."""

from __future__ import annotations

from sender.provider_token import ProviderTokens


def _tokens() -> ProviderTokens:
    return ProviderTokens(lambda iat: f"jwt-{iat}")


def test_token_is_reused_until_its_lifetime() -> None:
    """One token serves until it is 50 minutes old, then a new one is signed."""
    tokens = _tokens()
    assert tokens.current(1000.0) == tokens.current(1000.0 + 50 * 60 - 1) == "jwt-1000"
    assert tokens.current(1000.0 + 50 * 60) == f"jwt-{1000 + 50 * 60}"


def test_expired_answer_renews_an_old_enough_token_once() -> None:
    """After 20 minutes an ExpiredProviderToken renews the token; the second report does not."""
    tokens = _tokens()
    old = tokens.current(0.0)
    assert tokens.rejected_as_expired(old, 20 * 60.0) is True
    assert tokens.rejected_as_expired(old, 20 * 60.0 + 1) is True  # already renewed: retry
    assert tokens.signed == 2


def test_young_token_is_not_churned() -> None:
    """A token younger than 20 minutes is kept: renewing would earn TooManyProviderTokenUpdates."""
    tokens = _tokens()
    token = tokens.current(0.0)
    assert tokens.rejected_as_expired(token, 19 * 60.0) is False
    assert tokens.current(19 * 60.0) == token
