from __future__ import annotations

from typing import Any

import jwt
import pytest

from fakeproviders.fcm import ServiceAccount
from fakeproviders.fcm.oauth import (
    CLOUD_PLATFORM_SCOPE,
    FIREBASE_MESSAGING_SCOPE,
    JWT_BEARER_GRANT,
    BearerCheck,
    OAuthEndpoint,
    OAuthError,
    TokenGranted,
)

GOOGLE_AUD = "https://oauth2.googleapis.com/token"
FAKE_AUD = "https://127.0.0.1:4443/token"
TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)


class ManualClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture(scope="module")
def account() -> ServiceAccount:
    return ServiceAccount.generate("demo-proj")


@pytest.fixture(scope="module")
def other_account() -> ServiceAccount:
    return ServiceAccount.generate("demo-proj")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def endpoint(clock: ManualClock, account: ServiceAccount) -> OAuthEndpoint:
    return OAuthEndpoint(clock, [account], audiences=[FAKE_AUD])


def assertion(
    account: ServiceAccount,
    now: float,
    *,
    key: str | None = None,
    kid: str | None = None,
    **overrides: Any,
) -> str:
    claims = {
        "iss": account.client_email,
        "scope": FIREBASE_MESSAGING_SCOPE,
        "aud": GOOGLE_AUD,
        "iat": int(now),
        "exp": int(now) + 3600,
    } | overrides
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(
        claims,
        key or account.private_key_pem,
        algorithm="RS256",
        headers={"kid": kid or account.private_key_id},
    )


def grant(endpoint: OAuthEndpoint, token: str) -> TokenGranted | OAuthError:
    return endpoint.grant({"grant_type": JWT_BEARER_GRANT, "assertion": token})


