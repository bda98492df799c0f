"""An HTTPS ``CONNECT`` proxy that tunnels the real APNs and FCM host names to the fakes.

Senders that cannot be pointed at another host (firebase-admin's hard-coded URLs, Node apns2's
fixed port 443, gorush) can still be tested unchanged: set ``HTTPS_PROXY`` to this proxy and trust
the local CA, whose server certificate names the real hosts (reference/apns.md §7 (b)). Every
destination that is not a faked service is refused: this proxy never reaches the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: aioapns waits for exactly this status line (reference/apns.md §7: "HTTP/1.1 200 Connect…").
_ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
_MAX_HEAD = 8192
_HEAD_TIMEOUT = 10.0
_PIPE_CHUNK = 65536


@dataclass(frozen=True)
class Route:
    """Where a tunnel to ``host:port`` really goes: a loopback port of a fake."""

    target_port: int
    service: str


class ConnectProxy:
    """``CONNECT host:port`` → the fake serving that host, on loopback; anything else refused."""

    def __init__(
        self, routes: Mapping[tuple[str, int], Route], *, head_timeout: float = _HEAD_TIMEOUT
    ) -> None:
        self._routes = {(host.lower(), port): route for (host, port), route in routes.items()}
        self._head_timeout = head_timeout
        self._server: asyncio.Server | None = None
        self._tunnels: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the value for ``HTTPS_PROXY``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def open_tunnels(self) -> int:
        return len(self._tunnels)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = await asyncio.start_server(self._handle, host, port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for task in list(self._tunnels):
            task.cancel()
        await asyncio.gather(*self._tunnels, return_exceptions=True)
        await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tunnels.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError) as exc:
            log.debug("proxy client went away: %s", exc)
        except asyncio.CancelledError:
            # stop() cancels open tunnels. Ending normally keeps Python 3.11's start_server
            # callback (task.exception() on a cancelled task) from logging an error per tunnel.
            log.debug("proxy tunnel closed by stop()")
        finally:
            self._tunnels.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self._head_timeout)
        except asyncio.LimitOverrunError:
            await _refuse(writer, 431, "Request Header Fields Too Large", "request head too large")
            return
        if len(head) > _MAX_HEAD:
            await _refuse(writer, 431, "Request Header Fields Too Large", "request head too large")
            return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await _refuse(writer, 400, "Bad Request", f"not an HTTP request line: {request_line!r}")
            return
        method, authority, _ = parts
        if method != "CONNECT":
            await _refuse(
                writer,
                405,
                "Method Not Allowed",
                "the pushsim proxy only tunnels HTTPS (CONNECT) to the fake APNs and FCM",
            )
            return
        destination = _parse_authority(authority)
        route = self._routes.get(destination) if destination else None
        if route is None:
            known = ", ".join(sorted(f"{h}:{p}" for h, p in self._routes))
            await _refuse(
                writer,
                403,
                "Forbidden",
                f"{authority} is not a service pushsim fakes; refused (tunnelled: {known})",
            )
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", route.target_port
            )
        except OSError as exc:
            await _refuse(writer, 502, "Bad Gateway", f"the fake {route.service} is down: {exc}")
            return
        writer.write(_ESTABLISHED)
        await writer.drain()
        # Bytes the client sent after the head (a TLS ClientHello sent eagerly) go through too.
        await _pipe_both(reader, writer, upstream_reader, upstream_writer)


async def _pipe_both(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    """Copy both ways until either side closes, then close both: no half-open tunnel remains."""
    pipes = {
        asyncio.ensure_future(_pipe(client_reader, upstream_writer)),
        asyncio.ensure_future(_pipe(upstream_reader, client_writer)),
    }
    try:
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)
        upstream_writer.close()
        with contextlib.suppress(Exception):
            await upstream_writer.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while chunk := await reader.read(_PIPE_CHUNK):
            writer.write(chunk)
            await writer.drain()


async def _refuse(writer: asyncio.StreamWriter, status: int, phrase: str, message: str) -> None:
    body = (message + "\n").encode()
    writer.write(
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()


def _parse_authority(authority: str) -> tuple[str, int] | None:
    host, sep, port = authority.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]").lower(), int(port)
