"""Google's OAuth2 token endpoint for service accounts, and the bearer check of FCM (sans-IO).

A sender signs a JWT with its service-account key and trades it for an opaque access token
(the JWT-bearer grant, reference/fcm.md §3); FCM then accepts that token as ``Bearer`` for an hour.
Nothing here does I/O or reads the wall clock: time comes from the injected clocks. An assertion
is judged against real time when first seen (outside senders sign with it), then ages on the
simulation's clock; the access tokens issued expire on the simulation's clock (docs/time.md).
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from fakeproviders.clock import Clock, WallClock
from fakeproviders.fcm import errors
from fakeproviders.fcm.errors import ErrorResponse
from fakeproviders.fcm.service_account import GOOGLE_TOKEN_URIS, ServiceAccount
from fakeproviders.first_sight import FirstSight

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FIREBASE_MESSAGING_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
#: Either scope lets a token send FCM messages (reference/fcm.md §1.1).
FCM_SCOPES = frozenset({FIREBASE_MESSAGING_SCOPE, CLOUD_PLATFORM_SCOPE})
#: The token endpoint's answers are JSON with this content type.
CONTENT_TYPE = "application/json; charset=utf-8"

#: Google issues service-account tokens for an hour and says 3599 s (reference/fcm.md §3).
ACCESS_TOKEN_LIFETIME = 3599
_MAX_ASSERTION_LIFETIME = 3600
_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)
_BAD_SIGNATURE = "Invalid JWT Signature."
_PRUNE_EVERY = 256
_PRUNE_AFTER = 86_400.0  # an expired token is still "expired" (not "invalid") for a day [U]


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An issued bearer token."""

    token: str
    client_email: str
    scopes: frozenset[str]
    expires_at: float


@dataclass(frozen=True, slots=True)
class OAuthError:
    """A token-endpoint failure: ``{"error", "error_description"}`` with a 400 (§3)."""

    error: str
    description: str
    status: int = 400

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True, slots=True)
class TokenGranted:
    """A successful grant; :meth:`body` is the JSON Google answers with."""

    access_token: AccessToken
    expires_in: int

    def body(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token.token,
            "expires_in": self.expires_in,
            "token_type": "Bearer",
        }


class BearerCheck(enum.Enum):
    """What the ``Authorization`` header of an FCM request amounts to."""

    OK = "ok"
    EXPIRED = "expired"
    MISSING = "missing"
    INVALID = "invalid"
    INSUFFICIENT_SCOPE = "insufficient_scope"

    def error(self) -> ErrorResponse | None:
        """The FCM error body for this outcome (reference/fcm.md §2.4); None when OK."""
        if self is BearerCheck.OK:
            return None
        if self is BearerCheck.INSUFFICIENT_SCOPE:
            return errors.insufficient_scopes()
        return errors.unauthenticated(self.value)


class InMemoryAccessTokens:
    """Issued access tokens, kept in a dict (a Redis implementation can replace it)."""

    def __init__(self) -> None:
        self._tokens: dict[str, AccessToken] = {}

    def add(self, token: AccessToken) -> None:
        self._tokens[token.token] = token

    def get(self, token: str) -> AccessToken | None:
        return self._tokens.get(token)

    def prune(self, expired_before: float) -> None:
        """Forget tokens that expired before ``expired_before``."""
        for key in [k for k, t in self._tokens.items() if t.expires_at < expired_before]:
            del self._tokens[key]

    def __len__(self) -> int:
        return len(self._tokens)