def test_valid_assertion_gets_an_hour_long_bearer_token(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """A good JWT-bearer grant answers {access_token: ya29..., expires_in: 3599, Bearer}."""
    outcome = grant(endpoint, assertion(account, clock.now()))
    assert isinstance(outcome, TokenGranted)
    body = outcome.body()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["access_token"].startswith("ya29.")
    assert (body["expires_in"], body["token_type"]) == (3599, "Bearer")


def test_fake_token_url_is_accepted_as_audience(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """A JWT addressed to the fake's own token URL is accepted too."""
    assert isinstance(grant(endpoint, assertion(account, clock.now(), aud=FAKE_AUD)), TokenGranted)


@pytest.mark.parametrize(
    "aud",
    [
        "https://oauth2.googleapis.com/token",
        "https://www.googleapis.com/oauth2/v4/token",
        "https://accounts.google.com/o/oauth2/token",
    ],
)
def test_every_google_token_url_is_accepted_as_audience(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock, aud: str
) -> None:
    """Google answers the grant at today's token URL and its older ones, each its own audience
    (gtoken signs www.googleapis.com/oauth2/v4/token)."""
    assert isinstance(grant(endpoint, assertion(account, clock.now(), aud=aud)), TokenGranted)


def test_a_null_subject_is_granted(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """gtoken signs ``"sub": null`` when no user is impersonated; Google grants it."""
    token = assertion(account, clock.now(), aud="https://www.googleapis.com/oauth2/v4/token")
    claims = jwt.decode(token, options={"verify_signature": False}) | {"sub": None}
    signed = jwt.encode(
        claims, account.private_key_pem, algorithm="RS256", headers={"kid": account.private_key_id}
    )
    assert isinstance(grant(endpoint, signed), TokenGranted)


def test_other_audience_is_refused(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """A JWT for another audience is an invalid_grant."""
    outcome = grant(endpoint, assertion(account, clock.now(), aud="https://example.com/token"))
    assert isinstance(outcome, OAuthError)
    assert (outcome.status, outcome.error) == (400, "invalid_grant")


def test_signature_by_another_key_is_refused(
    endpoint: OAuthEndpoint,
    account: ServiceAccount,
    other_account: ServiceAccount,
    clock: ManualClock,
) -> None:
    """A JWT not signed by the account's key gets "Invalid JWT Signature." (reference §3)."""
    token = assertion(account, clock.now(), key=other_account.private_key_pem)
    outcome = grant(endpoint, token)
    assert isinstance(outcome, OAuthError)
    assert outcome.body() == {
        "error": "invalid_grant",
        "error_description": "Invalid JWT Signature.",
    }


def test_wrong_kid_is_refused(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """A kid that is not the account's private_key_id is a bad signature."""
    outcome = grant(endpoint, assertion(account, clock.now(), kid="0" * 40))
    assert isinstance(outcome, OAuthError)
    assert outcome.description == "Invalid JWT Signature."


def test_unknown_issuer_is_refused(
    endpoint: OAuthEndpoint, other_account: ServiceAccount, clock: ManualClock
) -> None:
    """An account the fake does not know is an invalid_grant."""
    outcome = grant(endpoint, assertion(other_account, clock.now()))
    assert isinstance(outcome, OAuthError)
    assert outcome.error == "invalid_grant"


@pytest.mark.parametrize(
    ("iat_offset", "exp_offset"),
    [
        (0, 3601),  # longer than an hour
        (3600, 7200),  # issued an hour in the future
        (-7200, -3600),  # expired an hour ago
        (0, 0),  # exp not after iat
    ],
)
def test_assertion_outside_the_timeframe_is_refused(
    endpoint: OAuthEndpoint,
    account: ServiceAccount,
    clock: ManualClock,
    iat_offset: int,
    exp_offset: int,
) -> None:
    """iat/exp are checked on the injected clock with Google's wording (reference §3)."""
    now = clock.now()
    token = assertion(account, now, iat=int(now) + iat_offset, exp=int(now) + exp_offset)
    outcome = grant(endpoint, token)
    assert isinstance(outcome, OAuthError)
    assert outcome.body() == {"error": "invalid_grant", "error_description": TIMEFRAME}


def test_assertion_is_judged_on_the_injected_clock(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """A JWT valid on the wall clock is refused once the fake's clock has moved a day on."""
    token = assertion(account, clock.now())
    clock.advance(86_400)
    assert isinstance(grant(endpoint, token), OAuthError)


def test_other_grant_type_is_unsupported(endpoint: OAuthEndpoint) -> None:
    """Only the JWT-bearer grant is served."""
    outcome = endpoint.grant({"grant_type": "client_credentials"})
    assert isinstance(outcome, OAuthError)
    assert outcome.error == "unsupported_grant_type"


def test_missing_assertion_is_an_invalid_request(endpoint: OAuthEndpoint) -> None:
    """The grant needs an assertion."""
    outcome = endpoint.grant({"grant_type": JWT_BEARER_GRANT})
    assert isinstance(outcome, OAuthError)
    assert outcome.error == "invalid_request"


def test_garbage_assertion_is_an_invalid_grant(endpoint: OAuthEndpoint) -> None:
    """An assertion that is not a JWT is refused without a crash."""
    outcome = endpoint.grant({"grant_type": JWT_BEARER_GRANT, "assertion": "not.a.jwt"})
    assert isinstance(outcome, OAuthError)
    assert outcome.error == "invalid_grant"


def test_assertion_without_scope_is_an_invalid_scope(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """Google refuses a token request that asks for no scope."""
    outcome = grant(endpoint, assertion(account, clock.now(), scope=None))
    assert isinstance(outcome, OAuthError)
    assert outcome.error == "invalid_scope"


def issue(endpoint: OAuthEndpoint, account: ServiceAccount, now: float, scope: str) -> str:
    outcome = grant(endpoint, assertion(account, now, scope=scope))
    assert isinstance(outcome, TokenGranted)
    return outcome.access_token.token


def test_issued_token_passes_the_bearer_check(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """A fresh token with the firebase.messaging scope is OK."""
    token = issue(endpoint, account, clock.now(), FIREBASE_MESSAGING_SCOPE)
    assert endpoint.check_bearer(f"Bearer {token}") is BearerCheck.OK


def test_cloud_platform_scope_is_enough(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """firebase-admin asks for cloud-platform (not firebase.messaging), which FCM accepts."""
    token = issue(endpoint, account, clock.now(), f"{CLOUD_PLATFORM_SCOPE} openid")
    assert endpoint.check_bearer(f"Bearer {token}") is BearerCheck.OK


def test_token_without_fcm_scope_is_insufficient(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """A token for other APIs only is refused with 403 insufficient scopes."""
    token = issue(endpoint, account, clock.now(), "https://www.googleapis.com/auth/userinfo.email")
    check = endpoint.check_bearer(f"Bearer {token}")
    assert check is BearerCheck.INSUFFICIENT_SCOPE
    error = check.error()
    assert error is not None and error.status == 403


def test_token_expires_after_3599_seconds(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """The bearer check reads the injected clock: 3599 s after issue the token is expired."""
    token = issue(endpoint, account, clock.now(), FIREBASE_MESSAGING_SCOPE)
    clock.advance(3598)
    assert endpoint.check_bearer(f"Bearer {token}") is BearerCheck.OK
    clock.advance(1)
    assert endpoint.check_bearer(f"Bearer {token}") is BearerCheck.EXPIRED


@pytest.mark.parametrize("header", [None, "", "   "])
def test_absent_header_is_missing(endpoint: OAuthEndpoint, header: str | None) -> None:
    """No credentials at all is CREDENTIALS_MISSING."""
    check = endpoint.check_bearer(header)
    assert check is BearerCheck.MISSING
    error = check.error()
    assert error is not None and error.reason == "CREDENTIALS_MISSING"


@pytest.mark.parametrize("header", ["Bearer ya29.unknown", "Basic dXNlcjpwYXNz", "Bearer"])
def test_unknown_or_malformed_credentials_are_invalid(endpoint: OAuthEndpoint, header: str) -> None:
    """A token the fake never issued is invalid: 401 without details."""
    check = endpoint.check_bearer(header)
    assert check is BearerCheck.INVALID
    error = check.error()
    assert error is not None and error.status == 401 and "details" not in error.body["error"]


def test_bearer_scheme_is_case_insensitive(
    endpoint: OAuthEndpoint, account: ServiceAccount, clock: ManualClock
) -> None:
    """ "bearer" and "Bearer" are the same scheme (RFC 6750)."""
    token = issue(endpoint, account, clock.now(), FIREBASE_MESSAGING_SCOPE)
    assert endpoint.check_bearer(f"bearer {token}") is BearerCheck.OK
