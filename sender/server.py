"""Serve an ASGI app (the sender API) with uvicorn inside the running event loop.

The socket is bound before uvicorn starts, so the real port is known at once even with port 0,
and uvicorn never installs signal handlers: a test process or a host application keeps its own
Ctrl-C behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Iterator
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a whole request head, from its connection or its last answer."""
BODY_TIMEOUT = 30.0
"""Seconds a client has to send a whole request body, from the end of its head (a 1 MiB body,
the most the APIs read, then needs 35 KB/s)."""
IDLE_TIMEOUT = 5.0
"""Seconds a connection may stay idle after an answer (uvicorn's keep-alive timeout)."""


def _timed_h11(header_timeout: float, body_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a request-head timeout and a request-body timeout.

    uvicorn's keep-alive timer stops at the first byte a client sends, so a client that
    connects and says nothing, or trickles a request head byte by byte, would hold its
    connection for ever (slowloris). The head timer stops only at a complete request head.
    uvicorn has no time limit on a body either: a client may announce a megabyte and send it a
    byte a second (slow POST). The body timer gives the whole body ``body_timeout`` seconds from
    the end of its head; then the answer is 408 and the connection closes (RFC 9110 §15.5.9),
    or, when the app has already answered, the connection just closes.
    """

    class TimedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _armed_for: object = None
        _body_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def handle_events(self) -> None:
            super().handle_events()
            # h11 is in SEND_BODY from a request head until its body's end, even when the app
            # answered early and uvicorn throws the rest of the body away.
            if self.conn.their_state is not h11.SEND_BODY:
                self._stop_body_timer()
            elif self._body_timer is None:
                self._body_timer = self.loop.call_later(body_timeout, self._body_timed_out)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._stop_body_timer()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._armed_for = self.cycle
            self._head_timer = self.loop.call_later(header_timeout, self._head_timed_out)

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.transport.get_protocol() is not self:
                return  # upgraded to a WebSocket
            if self.cycle is not self._armed_for and self.cycle is not None:
                return  # a request head arrived
            if not self.transport.is_closing():
                self.transport.close()

        def _stop_body_timer(self) -> None:
            if self._body_timer is not None:
                self._body_timer.cancel()
                self._body_timer = None

        def _body_timed_out(self) -> None:
            self._body_timer = None
            if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
                return
            cycle = self.cycle
            if cycle is not None and not cycle.response_started:
                # The app is still waiting for the body: it will read a disconnect, and
                # anything it answers then is dropped.
                cycle.disconnected = True
                cycle.message_event.set()
                message = f"the request body did not arrive within {body_timeout:g} s"
                body = json.dumps({"error": {"code": 408, "message": message}}).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ]
                with contextlib.suppress(h11.LocalProtocolError):
                    self.transport.write(
                        self.conn.send(h11.Response(status_code=408, headers=headers))
                        + self.conn.send(h11.Data(data=body))
                        + self.conn.send(h11.EndOfMessage())
                    )
            self.transport.close()

    return TimedH11Protocol


class _InProcessServer(uvicorn.Server):
    """uvicorn without signal capture, telling us when startup is over."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()
        self.exit_requested = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The host process owns signals; stop() is how this server is told to exit.
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        except SystemExit as exc:
            # uvicorn exits the process when the app's startup fails; here that is an error.
            raise RuntimeError("the app's startup failed") from exc
        self.ready.set()

    async def main_loop(self) -> None:
        # uvicorn polls should_exit every 0.1 s; waking on an event makes stop() prompt. on_tick
        # refreshes the Date header when its counter is a multiple of 10, so tick once a second.
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.exit_requested.wait(), 1.0)


class SenderServer:
    """Runs ``app`` on a loopback socket: ``await start()``, read ``url``, ``await stop()``."""

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        shutdown_timeout: int = 2,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._shutdown_timeout = shutdown_timeout
        self._header_timeout = header_timeout
        self._body_timeout = body_timeout
        self._idle_timeout = idle_timeout
        self._socket: socket.socket | None = None
        self._server: _InProcessServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the server is not started")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        """Bind, start serving, and return once the app's startup (lifespan) is done."""
        if self._task is not None:
            return
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets (and their accepted
        # children); without it every small response waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        sock.listen(2048)
        sock.setblocking(False)
        self._socket = sock
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=self._shutdown_timeout,
            http=_timed_h11(self._header_timeout, self._body_timeout),
            timeout_keep_alive=self._idle_timeout,  # type: ignore[arg-type]
        )
        server = self._server = _InProcessServer(config)
        self._task = asyncio.create_task(server.serve(sockets=[sock]), name="sender-server")
        ready = asyncio.create_task(server.ready.wait())
        await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not server.ready.is_set():
            ready.cancel()
            task, self._task = self._task, None
            await self._close()
            try:
                await task
            except Exception as exc:
                raise RuntimeError("the sender server failed to start") from exc
            raise RuntimeError("the sender server failed to start")

    async def stop(self) -> None:
        """Stop accepting, let requests finish (up to the shutdown timeout), close the socket."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            self._server.exit_requested.set()
            await self._task
        await self._close()

    async def _close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._server = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def __aenter__(self) -> SenderServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
