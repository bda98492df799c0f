"""A pool of HTTP/2 connections to one origin, honouring each one's MAX_CONCURRENT_STREAMS.

A request takes a stream slot on the least busy usable connection; when every connection is full
the pool opens another (up to ``max_connections``) or waits for a slot. A connection that got
GOAWAY takes no new streams and leaves the pool once its streams finish; the next request opens a
fresh one ("clients are expected to open a new connection", reference/apns.md §4). Streams the
server never processed (above GOAWAY's last stream id, or refused) are sent again on another
connection, which cannot duplicate a push.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque
from collections.abc import Sequence
from urllib.parse import urlsplit

from .errors import ProviderUnreachable
from .h2_connection import H2Connection, H2Response, StreamNotProcessed

log = logging.getLogger(__name__)

_RESENDS = 5
"""How often one request may be moved to another connection after "not processed"."""


class H2Pool:
    """HTTP/2 requests to ``url``'s origin over at most ``max_connections`` TLS connections."""

    def __init__(
        self,
        url: str,
        ssl_context: ssl.SSLContext,
        *,
        max_connections: int = 2,
        connect_timeout: float = 10.0,
        index_path: bool = False,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"an https:// URL is needed, not {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 443
        self.authority = parts.netloc
        self.max_connections = max(1, max_connections)
        self._ssl = ssl_context
        self._index_path = index_path
        self._connect_timeout = connect_timeout
        self._connections: list[H2Connection] = []
        self._connecting = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False
        self.connections_opened = 0
        """How many connections this pool opened in all (a reconnect counts)."""
        self.goaways = 0

    @property
    def connections(self) -> list[H2Connection]:
        return list(self._connections)

    async def request(
        self,
        method: str,
        path: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        *,
        timeout: float,
    ) -> H2Response:
        """One request/answer; raises ``ProviderUnreachable`` when no answer came."""
        for _ in range(_RESENDS):
            connection = await self._acquire()
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for runs the request in a task
                # of its own, one more task per push (profiled).
                async with asyncio.timeout(timeout):
                    return await connection.request(method, path, headers, body)
            except StreamNotProcessed:
                continue
            except TimeoutError:
                raise ProviderUnreachable(
                    f"no answer from {self.authority} in {timeout} s"
                ) from None
            finally:
                connection.reserved -= 1
                self._wake()
        raise ProviderUnreachable(f"{self.authority} kept refusing streams")

    async def aclose(self) -> None:
        """Close every connection."""
        self._closed = True
        connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        if connections:
            await asyncio.wait([c.closed for c in connections], timeout=2.0)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(ProviderUnreachable("the client is closed"))

    # -- slots --------------------------------------------------------------------------------

    async def _acquire(self) -> H2Connection:
        while True:
            if self._closed:
                raise ProviderUnreachable("the client is closed")
            best: H2Connection | None = None
            for connection in self._connections:
                if connection.has_room and (best is None or connection.reserved < best.reserved):
                    best = connection
            if best is not None:
                best.reserved += 1
                return best
            if len(self._connections) + self._connecting < self.max_connections:
                await self._open()
                continue
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
                    self._waiters.remove(waiter)

    async def _open(self) -> None:
        self._connecting += 1
        connection: H2Connection | None = None
        try:
            loop = asyncio.get_running_loop()
            _, opened = await asyncio.wait_for(
                loop.create_connection(
                    lambda: H2Connection(
                        self.authority, self._changed, index_path=self._index_path
                    ),
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host,
                ),
                self._connect_timeout,
            )
            connection = opened
            await asyncio.wait_for(opened.ready, self._connect_timeout)
        except (OSError, ssl.SSLError, TimeoutError, ProviderUnreachable) as exc:
            if connection is not None:
                connection.close()
            raise ProviderUnreachable(f"cannot connect to {self.authority}: {exc!r}") from exc
        finally:
            self._connecting -= 1
            # Waiters may open the connection this attempt did not (or learn it fails).
            self._wake(everyone=True)
        self.connections_opened += 1
        if self._closed:
            opened.close()
            raise ProviderUnreachable("the client is closed")
        self._connections.append(opened)
        self._wake(everyone=True)

    def _changed(self, connection: H2Connection) -> None:
        # Settings changed, GOAWAY arrived or the socket closed: forget dead connections, and let
        # waiters look again (a slot may have opened, or a new connection may now be allowed).
        if not connection.usable and connection in self._connections:
            self._connections.remove(connection)
            if connection.goaway_reason is not None:
                self.goaways += 1
                log.info("%s: GOAWAY (%s), reconnecting", self.authority, connection.goaway_reason)
        self._wake(everyone=True)

    def _wake(self, everyone: bool = False) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                if not everyone:
                    return
