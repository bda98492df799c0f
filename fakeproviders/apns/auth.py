"""Authentication of provider connections, token (JWT) or certificate: sans-IO, on the clock.

reference/apns.md §3.1: ES256 only, ``kid`` names the key, ``iss`` is the key's team, ``iat`` more
than an hour old is ExpiredProviderToken, a new token at most every 20 minutes on one connection,
and one team per connection. On the first push APNs relates the connection to a team and key:
a later key of another kind (team vs topic-specific) is UnrelatedKeyIdInToken, a key scoped to the
other environment is BadEnvironmentKey(Id)InToken. §3.2: a client certificate authenticates the
whole connection and ``authorization`` is then ignored.

A token's ``iat`` is placed on the simulation's clock at its first sighting (``FirstSight``), so a
sender that signs with real time keeps working after the clock is advanced, while the very token
it keeps ages on that clock (docs/time.md).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from fakeproviders.apns.certificates import PushCertificate
from fakeproviders.apns.keys import ApnsSigningKey
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.apns.reasons import ApnsReason
from fakeproviders.clock import Clock, WallClock
from fakeproviders.first_sight import FirstSight

_JWS = jwt.PyJWS(algorithms=["ES256"])
_NUMBER = re.compile(r"[0-9]{1,15}(\.[0-9]{1,9})?")
_APPLE_HEADER = frozenset({"alg", "kid"})


@dataclass(frozen=True, slots=True)
class _Verifier:
    key: ApnsSigningKey
    public_key: ec.EllipticCurvePublicKey


class ConnectionAuth:
    """What one HTTP/2 connection has proven so far. Created per connection by the server."""

    __slots__ = ("certificate", "iat", "key", "token")

    def __init__(self, certificate: PushCertificate | None = None) -> None:
        self.certificate = certificate
        """The client certificate the connection presented, if any (certificate auth)."""
        self.key: ApnsSigningKey | None = None
        """The key of the connection's current provider token (its team is the connection's)."""
        self.token: str | None = None
        """The provider token in use (verified once, then only its age is checked)."""
        self.iat = 0.0
        """The ``iat`` of ``token``, in seconds."""

    @property
    def team_id(self) -> str | None:
        """The team bound to the connection by its first valid token."""
        return None if self.key is None else self.key.team_id

    @property
    def authenticated(self) -> bool:
        """Whether a certificate or a valid provider token has been used on this connection."""
        return self.certificate is not None or self.token is not None


class ProviderTokenVerifier:
    """Checks ``authorization`` headers against the signing keys the server was given."""

    def __init__(
        self,
        keys: Iterable[ApnsSigningKey],
        options: ApnsOptions,
        environment: str,
        *,
        clock: Clock | None = None,
        real_clock: Clock | None = None,
    ) -> None:
        """``clock`` is the simulation's (the ``now`` given to :meth:`check`); ``real_clock``
        the wall clock outside senders sign with."""
        self._by_kid = {k.key_id: _Verifier(k, k.public_key) for k in keys}
        self._options = options
        self._environment = environment
        self._first_sight = FirstSight(
            clock or WallClock(), real_clock or WallClock(), leeway=options.future_iat_leeway
        )

    def check(
        self, authorization: str | None, auth: ConnectionAuth, now: float
    ) -> ApnsReason | None:
        """None if the request is authorized, else the reason to reject it.

        A token already verified on this connection is not verified again (APNs clients reuse
        one token for up to an hour); only its age is checked against ``now``.
        """
        if auth.certificate is not None:
            return None  # "APNs ignores it on a certificate connection" (§1.3)
        token = _bearer(authorization)
        if token is None:
            return ApnsReason.MissingProviderToken
        if token != auth.token:
            verified = self._verify(token)
            if isinstance(verified, ApnsReason):
                return verified
            key, signed_iat = verified
            problem = self._binding(key, auth)
            if problem is not None:
                return problem
            lifetime = self._options.provider_token_lifetime
            iat = self._first_sight.issued_at(token, signed_iat, lifetime)
            future = self._options.future_iat_reason
            if future is not None and iat - now > self._options.future_iat_leeway:
                return future
            if now - iat > lifetime:
                return ApnsReason.ExpiredProviderToken
            interval = self._options.provider_token_update_interval
            if auth.token is not None and interval is not None and abs(iat - auth.iat) < interval:
                return ApnsReason.TooManyProviderTokenUpdates
            auth.key, auth.token, auth.iat = key, token, iat
        if now - auth.iat > self._options.provider_token_lifetime:
            return ApnsReason.ExpiredProviderToken
        return None

    def topic_allowed(self, auth: ConnectionAuth, bundle_id: str) -> ApnsReason | None:
        """None if the connection's key may push to ``bundle_id`` (topic-specific keys, §3.1)."""
        key = auth.key
        topics = None if auth.certificate is not None or key is None else key.topics
        if topics is not None and bundle_id not in topics:
            return self._options.key_topic_reason
        return None

    def _binding(self, key: ApnsSigningKey, auth: ConnectionAuth) -> ApnsReason | None:
        """Whether ``key`` may be used on this connection (§3.1 "Connection binding")."""
        if key.environment is not None and key.environment != self._environment:
            return self._options.environment_key_reason
        bound = auth.key
        if bound is None or bound.key_id == key.key_id:
            return None
        if key.team_id != bound.team_id:
            # One developer account per connection; reason as Pushy's mock (§6).
            return ApnsReason.InvalidProviderToken
        if bound.topics is not None or key.topics is not None:
            # After a team key, a topic key; after a topic key, any other key (§3.1).
            return ApnsReason.UnrelatedKeyIdInToken
        return None

    def _verify(self, token: str) -> tuple[ApnsSigningKey, float] | ApnsReason:
        """(key, iat) of a well-signed token, else InvalidProviderToken."""
        invalid = ApnsReason.InvalidProviderToken
        try:
            header = _JWS.get_unverified_header(token)
            kid = header.get("kid")
            verifier = self._by_kid.get(kid) if isinstance(kid, str) else None
            if verifier is None or header.get("alg") != "ES256":
                return invalid
            if self._options.strict_jwt_header and set(header) - _APPLE_HEADER:
                return invalid
            decoded = _JWS.decode_complete(token, verifier.public_key, algorithms=["ES256"])
            claims = json.loads(decoded["payload"])
        except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
            return invalid
        if not isinstance(claims, dict) or claims.get("iss") != verifier.key.team_id:
            return invalid
        iat = self._iat(claims.get("iat"))
        return invalid if iat is None else (verifier.key, iat)

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
