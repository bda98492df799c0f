"""One request and its answer: the ASGI ``receive`` and ``send`` of a single HTTP exchange.

Both kinds of connection (``http2.py``, ``http11.py``) read a whole request body first, then run
the app with an :class:`Exchange` subclass that writes the answer their way. The app sees
ASGI 3.0 ``http`` scopes; ``lifespan`` is not offered (the server has no startup work to share).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote_to_bytes

log = logging.getLogger("fakeproviders.asgi")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, kw_only=True)
class ServerLimits:
    """What one server accepts from its clients."""

    max_concurrent_streams: int = 100
    """HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS (the 100 clients such as firebase-admin-node
    assume, reference/fcm.md §6)."""
    max_body_bytes: int = 8 * 1024 * 1024
    """Request bodies above this are answered 413 without reaching the app."""
    max_header_bytes: int = 64 * 1024
    """HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE; for HTTP/1.1 the request line and headers."""
    idle_timeout: float | None = None
    """Seconds without traffic after which an idle connection is closed; None keeps it."""


def dated(headers: Headers) -> Headers:
    """``headers`` with a ``date`` (now, as RFC 9110 §5.6.7 writes it) unless they have one."""
    if any(name == b"date" for name, _ in headers):
        return headers
    return [*headers, (b"date", formatdate(usegmt=True).encode())]


def http_scope(
    *,
    http_version: str,
    method: str,
    target: bytes,
    headers: Headers,
    transport: asyncio.BaseTransport,
) -> Scope:
    """The ASGI scope of one request whose request target is ``target`` (path and query)."""
    raw_path, _, query = target.partition(b"?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": http_version,
        "method": method,
        "scheme": "https",
        # ASGI: percent-escapes and UTF-8 decoded; raw_path keeps the bytes as received.
        "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": _address(transport.get_extra_info("peername")),
        "server": _address(transport.get_extra_info("sockname")),
        "extensions": {},
    }


def _address(info: Any) -> tuple[str, int] | None:
    return (str(info[0]), int(info[1])) if isinstance(info, tuple) and len(info) >= 2 else None


class Exchange:
    """The app's side of one request: ``receive`` gives the body, ``send`` the answer.

    Subclasses write the answer: :meth:`_write_head` once (status, headers and the first body
    chunk, so a short answer goes out in one write), then :meth:`_write_body` for later chunks.
    """

    def __init__(self, scope: Scope, body: bytes) -> None:
        self.scope = scope
        self._body: bytes | None = body
        self._status: int | None = None
        self._headers: Headers = []
        self._head_written = False
        self.finished = False
        """The whole answer is written."""
        self._gone: asyncio.Event | None = None

    def disconnect(self) -> None:
        """The client went away (stream reset, connection lost): later sends are dropped."""
        self.finished = True
        if self._gone is None:
            self._gone = asyncio.Event()
        self._gone.set()

    async def run(self, app: ASGIApp) -> None:
        """Run ``app`` for this request; answer 500 if it fails or answers nothing."""
        try:
            await app(self.scope, self._receive, self._send)
        except Exception:
            log.exception("the app failed on %s %s", self.scope["method"], self.scope["path"])
            if self._head_written:
                if not self.finished:
                    self.finished = True
                    self._abort()
                return
        if self.finished:
            return
        self.finished = True
        if self._head_written:
            self._write_body(b"", True)  # the app left its body unfinished: end it
        else:
            self._head_written = True
            plain = [(b"content-type", b"text/plain; charset=utf-8")]
            self._write_head(500, plain, b"Internal Server Error", True)

    async def _receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        if self._gone is None:
            self._gone = asyncio.Event()
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self._status is not None:
                raise RuntimeError("http.response.start sent twice")
            self._status = int(message["status"])
            self._headers = [(bytes(n).lower(), bytes(v)) for n, v in message.get("headers", ())]
        elif kind == "http.response.body":
            if self._status is None:
                raise RuntimeError("http.response.body sent before http.response.start")
            if self.finished:
                return  # the client is gone, or the app wrote past the end: nobody listens
            body = bytes(message.get("body", b""))
            end = not message.get("more_body", False)
            self.finished = end
            if self._head_written:
                self._write_body(body, end)
            else:
                self._head_written = True
                self._write_head(self._status, self._headers, body, end)
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")

    # -- written by the connection ---------------------------------------------------------

    def _write_head(self, status: int, headers: Headers, body: bytes, end: bool) -> None:
        raise NotImplementedError

    def _write_body(self, body: bytes, end: bool) -> None:
        raise NotImplementedError

    def _abort(self) -> None:
        raise NotImplementedError
