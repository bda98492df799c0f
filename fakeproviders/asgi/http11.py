"""HTTP/1.1 client connections (h11): one request at a time, kept alive between requests.

While a request is answered the connection stops reading, so a client that pipelines waits in
its socket buffer rather than in ours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

import h11

from fakeproviders.asgi.connection import Connection
from fakeproviders.asgi.exchange import (
    ASGIApp,
    Exchange,
    Headers,
    Scope,
    ServerLimits,
    dated,
    http_scope,
)

log = logging.getLogger("fakeproviders.asgi")


class Http11Connection(Connection):
    """One HTTP/1.1 (or 1.0) connection: ALPN ``http/1.1``, or no ALPN and no HTTP/2 preface."""

    def __init__(
        self,
        app: ASGIApp,
        limits: ServerLimits,
        *,
        on_open: Callable[[Connection], None],
        on_close: Callable[[Connection], None],
    ) -> None:
        super().__init__(app, limits, on_open=on_open, on_close=on_close)
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
        self._request: h11.Request | None = None
        self._body = bytearray()
        self._too_large = False
        self._exchange: _Http11Exchange | None = None

    def data_received(self, data: bytes) -> None:
        self._idle.touch()
        self._h11.receive_data(data)
        self._next()

    def eof_received(self) -> bool | None:
        self._h11.receive_data(b"")
        self._next()
        return None

    def shut_down(self) -> None:
        self._draining = True
        if self._exchange is None:
            self._close()

    # -- for the exchange ----------------------------------------------------------------------

    def send_head(self, status: int, headers: Headers, body: bytes, end: bool) -> None:
        """Send the status line and headers, then ``body`` (and the end, if ``end``)."""
        assert self._request is not None
        headers = dated(headers)
        if end and not any(name == b"content-length" for name, _ in headers):
            # The whole body is known: say how long it is rather than send it chunked.
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        if self._draining:
            headers = [*headers, (b"connection", b"close")]
        self._send(_response(status, headers), body, end)

    def send_body(self, body: bytes, end: bool) -> None:
        """Send more of the body (and the end, if ``end``)."""
        self._send(None, body, end)

    def abort_answer(self) -> None:
        """The app failed mid-body: the client can only learn it from the closed connection."""
        self._exchange = None
        self.abort()

    # -- internals -----------------------------------------------------------------------------

    def _next(self) -> None:
        """Read events until the request is complete, or more bytes are needed."""
        while self._exchange is None and self._transport is not None:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                self._refuse(exc.error_status_hint, str(exc))
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self._request, self._body, self._too_large = event, bytearray(), False
                if self._h11.client_is_waiting_for_100_continue:
                    self._write(
                        self._h11.send(h11.InformationalResponse(status_code=100, headers=[]))
                        or b""
                    )
            elif isinstance(event, h11.Data):
                if len(self._body) + len(event.data) > self._limits.max_body_bytes:
                    self._too_large = True
                    self._body.clear()
                elif not self._too_large:
                    self._body += event.data
            elif isinstance(event, h11.EndOfMessage):
                self._answer()
            elif isinstance(event, h11.ConnectionClosed):
                self._close()
                return

    def _answer(self) -> None:
        request = self._request
        assert request is not None and self._transport is not None
        if self._too_large:
            self._refuse(413, "Request body too large")
            return
        scope = http_scope(
            http_version=request.http_version.decode("ascii"),
            method=request.method.decode("ascii"),
            target=request.target,
            headers=list(request.headers),
            transport=self._transport,
        )
        self._exchange = _Http11Exchange(self, scope, bytes(self._body))
        self._body = bytearray()
        self._transport.pause_reading()
        self._start(self._exchange)

    def _send(self, response: h11.Response | None, body: bytes, end: bool) -> None:
        assert self._request is not None
        if self._request.method == b"HEAD":
            body = b""  # the length is announced, the body never sent (RFC 9110 §9.3.2)
        try:
            chunks = [] if response is None else [self._h11.send(response)]
            if body:
                chunks.append(self._h11.send(h11.Data(data=body)))
            if end:
                chunks.append(self._h11.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:
            log.exception("an HTTP/1.1 answer could not be written")
            self.abort_answer()
            return
        self._write(b"".join(c for c in chunks if c))
        if end:
            self._answered()

    def _answered(self) -> None:
        self._exchange = None
        if self._draining or self._h11.our_state is not h11.DONE:
            self._close()
            return
        self._h11.start_next_cycle()
        self._idle.touch()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()
        self._next()  # a pipelined request may already be buffered

    def _refuse(self, status: int, message: str) -> None:
        """Answer a request the server cannot take (malformed, too large), then close."""
        if self._h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            body = f"{message}\n".encode()
            headers = dated(
                [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ]
            )
            try:
                data = self._h11.send(_response(status, headers))
                self._write((data or b"") + (self._h11.send(h11.Data(data=body)) or b""))
                self._write(self._h11.send(h11.EndOfMessage()) or b"")
            except h11.LocalProtocolError:
                pass
        self._close()

    def _busy(self) -> bool:
        return self._exchange is not None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._exchange is not None:
            self._exchange.disconnect()
            self._exchange = None
        super().connection_lost(exc)


def _response(status: int, headers: Headers) -> h11.Response:
    """The status line with its usual reason phrase ("404 Not Found"), as Google's servers send."""
    try:
        reason = HTTPStatus(status).phrase.encode()
    except ValueError:
        reason = b""
    return h11.Response(status_code=status, headers=headers, reason=reason)


class _Http11Exchange(Exchange):
    def __init__(self, connection: Http11Connection, scope: Scope, body: bytes) -> None:
        super().__init__(scope, body)
        self._connection = connection

    def _write_head(self, status: int, headers: Headers, body: bytes, end: bool) -> None:
        self._connection.send_head(status, headers, body, end)

    def _write_body(self, body: bytes, end: bool) -> None:
        self._connection.send_body(body, end)

    def _abort(self) -> None:
        self._connection.abort_answer()
