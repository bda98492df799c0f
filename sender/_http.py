"""Transports shared by the provider clients: the HTTP/2 pool, or an httpx transport in tests."""

from __future__ import annotations

import ssl
from collections.abc import Sequence

import httpx

from .errors import ProviderUnreachable
from .h2_pool import H2Pool

Answer = tuple[int, dict[str, str], bytes]
"""``(status, lower-case headers, body)``."""


MAX_RETRY_AFTER = 10**9
"""What a longer ``Retry-After`` is read as: over 30 years, more than any caller waits."""


def parse_retry_after(raw: str | None) -> int | None:
    """A ``Retry-After`` value as whole seconds, or None (HTTP-dates are not honoured)."""
    raw = (raw or "").strip()
    # ASCII only: str.isdigit() also takes "²", which int() refuses; and int() refuses more than
    # 4300 digits, which a header can hold.
    if not (raw.isascii() and raw.isdigit()):
        return None
    digits = raw.lstrip("0")
    return MAX_RETRY_AFTER if len(digits) > 9 else int(digits or "0")


def retry_after(response: httpx.Response) -> int | None:
    """The ``Retry-After`` header of an httpx response as whole seconds, or None."""
    return parse_retry_after(response.headers.get("retry-after"))


class PoolBackend:
    """POSTs over an ``H2Pool`` (the production path)."""

    def __init__(
        self, url: str, context: ssl.SSLContext, *, max_connections: int, index_path: bool = False
    ) -> None:
        self.pool = H2Pool(url, context, max_connections=max_connections, index_path=index_path)

    async def post(
        self, path: str, headers: Sequence[tuple[str, str]], body: bytes, timeout: float
    ) -> Answer:
        response = await self.pool.request("POST", path, headers, body, timeout=timeout)
        return response.status, response.headers, response.body

    async def aclose(self) -> None:
        await self.pool.aclose()


class HttpxBackend:
    """POSTs through an httpx transport, e.g. ``httpx.MockTransport`` in unit tests."""

    def __init__(self, url: str, transport: httpx.AsyncBaseTransport) -> None:
        self._url = url
        self._client = httpx.AsyncClient(transport=transport)

    async def post(
        self, path: str, headers: Sequence[tuple[str, str]], body: bytes, timeout: float
    ) -> Answer:
        try:
            response = await self._client.post(
                f"{self._url}{path}", headers=list(headers), content=body, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise ProviderUnreachable(f"{self._url}: {exc!r}") from exc
        return response.status_code, dict(response.headers), response.content

    async def aclose(self) -> None:
        await self._client.aclose()