class OAuthEndpoint:
    """The token endpoint and the bearer check, for a set of service accounts.

    ``audiences`` are accepted as JWT ``aud`` besides Google's own token URLs (google-auth signs
    today's whatever ``token_uri`` says, reference/fcm.md §0.8; gtoken an older one); add the
    fake's URL once known.
    """

    def __init__(
        self,
        clock: Clock,
        accounts: Iterable[ServiceAccount] = (),
        *,
        audiences: Iterable[str] = (),
        store: InMemoryAccessTokens | None = None,
        max_skew: float = 300.0,
        real_clock: Clock | None = None,
    ) -> None:
        self._clock = clock
        # google-auth signs RS256, which is deterministic: re-signed within the same second, an
        # assertion is the very same text as the one before an advance of the clock.
        self._first_sight = FirstSight(
            clock, real_clock or WallClock(), leeway=max_skew, deterministic=True
        )
        self._accounts = {a.client_email: a for a in accounts}
        self._audiences = {*GOOGLE_TOKEN_URIS, *audiences}
        self._store = store if store is not None else InMemoryAccessTokens()
        self._max_skew = max_skew  # tolerated clock skew between sender and Google [U value]
        self._grants = 0

    def add_account(self, account: ServiceAccount) -> None:
        self._accounts[account.client_email] = account

    def accept_audience(self, audience: str) -> None:
        """Also accept JWTs whose ``aud`` is ``audience`` (the fake's own token URL)."""
        self._audiences.add(audience)

    def grant(self, form: Mapping[str, str]) -> TokenGranted | OAuthError:
        """Handle the form fields of ``POST /token``."""
        grant_type = form.get("grant_type", "")
        if grant_type != JWT_BEARER_GRANT:
            return OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        assertion = form.get("assertion")
        if not assertion:
            return OAuthError("invalid_request", "Missing required parameter: assertion")
        claims = self._verified_claims(assertion)
        if isinstance(claims, OAuthError):
            return claims
        problem = self._check_claims(assertion, claims)
        if problem is not None:
            return problem
        scopes = frozenset(str(claims.get("scope", "")).split())
        return self._issue(str(claims["iss"]), scopes)

    def check_bearer(
        self, header_value: str | None, required_scopes: frozenset[str] = FCM_SCOPES
    ) -> BearerCheck:
        """Judge an ``Authorization`` header; the token must carry one of ``required_scopes``."""
        return self.authenticate(header_value, required_scopes)[0]

    def authenticate(
        self, header_value: str | None, required_scopes: frozenset[str]
    ) -> tuple[BearerCheck, AccessToken | None]:
        """Like :meth:`check_bearer`, with the token when it is OK (whose account is calling).

        Every Google API that takes this endpoint's tokens (FCM, the Wallet API) judges them
        here, each with its own scopes."""
        if not header_value or not header_value.strip():
            return BearerCheck.MISSING, None
        scheme, _, value = header_value.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return BearerCheck.INVALID, None
        token = self._store.get(value.strip())
        if token is None:
            return BearerCheck.INVALID, None
        if self._clock.now() >= token.expires_at:
            return BearerCheck.EXPIRED, None
        if not token.scopes & required_scopes:
            return BearerCheck.INSUFFICIENT_SCOPE, None
        return BearerCheck.OK, token

    def account(self, client_email: str) -> ServiceAccount | None:
        """The known service account with this email (its public key verifies its JWTs)."""
        return self._accounts.get(client_email)

    def _verified_claims(self, assertion: str) -> dict[str, Any] | OAuthError:
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return OAuthError("invalid_grant", _BAD_SIGNATURE)  # [U] Google's text for garbage
        account = self._accounts.get(str(unverified.get("iss", "")))
        if account is None:
            return OAuthError("invalid_grant", "Invalid grant: account not found")
        kid = header.get("kid")
        if header.get("alg") != "RS256" or (kid is not None and kid != account.private_key_id):
            return OAuthError("invalid_grant", _BAD_SIGNATURE)
        try:
            # Time and audience are checked below on the injected clock, not PyJWT's wall clock.
            # ``sub`` (the user to impersonate) is not checked: gtoken sends ``"sub": null`` when
            # there is none, and Google grants it (Node's googleapis stack, fcm-v1-http2).
            return jwt.decode(
                assertion,
                account.public_key_pem,
                algorithms=["RS256"],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_sub": False,
                },
            )
        except jwt.PyJWTError:
            return OAuthError("invalid_grant", _BAD_SIGNATURE)

    def _check_claims(self, assertion: str, claims: Mapping[str, Any]) -> OAuthError | None:
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if not any(isinstance(a, str) and a in self._audiences for a in auds):
            # [U] Google's exact wording for a wrong audience.
            return OAuthError("invalid_grant", "Invalid JWT: Failed audience check.")
        iat, exp = _number(claims.get("iat")), _number(claims.get("exp"))
        if iat is None or exp is None:
            return OAuthError("invalid_grant", _TIMEFRAME)
        # reference/fcm.md §3: at most an hour long, not issued in the future, not expired.
        if exp <= iat or exp - iat > _MAX_ASSERTION_LIFETIME:
            return OAuthError("invalid_grant", _TIMEFRAME)
        now = self._clock.now()
        issued = self._first_sight.issued_at(assertion, iat, exp - iat + self._max_skew)
        if issued > now + self._max_skew or exp + (issued - iat) < now - self._max_skew:
            return OAuthError("invalid_grant", _TIMEFRAME)
        if not str(claims.get("scope", "")).split():
            return OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        return None

    def _issue(self, client_email: str, scopes: frozenset[str]) -> TokenGranted:
        now = self._clock.now()
        self._grants += 1
        if self._grants % _PRUNE_EVERY == 0:
            self._store.prune(now - _PRUNE_AFTER)
        token = AccessToken(
            token="ya29." + secrets.token_urlsafe(96),
            client_email=client_email,
            scopes=scopes,
            expires_at=now + ACCESS_TOKEN_LIFETIME,
        )
        self._store.add(token)
        return TokenGranted(token, ACCESS_TOKEN_LIFETIME)


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
