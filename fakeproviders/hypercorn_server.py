"""``HypercornServer``: an ASGI app served by hypercorn on one TLS port, HTTP/2 and HTTP/1.1.

hypercorn does the HTTP work; this module binds the socket (so the real port is known at once),
runs hypercorn's per-connection server inside the caller's event loop, and adds what hypercorn
lacks against abusive clients: a ``FrameGuard`` reads every HTTP/2 client's frame headers first
(rapid reset, oversized frames, SETTINGS/PING/empty-DATA and CONTINUATION floods end that
connection with GOAWAY), and a client that says nothing after its TLS handshake is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Self

from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.protocol.h2 import H2Protocol
from hypercorn.utils import wrap_app

from fakeproviders.h2guard import PREFACE, FrameGuard, GuardLimits
from fakeproviders.hpack_plain import PlainEncoder

log = logging.getLogger(__name__)

ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]


_SHUTDOWN_TIMEOUT = 2.0
_GOAWAY_GRACE = 0.5  # for the GOAWAY and FIN to be read before the socket is dropped


class ServerError(Exception):
    """The server could not start, or is used in the wrong state."""


@dataclass(frozen=True, kw_only=True)
class ServerLimits:
    """What one server accepts from its clients, and for how long it waits for them."""

    max_concurrent_streams: int = 100
    """HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS."""
    max_header_bytes: int = 64 * 1024
    """HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE; for HTTP/1.1 the request line and headers."""
    idle_timeout: float = 300.0
    """Seconds a connection may stay without a request in flight before it is closed."""
    handshake_timeout: float = 10.0
    """Seconds for the TLS handshake."""
    header_timeout: float = 10.0
    """Seconds from the end of the handshake to the client's first bytes."""
    guard: GuardLimits = field(default_factory=lambda: GuardLimits(resets=(200, 20.0)))
    """HTTP/2 abuse budgets (``fakeproviders.h2guard``). Fewer resets than the fake APNs allows:
    each stream costs hypercorn a task and the app a request (``pushsim bench abuse``)."""


def _config(limits: ServerLimits) -> Config:
    config = Config()
    config.accesslog = None
    config.errorlog = logging.getLogger("fakeproviders.hypercorn")
    config.include_server_header = False
    config.h2_max_concurrent_streams = limits.max_concurrent_streams
    config.h2_max_header_list_size = limits.max_header_bytes
    config.h2_max_inbound_frame_size = limits.guard.max_frame_size
    config.h11_max_incomplete_size = limits.max_header_bytes
    config.keep_alive_timeout = limits.idle_timeout
    # hypercorn ends a connection after 1,000 requests by default (its rapid-reset defence);
    # Google's front ends keep HTTP/2 connections far longer, and clients (httpx) fail the streams
    # in flight when it happens. The FrameGuard is the rapid-reset defence here instead.
    config.keep_alive_max_requests = 2**62
    return config


class HypercornServer:
    """Serves ``app`` on ``https://host:port`` until :meth:`stop`.

    ``ssl_context`` is a server context; offer ``h2`` and ``http/1.1`` in its ALPN list for
    both protocols. ``stop_grace`` is how long :meth:`stop` lets answers in flight finish before
    the remaining connections are dropped.
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
        self.limits = limits = limits or ServerLimits()
        self._ssl_context = ssl_context
        self._stop_grace = stop_grace
        self._config = _config(limits)
        self._server: asyncio.Server | None = None
        self._context: WorkerContext | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    @property
    def port(self) -> int:
        """The port actually bound (after :meth:`start`)."""
        if self._server is None or not self._server.sockets:
            raise ServerError("the server is not started")
        return int(self._server.sockets[0].getsockname()[1])

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
        self._context = WorkerContext(None)
        self._server = await asyncio.start_server(
            self._serve,
            sock=sock,
            ssl=self._ssl_context,
            ssl_handshake_timeout=self.limits.handshake_timeout,
            # A TLS close waits for the client's close_notify; a silent client never sends it.
            ssl_shutdown_timeout=_SHUTDOWN_TIMEOUT,
        )

    async def stop(self) -> None:
        """Stop accepting, let answers in flight finish, close every connection. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        assert self._context is not None
        server.close()
        # hypercorn closes idle connections and refuses new streams once terminated is set.
        await self._context.terminated.set()
        if self._connections:
            _, late = await asyncio.wait(list(self._connections), timeout=self._stop_grace)
            for task in late:
                # A client that never finished closing: drop its socket.
                transport = self._connections[task].transport
                transport.abort()
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=self._stop_grace)
        await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None and self._context is not None
        if self._server is None:
            writer.transport.abort()  # its TLS handshake ended after stop() began
            return
        self._connections[task] = writer
        ssl_object = writer.get_extra_info("ssl_object")
        alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        coalescing = _CoalescingWriter(writer)
        guarded = _GuardedReader(reader, coalescing, self.limits, alpn)
        server = _TCPServer(
            wrap_app(self.app, 0, "asgi"),  # type: ignore[arg-type]
            asyncio.get_running_loop(),
            self._config,
            self._context,
            {},
            guarded,  # type: ignore[arg-type]
            coalescing,  # type: ignore[arg-type]
        )
        try:
            await server.run()
        except asyncio.CancelledError:
            pass  # stop() dropped it
        except Exception:
            # A client that drives hypercorn into an unexpected state ends its own connection.
            log.info("closing a connection hypercorn could not handle", exc_info=True)
            writer.transport.abort()
        finally:
            del self._connections[task]


