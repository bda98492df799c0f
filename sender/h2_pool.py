"""A pool of HTTP/2 connections to one origin, honouring each one's MAX_CONCURRENT_STREAMS.

A request takes a stream slot on the least busy usable connection; when every connection is full
the pool opens another (up to ``max_connections``) or waits for a slot, at most ``timeout``
seconds (then ``ProviderUnreachable``, which the sender retries). A connection that got GOAWAY,
was closed or lost takes no new streams and leaves the pool at once, however and whenever that
happened (even between its SETTINGS and its first request): only connections that can take
streams count toward ``max_connections``, so the next request opens a fresh one ("clients are
expected to open a new connection", reference/apns.md §4). Streams the server never processed
(above GOAWAY's last stream id, or refused) are sent again on another connection, which cannot
duplicate a push.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from .errors import ProviderUnreachable
from .h2_connection import H2Connection, H2Response, StreamNotProcessed

log = logging.getLogger(__name__)

_RESENDS = 5
"""How often one request may be moved to another connection after "not processed"."""

Connect = Callable[[Callable[[H2Connection], None]], Awaitable[H2Connection]]
"""Opens one connection whose SETTINGS arrived, telling ``on_change`` of its changes later."""


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
        connect: Connect | None = None,
    ) -> None:
        """``connect`` replaces the TLS connection to ``url`` (a test seam)."""
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
        self._connect = connect or self._connect_tls
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
        """One request/answer; raises ``ProviderUnreachable`` when no answer came, or when no
        stream was free within ``timeout``."""
        for _ in range(_RESENDS):
            connection = await self._acquire(timeout)
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

    async def _acquire(self, timeout: float) -> H2Connection:
        deadline: float | None = None
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
            # A connection that can take no stream any more (closed by us, lost, GOAWAY) must
            # not hold a place: the pool would wait for ever on a full set of dead connections.
            self._connections = [c for c in self._connections if c.usable]
            if len(self._connections) + self._connecting < self.max_connections:
                await self._open()
                continue
            loop = asyncio.get_running_loop()
            if deadline is None:
                deadline = loop.time() + timeout
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except BaseException as exc:
                if waiter.done() and not waiter.cancelled():
                    # Woken (a slot freed), but timed out or cancelled before looking: hand the
                    # wake-up on, or the waiter behind would miss that slot.
                    self._wake()
                else:
                    waiter.cancel()
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
                if isinstance(exc, TimeoutError):
                    raise ProviderUnreachable(
                        f"no free stream to {self.authority} in {timeout} s"
                    ) from None
                raise

    async def _open(self) -> None:
        self._connecting += 1
        try:
            connection = await self._connect(self._changed)
        finally:
            self._connecting -= 1
            # Waiters may open the connection this attempt did not (or learn it fails).
            self._wake(everyone=True)
        self.connections_opened += 1
        if self._closed:
            connection.close()
            raise ProviderUnreachable("the client is closed")
        if not connection.usable:
            # GOAWAY or a close came with (or right after) its SETTINGS: it never joins.
            connection.close()
            raise ProviderUnreachable(f"{self.authority} closed a new connection at once")
        self._connections.append(connection)
        self._wake(everyone=True)

    async def _connect_tls(self, on_change: Callable[[H2Connection], None]) -> H2Connection:
        connection: H2Connection | None = None
        try:
            loop = asyncio.get_running_loop()
            _, opened = await asyncio.wait_for(
                loop.create_connection(
                    lambda: H2Connection(self.authority, on_change, index_path=self._index_path),
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
        return opened

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
