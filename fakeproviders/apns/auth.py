"""Token (JWT) authentication of provider connections: sans-IO, on the injected clock.

reference/apns.md §3.1: ES256 only, ``kid`` names the key, ``iss`` is the key's team, ``iat`` more
than an hour old is ExpiredProviderToken, one team per connection, and a new token at most every
20 minutes on one connection.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from fakeproviders.apns.keys import ApnsSigningKey
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.apns.reasons import ApnsReason

_JWS = jwt.PyJWS(algorithms=["ES256"])
_NUMBER = re.compile(r"[0-9]{1,15}(\.[0-9]{1,9})?")


@dataclass(frozen=True, slots=True)
class _Verifier:
    key: ApnsSigningKey
    public_key: ec.EllipticCurvePublicKey


class ConnectionAuth:
    """What one HTTP/2 connection has proven so far. Created per connection by the server."""

    __slots__ = ("iat", "team_id", "token")

    def __init__(self) -> None:
        self.team_id: str | None = None
        """The team bound to the connection by its first valid token."""
        self.token: str | None = None
        """The provider token in use (verified once, then only its age is checked)."""
        self.iat = 0.0
        """The ``iat`` of ``token``, in seconds."""

    @property
    def authenticated(self) -> bool:
        """Whether a valid provider token has been used on this connection."""
        return self.token is not None


class ProviderTokenVerifier:
    """Checks ``authorization`` headers against the signing keys the server was given."""

    def __init__(self, keys: Iterable[ApnsSigningKey], options: ApnsOptions) -> None:
        self._by_kid = {k.key_id: _Verifier(k, k.public_key) for k in keys}
        self._options = options

    def check(
        self, authorization: str | None, auth: ConnectionAuth, now: float
    ) -> ApnsReason | None:
        """None if the request is authorized, else the reason to reject it.

        A token already verified on this connection is not verified again (APNs clients reuse
        one token for up to an hour); only its age is checked against ``now``.
        """
        token = _bearer(authorization)
        if token is None:
            return ApnsReason.MissingProviderToken
        if token != auth.token:
            verified = self._verify(token)
            if isinstance(verified, ApnsReason):
                return verified
            team_id, iat = verified
            if auth.team_id is not None and team_id != auth.team_id:
                # One developer account per connection (§3.1); reason as Pushy's mock.
                return ApnsReason.InvalidProviderToken
            if now - iat > self._options.provider_token_lifetime:
                return ApnsReason.ExpiredProviderToken
            interval = self._options.provider_token_update_interval
            if auth.token is not None and interval is not None and abs(iat - auth.iat) < interval:
                return ApnsReason.TooManyProviderTokenUpdates
            auth.team_id, auth.token, auth.iat = team_id, token, iat
        if now - auth.iat > self._options.provider_token_lifetime:
            return ApnsReason.ExpiredProviderToken
        return None

    def _verify(self, token: str) -> tuple[str, float] | ApnsReason:
        """(team id, iat) of a well-signed token, else InvalidProviderToken."""
        invalid = ApnsReason.InvalidProviderToken
        try:
            header = _JWS.get_unverified_header(token)
            kid = header.get("kid")
            verifier = self._by_kid.get(kid) if isinstance(kid, str) else None
            if verifier is None or header.get("alg") != "ES256":
                return invalid
            decoded = _JWS.decode_complete(token, verifier.public_key, algorithms=["ES256"])
            claims = json.loads(decoded["payload"])
        except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
            return invalid
        if not isinstance(claims, dict) or claims.get("iss") != verifier.key.team_id:
            return invalid
        iat = self._iat(claims.get("iat"))
        return invalid if iat is None else (verifier.key.team_id, iat)

    def _iat(self, value: object) -> float | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return float(value) if abs(value) < 10**15 else None
        if self._options.strict_iat:
            return None
        # Lenient: PyAPNs2 sends a float, kalyke a numeric string (§3.1).
        if isinstance(value, float) and math.isfinite(value):
            return value
        if isinstance(value, str) and _NUMBER.fullmatch(value):
            return float(value)
        return None


def _bearer(authorization: str | None) -> str | None:
    """The JWT of ``bearer <jwt>``; None when there is none (MissingProviderToken, §2.4)."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token
