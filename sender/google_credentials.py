"""Service-account credentials from google-auth whose grant assertion reads the injected clock.

google-auth signs the JWT-bearer assertion with ``iat``/``exp`` from the wall clock
(reference/fcm.md §3). A provider running on a virtual clock would reject that as out of its
"reasonable timeframe", so the assertion takes its times from the sender's clock instead.
Everything else (signing, scopes, ``aud``, the grant request to ``token_uri``) stays google-auth's.
"""

from __future__ import annotations

import asyncio
from typing import Any

import google.auth.exceptions
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from .clock import Clock, SystemClock
from .errors import ProviderAuthError, ProviderUnreachable

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
ASSERTION_LIFETIME = 3600
"""Seconds between the assertion's ``iat`` and ``exp`` (Google allows at most one hour)."""


class ClockedCredentials(service_account.Credentials):
    """``service_account.Credentials`` with the grant assertion's times read from ``clock``."""

    def __init__(self, *args: Any, clock: Clock | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self.clock: Clock = clock or SystemClock()

    def _make_authorization_grant_assertion(self) -> bytes:
        iat = int(self.clock.now())
        # google-auth applies additional claims over its own, so ours replace the wall clock's.
        own = self._additional_claims
        self._additional_claims = {**own, "iat": iat, "exp": iat + ASSERTION_LIFETIME}
        try:
            assertion: bytes = super()._make_authorization_grant_assertion()  # type: ignore[no-untyped-call]
        finally:
            self._additional_claims = own
        return assertion

    def _make_copy(self) -> ClockedCredentials:
        copy: ClockedCredentials = super()._make_copy()  # type: ignore[no-untyped-call]
        copy.clock = self.clock
        return copy


def load_credentials(
    path: str, clock: Clock, scopes: tuple[str, ...] = (FCM_SCOPE,)
) -> ClockedCredentials:
    """Read a service-account JSON file (its ``token_uri`` decides where tokens come from)."""
    credentials: ClockedCredentials = ClockedCredentials.from_service_account_file(  # type: ignore[no-untyped-call]
        path, scopes=list(scopes), clock=clock
    )
    return credentials


class AccessTokens:
    """Bearer tokens of one service account: google-auth refreshes them in a worker thread
    (through ``request``'s ``requests`` session), one refresh at a time."""

    def __init__(self, credentials: ClockedCredentials, request: Request) -> None:
        self.credentials = credentials
        self._request = request
        self._lock = asyncio.Lock()

    async def get(self, stale: str | None = None) -> str:
        """A usable access token; ``stale`` is one the provider refused, forcing a refresh."""
        creds = self.credentials
        if stale is None and creds.valid and isinstance(creds.token, str):
            return creds.token  # the common case: no lock, no thread
        async with self._lock:
            if not creds.valid or (stale is not None and creds.token == stale):
                try:
                    await asyncio.to_thread(creds.refresh, self._request)
                except google.auth.exceptions.TransportError as exc:
                    raise ProviderUnreachable(f"token endpoint: {exc}") from exc
                except google.auth.exceptions.GoogleAuthError as exc:
                    raise ProviderAuthError(f"token refresh failed: {exc}") from exc
            token = creds.token
            if not isinstance(token, str):
                raise ProviderAuthError("the token endpoint returned no access token")
            return token
