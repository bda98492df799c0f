"""A Google Wallet API client for loyalty cards: classes, objects, messages and save links.

REST on ``https://walletobjects.googleapis.com/walletobjects/v1`` with a service-account bearer
token for the ``wallet_object.issuer`` scope (reference/wallet.md §6), from google-auth like the
FCM client's; the account must be a user of the issuer. A 401 refreshes the token and retries
once. Errors raise :class:`~sender.errors.WalletApiError` with Google's status, reason and
message; ``quota_exceeded`` marks the answer to a fourth notification for a pass in 24 h (§7).
Save links are JWTs signed RS256 by the service account through google-auth (§8).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import google.auth.jwt
import httpx
import requests
from google.auth.transport.requests import Request

from ._http import retry_after
from .clock import Clock
from .errors import InvalidInput, ProviderAuthError, ProviderUnreachable, WalletApiError
from .google_credentials import AccessTokens, ClockedCredentials, load_credentials
from .tls import client_context, requests_session

WALLET_SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
GOOGLE_WALLET_URL = "https://walletobjects.googleapis.com"
SAVE_URL = "https://pay.google.com/gp/v/save/"
_BASE = "/walletobjects/v1"
#: Answers that mean "not done, try later": the rate limit and an unavailable backend. Google asks
#: for exponential backoff on both (reference/wallet.md §6: 20 requests/s).
_RETRIED = frozenset({429, 503})


class GoogleWalletClient:
    """Manages one issuer's loyalty classes and objects as one service account."""

    def __init__(
        self,
        *,
        issuer_id: str,
        service_account_path: str | Path | ClockedCredentials,
        ca_file: str | Path | None,
        clock: Clock,
        url: str = GOOGLE_WALLET_URL,
        origins: Sequence[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        max_attempts: int = 5,
        max_retry_after: float = 3600.0,
    ) -> None:
        """``issuer_id`` is the Pay & Wallet console's issuer; ``origins`` the web sites allowed
        to show save buttons (the JWT's ``origins``). ``service_account_path`` may also be
        credentials already loaded (an FCM client's: reading an RSA key costs a fifth of a
        second), which are used with the Wallet scope. A 429 or 503 is tried again after
        ``Retry-After`` or an exponential backoff on ``clock``, ``max_attempts`` in all; a
        ``Retry-After`` over ``max_retry_after`` seconds is not waited for (the error is raised,
        as ``RetryPolicy`` gives up).
        ``transport`` (the Wallet API) and ``session`` (the token endpoint) are test seams."""
        if not issuer_id.isdigit():
            raise InvalidInput("issuer_id", "a Google Wallet issuer id is a number")
        self.issuer_id = issuer_id
        self.url = url.rstrip("/")
        self.origins = list(origins)
        self.max_attempts = max(1, max_attempts)
        self.max_retry_after = max_retry_after
        self._clock = clock
        if isinstance(service_account_path, ClockedCredentials):
            credentials = service_account_path.with_scopes([WALLET_SCOPE])
        else:
            try:
                credentials = load_credentials(str(service_account_path), clock, (WALLET_SCOPE,))
            except (OSError, ValueError, KeyError) as exc:
                raise ProviderAuthError(f"unusable service account file: {exc!r}") from exc
        self._credentials: ClockedCredentials = credentials
        self._owns_session = session is None
        self._session = session or requests_session(ca_file)
        self._tokens = AccessTokens(credentials, Request(session=self._session))
        self._http = httpx.AsyncClient(
            base_url=self.url + _BASE,
            transport=transport,
            verify=client_context(ca_file),
            timeout=timeout,
        )

    async def access_token(self) -> str:
        """A bearer token for the Wallet API (refreshed by google-auth when needed)."""
        return await self._tokens.get()

    def resource_id(self, suffix: str) -> str:
        """``<issuerId>.<suffix>``: a class or object id of this issuer (§6)."""
        return suffix if suffix.startswith(f"{self.issuer_id}.") else f"{self.issuer_id}.{suffix}"

    # -- classes ------------------------------------------------------------------------------

    async def ensure_class(
        self,
        class_id: str,
        *,
        issuer_name: str,
        program_name: str,
        program_logo_uri: str,
        review_status: str = "UNDER_REVIEW",
        **fields: Any,
    ) -> dict[str, Any]:
        """The loyalty class ``class_id``, inserted if it does not exist yet (else as it is).

        ``fields`` are further ``LoyaltyClass`` fields (``rewardsTier``, ``hexBackgroundColor``…).
        """
        class_id = self.resource_id(class_id)
        try:
            return await self._call("GET", f"/loyaltyClass/{quote(class_id, safe='')}")
        except WalletApiError as exc:
            if exc.status != 404:
                raise
        resource = {
            "id": class_id,
            "issuerName": issuer_name,
            "programName": program_name,
            "programLogo": {"sourceUri": {"uri": program_logo_uri}},
            "reviewStatus": review_status,
            **fields,
        }
        try:
            return await self._call("POST", "/loyaltyClass", resource)
        except WalletApiError as exc:
            if exc.status != 409:  # inserted meanwhile by another instance
                raise
            return await self._call("GET", f"/loyaltyClass/{quote(class_id, safe='')}")

    # -- objects ------------------------------------------------------------------------------

    async def insert_object(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a ``LoyaltyObject`` (its ``id`` and ``classId`` are full resource ids)."""
        return await self._call("POST", "/loyaltyObject", dict(obj))

    async def get_object(self, object_id: str) -> dict[str, Any]:
        return await self._call("GET", self._object_path(object_id))

    async def patch_object(
        self, object_id: str, patch: Mapping[str, Any], *, notify: bool
    ) -> dict[str, Any]:
        """PATCH the object; ``notify`` asks Google to notify the pass's holders of changed
        allowlisted fields (``notifyPreference: NOTIFY_ON_UPDATE``, sent on every request: §7).
        """
        body = dict(patch)
        if notify:
            body["notifyPreference"] = "NOTIFY_ON_UPDATE"
        return await self._call("PATCH", self._object_path(object_id), body)

    async def add_message(
        self,
        object_id: str,
        *,
        header: str,
        body: str,
        notify: bool,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a message to the back of the pass; ``notify`` sends it as ``TEXT_AND_NOTIFY``
        (a notification, within the quota) rather than ``TEXT``. Returns the updated object."""
        message: dict[str, Any] = {
            "header": header,
            "body": body,
            "messageType": "TEXT_AND_NOTIFY" if notify else "TEXT",
        }
        if message_id is not None:
            message["id"] = message_id
        path = self._object_path(object_id) + "/addMessage"
        answer = await self._call("POST", path, {"message": message})
        resource = answer.get("resource")
        return resource if isinstance(resource, dict) else answer

    # -- save links ---------------------------------------------------------------------------

    def save_link(
        self,
        objects: Iterable[str | Mapping[str, Any]],
        classes: Iterable[Mapping[str, Any]] = (),
    ) -> str:
        """A "Save to Google Wallet" link for ``objects``: ids of inserted objects (a "skinny"
        JWT) or whole objects, with optional whole ``classes`` (§8)."""
        loyalty_objects = [
            {"id": self.resource_id(o)} if isinstance(o, str) else dict(o) for o in objects
        ]
        if not loyalty_objects:
            raise InvalidInput("objects", "a save link needs at least one object")
        payload: dict[str, Any] = {"loyaltyObjects": loyalty_objects}
        loyalty_classes = [dict(c) for c in classes]
        if loyalty_classes:
            payload["loyaltyClasses"] = loyalty_classes
        claims = {
            "iss": self._credentials.service_account_email,
            "aud": "google",
            "typ": "savetowallet",
            "iat": int(self._clock.now()),
            "origins": self.origins,
            "payload": payload,
        }
        token: bytes = google.auth.jwt.encode(self._credentials.signer, claims)  # type: ignore[no-untyped-call]
        return SAVE_URL + token.decode()

    # -- plumbing -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._owns_session:
            self._session.close()

    def _object_path(self, object_id: str) -> str:
        return f"/loyaltyObject/{quote(self.resource_id(object_id), safe='')}"

    async def _call(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        content = None if body is None else json.dumps(body).encode()
        for attempt in range(self.max_attempts):
            token = await self._tokens.get()
            response = await self._send(method, path, content, token)
            if response.status_code == 401:
                # The provider's clock decides expiry: refresh and try once more.
                response = await self._send(method, path, content, await self._tokens.get(token))
            if response.status_code not in _RETRIED or attempt == self.max_attempts - 1:
                break
            wait = retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                break
            await self._clock.sleep(wait if wait is not None else 0.5 * 2**attempt)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code == 200 and isinstance(data, dict):
            return data
        raise _error(response.status_code, data, response.text)

    async def _send(
        self, method: str, path: str, content: bytes | None, token: str
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"}
        if content is not None:
            headers["content-type"] = "application/json"
        try:
            return await self._http.request(method, path, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnreachable(f"{self.url}: {exc!r}") from exc


def _error(status: int, data: Any, text: str) -> WalletApiError:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return WalletApiError(status, text[:200] or "no error body")
    entries = error.get("errors")
    first = entries[0] if isinstance(entries, list) and entries else {}
    reason = first.get("reason") if isinstance(first, dict) else None
    return WalletApiError(
        status,
        str(error.get("message", "")),
        reason if isinstance(reason, str) else None,
        error.get("status") if isinstance(error.get("status"), str) else None,
    )
