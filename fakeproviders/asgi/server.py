"""``AsgiServer``: one TLS port serving an ASGI app over HTTP/2 and HTTP/1.1.

ALPN picks the protocol; a client that offers no ALPN gets HTTP/2 if its first bytes are the
HTTP/2 preface, HTTP/1.1 otherwise.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable
from types import TracebackType

from fakeproviders.asgi.connection import Connection
from fakeproviders.asgi.exchange import ASGIApp, ServerLimits
from fakeproviders.asgi.http2 import Http2Connection
from fakeproviders.asgi.http11 import Http11Connection

_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_HANDSHAKE_TIMEOUT = 10.0


class ServerError(Exception):
    """The server could not start, or is used in the wrong state."""


class AsgiServer:
    """Serves ``app`` on ``https://host:port`` until :meth:`stop`.

    ``ssl_context`` is a server context; offer ``h2`` and ``http/1.1`` in its ALPN list for
    both protocols. ``stop_grace`` is how long :meth:`stop` lets answers in flight finish
    and clients complete their TLS close before their sockets are dropped.
    """

    def __init__(
        self,
        app: ASGIApp,
        ssl_context: ssl.SSLContext,
        limits: ServerLimits | None = None,
        *,
        stop_grace: float = 1.0,
    ) -> None:
        self.app = app
        self.limits = limits or ServerLimits()
        self._ssl_context = ssl_context
        self._stop_grace = stop_grace
        self._server: asyncio.Server | None = None
        self._connections: set[Connection] = set()
        self._undecided: set[_Negotiation] = set()

    @property
    def port(self) -> int:
        """The port actually bound (after :meth:`start`)."""
        if self._server is None or not self._server.sockets:
            raise ServerError("the server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def connections(self) -> int:
        """How many client connections are open."""
        return len(self._connections)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind ``host:port`` (0 = an ephemeral port) and accept connections."""
        if self._server is not None:
            raise ServerError("the server is already started")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP, so that accepted sockets get TCP_NODELAY from asyncio: without it Nagle
        # and delayed ACKs stall small answers by ~40 ms.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(1024)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise ServerError(f"cannot bind {host}:{port}: {exc}") from exc
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Negotiation(self._new_connection, self._undecided, self._accepting),
            sock=sock,
            ssl=self._ssl_context,
            ssl_handshake_timeout=_HANDSHAKE_TIMEOUT,
        )

    async def stop(self) -> None:
        """Stop accepting, let answers in flight finish, close every connection. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for negotiation in list(self._undecided):
            negotiation.abort()  # connected, but sent nothing yet that tells its protocol
        connections = list(self._connections)
        for connection in connections:
            connection.shut_down()
        if connections:
            closing = [c.closed for c in connections]
            _, late = await asyncio.wait(closing, timeout=self._stop_grace)
            for connection in connections:
                if not connection.closed.done():
                    connection.abort()
            if late:
                await asyncio.wait(late, timeout=self._stop_grace)
        await server.wait_closed()

    async def __aenter__(self) -> AsgiServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _accepting(self) -> bool:
        return self._server is not None

    def _new_connection(self, http2: bool) -> Connection:
        kind = Http2Connection if http2 else Http11Connection
        return kind(
            self.app,
            self.limits,
            on_open=self._connections.add,
            on_close=self._connections.discard,
        )


class _Negotiation(asyncio.Protocol):
    """The first protocol of every connection: hands it to HTTP/2 or HTTP/1.1."""

    def __init__(
        self,
        new_connection: Callable[[bool], Connection],
        undecided: set[_Negotiation],
        accepting: Callable[[], bool],
    ) -> None:
        self._new_connection = new_connection
        self._undecided = undecided
        self._accepting = accepting
        self._transport: asyncio.Transport | None = None
        self._seen = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if not self._accepting():
            transport.abort()  # its TLS handshake ended after stop() began
            return
        ssl_object = transport.get_extra_info("ssl_object")
        alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        if alpn is not None:
            self._hand_over(alpn == "h2")
        else:
            self._undecided.add(self)

    def data_received(self, data: bytes) -> None:
        # No ALPN: the first bytes tell (RFC 9113 §3.3, prior knowledge).
        self._seen += data
        if len(self._seen) < len(_H2_PREFACE) and _H2_PREFACE.startswith(self._seen):
            return
        self._hand_over(self._seen.startswith(_H2_PREFACE), self._seen)

    def connection_lost(self, exc: Exception | None) -> None:
        self._undecided.discard(self)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _hand_over(self, http2: bool, seen: bytes = b"") -> None:
        assert self._transport is not None
        self._undecided.discard(self)
        connection = self._new_connection(http2)
        self._transport.set_protocol(connection)
        connection.connection_made(self._transport)
        if seen:
            connection.data_received(seen)
