"""TLS trust for talking to the providers: a CA bundle path, or the system's roots."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter


def client_context(ca_file: str | Path | None, *, alpn: tuple[str, ...] = ()) -> ssl.SSLContext:
    """A verifying client context that trusts ``ca_file`` only, or the system roots when None."""
    if ca_file is None:
        context = ssl.create_default_context()
    else:
        context = ssl.create_default_context(cafile=str(ca_file))
    if alpn:
        context.set_alpn_protocols(list(alpn))
    return context


class _PinnedTrustAdapter(HTTPAdapter):
    """Verifies against one CA bundle whatever the environment says."""

    def __init__(self, ca_file: str) -> None:
        super().__init__()
        self._ca_file = ca_file

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        return super().send(request, stream, timeout, self._ca_file, cert, proxies)


def requests_session(ca_file: str | Path | None) -> requests.Session:
    """A ``requests`` session that trusts ``ca_file`` (or the system roots when None).

    Setting ``session.verify`` is not enough: requests lets ``REQUESTS_CA_BUNDLE`` and
    ``CURL_CA_BUNDLE`` override it, so the CA is pinned in the HTTPS adapter instead.
    """
    session = requests.Session()
    if ca_file is not None:
        session.mount("https://", _PinnedTrustAdapter(str(ca_file)))
    return session
