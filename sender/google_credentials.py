"""Service-account credentials from google-auth whose grant assertion reads the injected clock.

google-auth signs the JWT-bearer assertion with ``iat``/``exp`` from the wall clock
(reference/fcm.md §3). A provider running on a virtual clock would reject that as out of its
"reasonable timeframe", so the assertion takes its times from the sender's clock instead.
Everything else (signing, scopes, ``aud``, the grant request to ``token_uri``) stays google-auth's.
"""

from __future__ import annotations

from typing import Any

from google.oauth2 import service_account

from .clock import Clock, SystemClock

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
