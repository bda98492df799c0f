"""An APNs provider-API client: HTTP/2 POST /3/device/<token> with an ES256 provider token.

Token auth follows reference/apns.md §3.1: the JWT header is ``{"alg": "ES256", "kid": key_id}``
(no ``typ``: Apple's validator dislikes it), the claims ``iss`` (team id) and ``iat`` (integer
seconds on the injected clock). The token is reused for 50 minutes (APNs rejects one older than
60 with 403 ExpiredProviderToken and one renewed more often than every 20 minutes with 429
TooManyProviderTokenUpdates), and renewed early when APNs says it expired.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from ._http import retry_after
from .clock import Clock
from .errors import ProviderAuthError, ProviderUnreachable
from .tls import client_context

TOKEN_LIFETIME = 50 * 60.0
"""Seconds a provider token is reused before a new one is signed."""


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
    """Sends pushes to one APNs endpoint with token (JWT) auth."""

    def __init__(
        self,
        url: str,
        team_id: str,
        key_id: str,
        private_key_pem: str | bytes,
        ca_file: str | Path | None,
        clock: Clock,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        """``url`` is e.g. ``https://api.sandbox.push.apple.com``; ``transport`` is a test seam."""
        self.url = url.rstrip("/")
        self.team_id = team_id
        self.key_id = key_id
        self._clock = clock
        key = _load_key(private_key_pem)
        self._key = key
        self._token: str | None = None
        self._token_iat = 0.0
        self._client = httpx.AsyncClient(
            http2=True,
            verify=client_context(ca_file) if transport is None else True,
            transport=transport,
            timeout=timeout,
        )

    @property
    def provider_token(self) -> str:
        """The current provider token, signed anew when it is older than ``TOKEN_LIFETIME``."""
        now = self._clock.now()
        if self._token is None or now - self._token_iat >= TOKEN_LIFETIME:
            self._sign(now)
        assert self._token is not None
        return self._token

    def _sign(self, now: float) -> None:
        self._token = jwt.encode(
            {"iss": self.team_id, "iat": int(now)},
            self._key,
            algorithm="ES256",
            headers={"kid": self.key_id, "typ": None},
        )
        self._token_iat = now

    async def send(
        self, token: str, topic: str, headers: dict[str, str], payload: dict[str, Any]
    ) -> ApnsResult:
        """POST one push; returns APNs' answer (raises ``ProviderUnreachable`` on no answer)."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        # Our own apns-id lets the timeline correlate the push before APNs answers (§1.3).
        request_headers = {
            **headers,
            "apns-topic": topic,
            "apns-id": headers.get("apns-id") or str(uuid.uuid4()),
            "content-type": "application/json",
        }
        used = self.provider_token
        result = await self._post(token, request_headers, body, used)
        if result.status == 403 and result.reason == "ExpiredProviderToken":
            # Renew at once and try this push again, once (reference/apns.md §3.1). Concurrent
            # pushes that failed with the same token renew it only once: APNs answers 429
            # TooManyProviderTokenUpdates to a sender that renews too often.
            if self._token == used:
                self._sign(self._clock.now())
            result = await self._post(token, request_headers, body, self.provider_token)
        return result

    async def _post(
        self, token: str, headers: dict[str, str], body: bytes, provider_token: str
    ) -> ApnsResult:
        headers = {**headers, "authorization": f"bearer {provider_token}"}
        try:
            response = await self._client.post(
                f"{self.url}/3/device/{token}", headers=headers, content=body
            )
        except httpx.HTTPError as exc:
            raise ProviderUnreachable(f"APNs {self.url}: {exc!r}") from exc
        apns_id = response.headers.get("apns-id", headers["apns-id"])
        if response.status_code == 200:
            return ApnsResult(status=200, apns_id=apns_id)
        reason, timestamp = _error_body(response.content)
        return ApnsResult(
            status=response.status_code,
            apns_id=apns_id,
            reason=reason,
            timestamp_ms=timestamp,
            retry_after=retry_after(response),
        )

    async def aclose(self) -> None:
        """Close the HTTP/2 connections."""
        await self._client.aclose()


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
