"""What every client connection of the server does, whatever HTTP version it speaks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fakeproviders.asgi.exchange import ASGIApp, Exchange, ServerLimits
from fakeproviders.idle import IdleTimer


class Connection(asyncio.Protocol):
    """One TLS connection: runs the app per request, tracks its tasks, times out when idle.

    Subclasses parse bytes into requests and call :meth:`_start` with an :class:`Exchange`;
    they implement :meth:`shut_down` (close once the answers in flight are written).
    """

    def __init__(
        self,
        app: ASGIApp,
        limits: ServerLimits,
        *,
        on_open: Callable[[Connection], None],
        on_close: Callable[[Connection], None],
    ) -> None:
        self._app = app
        self._limits = limits
        self._on_open = on_open
        self._on_close = on_close
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = IdleTimer(limits.idle_timeout, self._idle_out)
        self._draining = False
        self.closed: asyncio.Future[None] = self._loop.create_future()

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._on_open(self)
        self._idle.touch()

    def pause_writing(self) -> None:
        # A client that does not read its answers: stop reading its requests until it does.
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._idle.cancel()
        for task in self._tasks:
            task.cancel()
        if not self.closed.done():
            self.closed.set_result(None)
        self._on_close(self)

    # -- server side ---------------------------------------------------------------------------

    def shut_down(self) -> None:
        """Accept no new request; close once the answers in flight are written."""
        raise NotImplementedError

    def abort(self) -> None:
        """Drop the socket without ceremony (a client that never finished closing)."""
        if self._transport is not None:
            self._transport.abort()

    # -- for subclasses ------------------------------------------------------------------------

    def _start(self, exchange: Exchange) -> None:
        task = self._loop.create_task(exchange.run(self._app))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _write(self, data: bytes) -> None:
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _busy(self) -> bool:
        """Whether a request is being answered."""
        raise NotImplementedError

    def _idle_out(self) -> None:
        if self._busy():
            self._idle.touch()
        else:
            self.shut_down()
