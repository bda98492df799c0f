"""An FCM HTTP v1 client: POST /v1/projects/<project>/messages:send with an OAuth2 bearer token.

The access token comes from google-auth's service-account flow (reference/fcm.md §3), refreshed in
a worker thread through ``requests`` (trusting the configured CA). Expiry is the provider's call:
on 401 the token is refreshed and the message sent again, once (reference/fcm.md §2.4).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google.auth.exceptions
import httpx
import requests
from google.auth.transport.requests import Request

from ._http import retry_after
from .clock import Clock
from .errors import ProviderAuthError, ProviderUnreachable
from .google_credentials import load_credentials
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
        self._token_request = Request(session=self._session)
        self._refresh_lock = asyncio.Lock()
        self._client = httpx.AsyncClient(
            http2=True,
            verify=client_context(ca_file) if transport is None else True,
            transport=transport,
            timeout=timeout,
        )

    @property
    def send_url(self) -> str:
        return f"{self.url}/v1/projects/{self.project_id}/messages:send"

    async def access_token(self, stale: str | None = None) -> str:
        """A usable access token; ``stale`` is one the provider refused, forcing a refresh."""
        async with self._refresh_lock:
            creds = self._credentials
            if not creds.valid or (stale is not None and creds.token == stale):
                try:
                    await asyncio.to_thread(creds.refresh, self._token_request)
                except google.auth.exceptions.TransportError as exc:
                    raise ProviderUnreachable(f"token endpoint: {exc}") from exc
                except google.auth.exceptions.GoogleAuthError as exc:
                    raise ProviderAuthError(f"token refresh failed: {exc}") from exc
            token = creds.token
            if not isinstance(token, str):
                raise ProviderAuthError("the token endpoint returned no access token")
            return token

    async def send(self, message: dict[str, Any]) -> FcmResult:
        """Send one ``Message`` resource (the body's ``message`` field, reference/fcm.md §1.2)."""
        body = json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False).encode()
        token = await self.access_token()
        response = await self._post(body, token)
        if response.status_code == 401:
            # The provider's clock decides expiry: refresh and try once more (§2.4).
            response = await self._post(body, await self.access_token(stale=token))
        return parse_response(response)

    async def _post(self, body: bytes, token: str) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        try:
            return await self._client.post(self.send_url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            raise ProviderUnreachable(f"FCM {self.url}: {exc!r}") from exc

    async def aclose(self) -> None:
        """Close the HTTP/2 connections (and the token session if this client made it)."""
        await self._client.aclose()
        if self._owns_session:
            self._session.close()


def parse_response(response: httpx.Response) -> FcmResult:
    """Turn FCM's answer into an ``FcmResult``; errors are google.rpc.Status (reference/fcm.md §2.1)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if response.status_code == 200:
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
        status=response.status_code,
        error_code=error_code,
        message=message,
        retry_after=retry_after(response),
    )