class HypercornFake:
    """What a fake served by a :class:`HypercornServer` shares: ``port``, ``url``, ``start``,
    ``stop`` and ``async with``, with the server's errors raised as the fake's own ``error``.

    A subclass sets ``label`` and ``error`` and calls ``super().__init__`` with its server.
    """

    label: ClassVar[str]
    """How errors name the fake (``"the fake FCM"``)."""
    error: ClassVar[type[Exception]]
    """The fake's own exception for a server that cannot start or is not started."""

    def __init__(self, server: HypercornServer) -> None:
        self._server = server
        self._host = "127.0.0.1"

    @property
    def port(self) -> int:
        """The port actually bound (after :meth:`start`)."""
        try:
            return self._server.port
        except ServerError:
            raise self.error(f"{self.label} is not started") from None

    @property
    def url(self) -> str:
        """``https://<host>:<port>``: the base of the fake's API paths."""
        return f"https://{self._host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind ``host:port`` (0 = ephemeral) and serve; returns once connections are accepted."""
        try:
            await self._server.start(host, port)
        except ServerError as exc:
            raise self.error(f"{self.label} cannot start: {exc}") from exc
        self._host = host

    async def stop(self) -> None:
        """Stop serving and close the port. Safe to call twice.

        Answers in flight get the server's ``stop_grace`` to finish; then connections are cut,
        since a TLS close would otherwise wait for a client that is not reading.
        """
        await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class _TCPServer(TCPServer):
    """hypercorn's connection server, with the HTTP/2 answers encoded as the fake APNs's are."""

    async def _read_data(self) -> None:
        # Called once the protocol is chosen and before any request is read.
        protocol = self.protocol.protocol
        if isinstance(protocol, H2Protocol):
            # hpack_plain: Huffman coding costs more per answer than the rest of its header
            # work; the app's headers are well formed, so h2 need not check them again.
            protocol.connection.encoder = PlainEncoder()
            protocol.connection.config.validate_outbound_headers = False
            protocol.connection.config.normalize_outbound_headers = False
        await super()._read_data()


class _CoalescingWriter:
    """The ``StreamWriter`` hypercorn writes to: what it writes during one event-loop iteration
    goes out in one TLS write. hypercorn flushes an HTTP/2 answer's HEADERS, DATA and end of
    stream separately, and each TLS write costs more than the frames in it (profiled with
    ``pushsim bench fcm``)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.transport = writer.transport
        self._pending: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def drop(self, last_words: bytes = b"") -> None:
        """Send what is pending and ``last_words``, end the stream (FIN, which a relay such as the
        CONNECT proxy passes on), then drop the connection: no TLS close, whose wait for the
        client's close_notify an abusive or silent client would stretch."""
        self._pending.append(last_words)
        self._flush()
        self._send_fin()
        self._loop.call_later(_GOAWAY_GRACE, self.transport.abort)

    def _send_fin(self) -> None:
        # Once the TLS layer has handed over its last record: a client (or the proxy relaying
        # it) reads every byte before the end, even if the socket is reset later because the
        # client kept writing.
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

    def _flush(self) -> None:
        data, self._pending = b"".join(self._pending), []
        if data and not self.transport.is_closing():
            self._writer.write(data)

    async def drain(self) -> None:
        await self._writer.drain()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._writer.get_extra_info(name, default)

    def write_eof(self) -> None:
        self._flush()
        self._writer.write_eof()

    def close(self) -> None:
        self._flush()
        self._writer.close()  # writes the TLS close_notify now
        self._send_fin()

    async def wait_closed(self) -> None:
        await self._writer.wait_closed()


class _GuardedReader:
    """The ``StreamReader`` hypercorn reads from: a silent client ends at ``header_timeout``, and
    an HTTP/2 client's bytes pass the ``FrameGuard`` first. Ending reads as EOF, which hypercorn
    takes as the client's close."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: _CoalescingWriter,
        limits: ServerLimits,
        alpn: str | None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._limits = limits
        self._first_timeout: float | None = limits.header_timeout
        self._guard = FrameGuard(limits.guard) if alpn == "h2" else None
        # Without ALPN, hypercorn takes a client that starts with the preface as HTTP/2.
        self._sniff = alpn is None
        self._ended = False

    def at_eof(self) -> bool:
        return self._ended or self._reader.at_eof()

    async def read(self, n: int = -1) -> bytes:
        if self._ended:
            return b""
        if self._first_timeout is None:
            data = await self._reader.read(n)
        else:
            try:
                data = await asyncio.wait_for(self._reader.read(n), self._first_timeout)
            except TimeoutError:
                self._writer.drop()
                return self._end()
            self._first_timeout = None
        if self._sniff and data:
            self._sniff = False
            if data.startswith(PREFACE[:14]):
                self._guard = FrameGuard(self._limits.guard)
        if self._guard is None or not data:
            return data
        verdict = self._guard.feed(data)
        if verdict is None:
            return data
        log.info("HTTP/2 client abuse, closing its connection: %s", verdict.reason)
        self._writer.drop(verdict.goaway(self._guard.last_stream_id))
        return self._end()

    def _end(self) -> bytes:
        self._ended = True
        return b""
