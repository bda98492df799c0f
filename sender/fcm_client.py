"""An FCM HTTP v1 client: POST /v1/projects/<project>/messages:send with an OAuth2 bearer token.

The access token comes from google-auth's service-account flow (reference/fcm.md §3), from the
file's ``token_uri``, refreshed in a worker thread through ``requests`` (trusting the configured
CA). Expiry is the provider's call: on 401 the token is refreshed and the message sent again, once
(reference/fcm.md §2.4). Messages go over HTTP/2 (``H2Pool``), at most ``max_concurrency`` at once.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import requests
from google.auth.transport.requests import Request

from ._http import HttpxBackend, PoolBackend, parse_retry_after
from .clock import Clock
from .errors import ProviderAuthError
from .google_credentials import AccessTokens, ClockedCredentials, load_credentials
from .tls import client_context, requests_session

_FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


@dataclass(frozen=True, slots=True)
class FcmResult:
    """FCM's answer to one message (reference/fcm.md §1.1, §2)."""

    status: int
    name: str | None = None
    """``projects/<p>/messages/<id>`` on success."""
    error_code: str | None = None
    """The FcmError ``errorCode`` (else the google.rpc ``status``) on failure."""
    message: str | None = None
    retry_after: int | None = None


class FcmClient:
    """Sends messages to one FCM endpoint as one service account."""

    def __init__(
        self,
        url: str,
        service_account_path: str | Path,
        ca_file: str | Path | None,
        clock: Clock,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        max_concurrency: int = 200,
        max_connections: int = 2,
    ) -> None:
        """``url`` is e.g. ``https://fcm.googleapis.com``. ``transport`` (the FCM API) and
        ``session`` (the token endpoint) are test seams."""
        self.url = url.rstrip("/")
        try:
            self._credentials = load_credentials(str(service_account_path), clock)
        except (OSError, ValueError, KeyError) as exc:
            raise ProviderAuthError(f"unusable service account file: {exc!r}") from exc
        project_id = self._credentials.project_id
        if not isinstance(project_id, str) or not project_id:
            raise ProviderAuthError("the service account file has no project_id")
        self.project_id = project_id
        self._owns_session = session is None
        self._session = session or requests_session(ca_file)
        self._tokens = AccessTokens(self._credentials, Request(session=self._session))
        self._timeout = timeout
        self._slots = asyncio.Semaphore(max(1, max_concurrency))
        self._path = f"/v1/projects/{project_id}/messages:send"
        if transport is not None:
            self._backend: HttpxBackend | PoolBackend = HttpxBackend(self.url, transport)
        else:
            context = client_context(ca_file, alpn=("h2",))
            # One path for every message: let HPACK index it.
            self._backend = PoolBackend(
                self.url, context, max_connections=max_connections, index_path=True
            )

    @property
    def credentials(self) -> ClockedCredentials:
        """The service account's credentials (another Google API client may share them)."""
        return self._credentials

    @property
    def send_url(self) -> str:
        return f"{self.url}{self._path}"

    @property
    def pool(self) -> Any:
        """The HTTP/2 pool (``None`` with a test transport)."""
        return getattr(self._backend, "pool", None)

    async def access_token(self, stale: str | None = None) -> str:
        """A usable access token; ``stale`` is one the provider refused, forcing a refresh."""
        return await self._tokens.get(stale)

    async def send(self, message: dict[str, Any]) -> FcmResult:
        """Send one ``Message`` resource (the body's ``message`` field, reference/fcm.md §1.2)."""
        body = json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False).encode()
        async with self._slots:
            token = await self.access_token()
            answer = await self._post(body, token)
            if answer[0] == 401:
                # The provider's clock decides expiry: refresh and try once more (§2.4).
                answer = await self._post(body, await self.access_token(stale=token))
        return parse_answer(*answer)

    async def _post(self, body: bytes, token: str) -> tuple[int, dict[str, str], bytes]:
        headers = [("authorization", f"Bearer {token}"), ("content-type", "application/json")]
        return await self._backend.post(self._path, headers, body, self._timeout)

    async def aclose(self) -> None:
        """Close the HTTP/2 connections (and the token session if this client made it)."""
        await self._backend.aclose()
        if self._owns_session:
            self._session.close()


def parse_response(response: httpx.Response) -> FcmResult:
    """Turn an httpx response from FCM into an ``FcmResult``."""
    return parse_answer(response.status_code, dict(response.headers), response.content)


def parse_answer(status_code: int, headers: dict[str, str], content: bytes) -> FcmResult:
    """Turn FCM's answer into an ``FcmResult``; errors are google.rpc.Status (reference/fcm.md §2.1)."""
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if status_code == 200:
        name = body.get("name") if isinstance(body, dict) else None
        return FcmResult(status=200, name=name if isinstance(name, str) else None)
    error = body.get("error") if isinstance(body, dict) else None
    error_code = message = None
    if isinstance(error, dict):
        message = error.get("message") if isinstance(error.get("message"), str) else None
        status = error.get("status") if isinstance(error.get("status"), str) else None
        # SDKs map errors from the FcmError detail's errorCode, not the HTTP status (§0 fact 4).
        details = error.get("details")
        for detail in details if isinstance(details, list) else ():
            if isinstance(detail, dict) and detail.get("@type") == _FCM_ERROR_TYPE:
                error_code = detail.get("errorCode")
                break
        error_code = error_code or status
    return FcmResult(
        status=status_code,
        error_code=error_code,
        message=message,
        retry_after=parse_retry_after(headers.get("retry-after")),
    )
