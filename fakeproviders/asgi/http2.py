"""HTTP/2 client connections (h2): requests in, answers out, flow control both ways.

Answers written while the event loop runs other exchanges' tasks are collected and sent in one
TLS write per loop iteration: many answers per write is what keeps the per-request cost low.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from h2.connection import ConnectionState
from h2.errors import ErrorCodes
from h2.settings import SettingCodes

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
from fakeproviders.hpack_plain import PlainEncoder

log = logging.getLogger("fakeproviders.asgi")

# Inbound headers are validated by h2 (a malformed request is a protocol error, RFC 9113
# §8.2.1); outbound ones come from our own apps.
_H2_CONFIG = h2.config.H2Configuration(
    client_side=False,
    header_encoding=None,
    validate_outbound_headers=False,
    normalize_outbound_headers=False,
)
_TOO_LARGE = b"Request body too large"


@dataclass(slots=True)
class _Incoming:
    scope: Scope
    body: bytearray = field(default_factory=bytearray)
    too_large: bool = False


@dataclass(slots=True)
class _Outbound:
    """Body bytes waiting for flow-control window, and whether they end the stream."""

    data: bytearray = field(default_factory=bytearray)
    end: bool = False


class Http2Connection(Connection):
    """One HTTP/2 connection (ALPN ``h2``, or a client that sent the HTTP/2 preface)."""

    def __init__(
        self,
        app: ASGIApp,
        limits: ServerLimits,
        *,
        on_open: Callable[[Connection], None],
        on_close: Callable[[Connection], None],
    ) -> None:
        super().__init__(app, limits, on_open=on_open, on_close=on_close)
        self._h2 = h2.connection.H2Connection(config=_H2_CONFIG)
        self._h2.encoder = PlainEncoder()
        self._incoming: dict[int, _Incoming] = {}
        self._answering: dict[int, _Http2Exchange] = {}
        self._outbound: dict[int, _Outbound] = {}
        self._flush_scheduled = False
        self._ending = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._h2.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                SettingCodes.MAX_CONCURRENT_STREAMS: self._limits.max_concurrent_streams,
                SettingCodes.MAX_HEADER_LIST_SIZE: self._limits.max_header_bytes,
            },
        )
        self._h2.initiate_connection()
        self._flush()

    def data_received(self, data: bytes) -> None:
        if self._ending:
            return
        self._idle.touch()
        try:
            events = self._h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            # h2 has queued a GOAWAY for most errors, but not for a bad preamble.
            log.info("HTTP/2 protocol error from a client, closing the connection: %s", exc)
            if self._h2.state_machine.state is not ConnectionState.CLOSED:
                with contextlib.suppress(h2.exceptions.ProtocolError):
                    self._h2.close_connection(error_code=exc.error_code)
            self._end()
            return
        for event in events:
            self._dispatch(event)
        self._flush()

    def shut_down(self) -> None:
        if self._draining or self._ending:
            return
        self._draining = True
        if not self._answering:
            self._end()
            return
        # New streams are refused (REFUSED_STREAM: safe to retry) until the answers in flight
        # are written; then GOAWAY and close. No GOAWAY first: httpx fails every stream still
        # waiting when one arrives, even those the GOAWAY lets finish.

    # -- for the exchanges ---------------------------------------------------------------------

    def send_head(
        self, stream_id: int, status: int, headers: Headers, body: bytes, end: bool
    ) -> None:
        """Send the answer's HEADERS, then ``body`` (ending the stream if ``end``)."""
        fields = [(b":status", str(status).encode()), *dated(headers)]
        try:
            if end and not body:
                self._h2.send_headers(stream_id, fields, end_stream=True)
                self._answered(stream_id)
            else:
                self._h2.send_headers(stream_id, fields)
                self.send_body(stream_id, body, end)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self._forget(stream_id)  # the client reset the stream meanwhile
        self._flush_soon()

    def send_body(self, stream_id: int, body: bytes, end: bool) -> None:
        """Queue more of the answer's body; it goes out as the flow-control windows allow."""
        outbound = self._outbound.get(stream_id)
        if outbound is None:
            outbound = self._outbound[stream_id] = _Outbound()
        outbound.data += body
        outbound.end = end
        try:
            self._pump(stream_id, outbound)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self._forget(stream_id)
        self._flush_soon()

    def reset_stream(self, stream_id: int) -> None:
        """End a stream whose answer cannot be completed (the app failed mid-body)."""
        with contextlib.suppress(h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self._h2.reset_stream(stream_id, ErrorCodes.INTERNAL_ERROR)
        self._forget(stream_id)
        self._flush_soon()

    # -- internals -----------------------------------------------------------------------------

    def _dispatch(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self._on_request(event)
        elif isinstance(event, h2.events.DataReceived):
            self._on_data(event)
        elif isinstance(event, h2.events.StreamEnded):
            self._on_stream_ended(event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            self._forget(event.stream_id)
        elif isinstance(event, h2.events.WindowUpdated | h2.events.RemoteSettingsChanged):
            for stream_id, outbound in list(self._outbound.items()):
                try:
                    self._pump(stream_id, outbound)
                except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
                    self._forget(stream_id)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._end()

    def _on_request(self, event: h2.events.RequestReceived) -> None:
        stream_id = event.stream_id
        assert stream_id is not None and event.headers is not None and self._transport is not None
        if self._draining:
            self._h2.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
            return
        method = target = authority = b""
        headers: Headers = []
        has_host = False
        for name, value in event.headers:
            name, value = bytes(name), bytes(value)
            if name[:1] != b":":
                headers.append((name, value))
                has_host = has_host or name == b"host"
            elif name == b":method":
                method = value
            elif name == b":path":
                target = value
            elif name == b":authority":
                authority = value
        if authority and not has_host:
            headers.insert(0, (b"host", authority))  # what HTTP/1.1 apps expect to find
        scope = http_scope(
            http_version="2",
            method=method.decode("ascii", "replace"),
            target=target,
            headers=headers,
            transport=self._transport,
        )
        self._incoming[stream_id] = _Incoming(scope)

    def _on_data(self, event: h2.events.DataReceived) -> None:
        stream_id = event.stream_id
        assert stream_id is not None
        # Give the window back at once: bodies are read whole before the app runs.
        self._h2.acknowledge_received_data(event.flow_controlled_length or 0, stream_id)
        incoming = self._incoming.get(stream_id)
        if incoming is None or incoming.too_large or not event.data:
            return
        if len(incoming.body) + len(event.data) > self._limits.max_body_bytes:
            incoming.too_large = True
            incoming.body.clear()
        else:
            incoming.body += event.data

    def _on_stream_ended(self, stream_id: int | None) -> None:
        assert stream_id is not None
        incoming = self._incoming.pop(stream_id, None)
        if incoming is None:
            return
        if incoming.too_large:
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
            self.send_head(stream_id, 413, headers, _TOO_LARGE, True)
            return
        exchange = _Http2Exchange(self, stream_id, incoming.scope, bytes(incoming.body))
        self._answering[stream_id] = exchange
        self._start(exchange)

    def _pump(self, stream_id: int, outbound: _Outbound) -> None:
        while True:
            room = min(
                self._h2.local_flow_control_window(stream_id), self._h2.max_outbound_frame_size
            )
            size = min(room, len(outbound.data))
            last = outbound.end and size == len(outbound.data)
            if size == 0 and not last:
                return  # no window yet, or the app has more body to come
            chunk = bytes(outbound.data[:size])
            del outbound.data[:size]
            self._h2.send_data(stream_id, chunk, end_stream=last)
            if last:
                del self._outbound[stream_id]
                self._answered(stream_id)
                return
            if not outbound.data:
                return

    def _answered(self, stream_id: int) -> None:
        self._answering.pop(stream_id, None)
        if self._draining and not self._answering:
            self._end()

    def _forget(self, stream_id: int | None) -> None:
        if stream_id is None:
            return
        self._incoming.pop(stream_id, None)
        self._outbound.pop(stream_id, None)
        exchange = self._answering.pop(stream_id, None)
        if exchange is not None:
            exchange.disconnect()
        if self._draining and not self._answering:
            self._end()

    def _busy(self) -> bool:
        return bool(self._answering or self._incoming)

    def _flush_soon(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        self._write(self._h2.data_to_send())

    def _end(self) -> None:
        """GOAWAY, flush, close; later input is ignored."""
        if self._ending:
            return
        self._ending = True
        if self._h2.state_machine.state is not ConnectionState.CLOSED:  # else GOAWAY was sent
            with contextlib.suppress(h2.exceptions.ProtocolError):
                self._h2.close_connection()
        self._flush()
        self._close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._ending = True
        for exchange in self._answering.values():
            exchange.disconnect()
        self._answering.clear()
        self._incoming.clear()
        self._outbound.clear()
        super().connection_lost(exc)


class _Http2Exchange(Exchange):
    def __init__(
        self, connection: Http2Connection, stream_id: int, scope: Scope, body: bytes
    ) -> None:
        super().__init__(scope, body)
        self._connection = connection
        self._stream_id = stream_id

    def _write_head(self, status: int, headers: Headers, body: bytes, end: bool) -> None:
        self._connection.send_head(self._stream_id, status, headers, body, end)

    def _write_body(self, body: bytes, end: bool) -> None:
        self._connection.send_body(self._stream_id, body, end)

    def _abort(self) -> None:
        self._connection.reset_stream(self._stream_id)
