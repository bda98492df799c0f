"""An APNs provider-API client: HTTP/2 POST /3/device/<token>, token (JWT) or certificate auth.

Token auth follows reference/apns.md §3.1: the JWT header is ``{"alg": "ES256", "kid": key_id}``
(no ``typ``: Apple's validator dislikes it), the claims ``iss`` (team id) and ``iat`` (integer
seconds on the injected clock); when to sign a new one is ``ProviderTokens``' call. Certificate
auth presents a TLS client certificate and sends no ``authorization`` (§3.2).

Requests go over a pool of HTTP/2 connections that honours each connection's
MAX_CONCURRENT_STREAMS and reconnects after GOAWAY (``H2Pool``, §4). ``transport`` swaps the pool
for an httpx transport (a test seam for ``httpx.MockTransport``).
"""

from __future__ import annotations

import json
import ssl
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from hpack import NeverIndexedHeaderTuple

from ._http import HttpxBackend, PoolBackend, parse_retry_after
from .clock import Clock
from .errors import ProviderAuthError
from .provider_token import DEFAULT_LIFETIME, ProviderTokens
from .tls import client_context

TOKEN_LIFETIME = DEFAULT_LIFETIME
"""Seconds a provider token is reused before a new one is signed."""

PRODUCTION_URL = "https://api.push.apple.com"
SANDBOX_URL = "https://api.sandbox.push.apple.com"
Environment = Literal["sandbox", "production"]


def default_url(environment: Environment) -> str:
    """Apple's endpoint for ``environment`` (reference/apns.md §1.1)."""
    return PRODUCTION_URL if environment == "production" else SANDBOX_URL


@dataclass(frozen=True, slots=True)
class ApnsResult:
    """APNs' answer to one push (reference/apns.md §2)."""

    status: int
    apns_id: str
    """The ``apns-id`` APNs echoed (or the one the client sent)."""
    reason: str | None = None
    timestamp_ms: int | None = None
    """For 410: when APNs learned the token is invalid, in milliseconds since the epoch."""
    retry_after: int | None = None


class ApnsClient:
    """Sends pushes to one APNs endpoint, as one team (token auth) or one app (certificate)."""

    def __init__(
        self,
        url: str,
        team_id: str | None,
        key_id: str | None,
        private_key_pem: str | bytes | None,
        ca_file: str | Path | None,
        clock: Clock,
        *,
        client_cert: str | Path | None = None,
        client_key: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        max_connections: int = 2,
    ) -> None:
        """``url`` is e.g. ``SANDBOX_URL``. Give ``team_id``, ``key_id`` and the ``.p8``
        ``private_key_pem`` for token auth, or ``client_cert`` (PEM, with its key inside or in
        ``client_key``) for certificate auth. ``transport`` is a test seam."""
        self.url = url.rstrip("/")
        self.team_id = team_id
        self.key_id = key_id
        self._clock = clock
        self._timeout = timeout
        self.tokens: ProviderTokens | None = None
        if client_cert is None:
            if not (team_id and key_id and private_key_pem):
                raise ProviderAuthError("token auth needs team_id, key_id and the .p8 key")
            key = _load_key(private_key_pem)
            kid = key_id
            self.tokens = ProviderTokens(
                lambda iat: jwt.encode(
                    {"iss": team_id, "iat": iat},
                    key,
                    algorithm="ES256",
                    headers={"kid": kid, "typ": None},
                )
            )
        if transport is not None:
            self._backend: HttpxBackend | PoolBackend = HttpxBackend(self.url, transport)
        else:
            context = client_context(ca_file, alpn=("h2",))
            if client_cert is not None:
                try:
                    context.load_cert_chain(str(client_cert), client_key and str(client_key))
                except (OSError, ssl.SSLError) as exc:
                    raise ProviderAuthError(f"unusable APNs certificate: {exc!r}") from exc
            self._backend = PoolBackend(self.url, context, max_connections=max_connections)

    @property
    def provider_token(self) -> str:
        """The current provider token (token auth only)."""
        if self.tokens is None:
            raise ProviderAuthError("this client uses certificate auth")
        return self.tokens.current(self._clock.now())

    @property
    def pool(self) -> Any:
        """The HTTP/2 pool (``None`` with a test transport)."""
        return getattr(self._backend, "pool", None)

    async def send(
        self, token: str, topic: str, headers: dict[str, str], payload: dict[str, Any]
    ) -> ApnsResult:
        """POST one push; returns APNs' answer (raises ``ProviderUnreachable`` on no answer)."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return await self.send_encoded(token, topic, headers, body)

    async def send_encoded(
        self, token: str, topic: str, headers: dict[str, str], body: bytes
    ) -> ApnsResult:
        """Like ``send`` with the JSON payload already encoded."""
        # Our own apns-id lets the timeline correlate the push before APNs answers (§1.3).
        apns_id = headers.get("apns-id") or str(uuid.uuid4())
        request_headers: list[tuple[str, str]] = [
            ("apns-topic", topic),
            # Unique per push: literal, never indexed (reference/apns.md §1.3 HPACK advice).
            _literal("apns-id", apns_id),
            *((k, v) for k, v in headers.items() if k != "apns-id"),
        ]
        path = f"/3/device/{token}"
        if self.tokens is None:
            return await self._post(path, request_headers, body, apns_id, None)
        used = self.tokens.current(self._clock.now())
        result = await self._post(path, request_headers, body, apns_id, used)
        if (
            result.status == 403
            and result.reason == "ExpiredProviderToken"
            and self.tokens.rejected_as_expired(used, self._clock.now())
        ):
            # Renewed (once for all pushes that failed with the same token): try this one again.
            fresh = self.tokens.current(self._clock.now())
            result = await self._post(path, request_headers, body, apns_id, fresh)
        return result

    async def _post(
        self,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        apns_id: str,
        provider_token: str | None,
    ) -> ApnsResult:
        if provider_token is not None:
            # Apple: send authorization as a literal without indexing (§1.3).
            headers = [
                *headers,
                _literal("authorization", f"bearer {provider_token}"),
            ]
        status, response_headers, content = await self._backend.post(
            path, headers, body, self._timeout
        )
        echoed = response_headers.get("apns-id", apns_id)
        if status == 200:
            return ApnsResult(status=200, apns_id=echoed)
        reason, timestamp = _error_body(content)
        return ApnsResult(
            status=status,
            apns_id=echoed,
            reason=reason,
            timestamp_ms=timestamp,
            retry_after=parse_retry_after(response_headers.get("retry-after")),
        )

    async def aclose(self) -> None:
        """Close the HTTP/2 connections."""
        await self._backend.aclose()


def _literal(name: str, value: str) -> tuple[str, str]:
    """A header HPACK sends as a literal and never indexes (a tuple to everyone else)."""
    return cast(tuple[str, str], NeverIndexedHeaderTuple(name, value))


def _load_key(pem: str | bytes) -> EllipticCurvePrivateKey:
    try:
        key = load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ProviderAuthError(f"APNs signing key is not a PEM private key: {exc}") from exc
    if not isinstance(key, EllipticCurvePrivateKey):
        raise ProviderAuthError("APNs signing key must be a P-256 EC key (.p8)")
    return key


def _error_body(content: bytes) -> tuple[str | None, int | None]:
    """``{"reason": ..., "timestamp": <ms>}`` (reference/apns.md §2.2); tolerant of junk."""
    try:
        body = json.loads(content)
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    reason = body.get("reason")
    timestamp = body.get("timestamp")
    return (
        reason if isinstance(reason, str) else None,
        timestamp if isinstance(timestamp, int) and not isinstance(timestamp, bool) else None,
    )
