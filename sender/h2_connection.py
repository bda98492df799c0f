"""One client HTTP/2 connection over TLS, on asyncio and h2, for the provider clients.

Why not httpx here: a push is a tiny request whose cost is all per-request overhead, and APNs
behaviour lives below HTTP semantics (the server's MAX_CONCURRENT_STREAMS, GOAWAY with a JSON
reason, reference/apns.md §4). This connection exposes exactly that: a stream budget the pool can
see, and a clear difference between "the server never processed this stream" (safe to send again
elsewhere) and "the connection died with the stream in flight" (maybe processed).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
from hpack import Encoder, NeverIndexedHeaderTuple

from .errors import ProviderUnreachable

# Our receive windows: big enough that the server never waits for us (answers are small).
_WINDOW = 16 * 1024 * 1024
# Until the server's first SETTINGS frame, send on one stream only: APNs "allows only one stream
# until you post a request with a valid authentication token" (reference/apns.md §4).
_STREAMS_BEFORE_SETTINGS = 1


class _PlainEncoder(Encoder):
    """HPACK without Huffman coding: optional in RFC 7541, and the pure-Python Huffman coder
    costs more per push than everything else the client does (profiled). Loopback and
    datacentre links don't miss the few bytes it saves."""

    def encode(self, headers: Any, huffman: bool = False) -> bytes:
        return super().encode(headers, huffman=False)


class StreamNotProcessed(ProviderUnreachable):
    """The server did not process the stream (GOAWAY below it, or REFUSED_STREAM): resend it."""


@dataclass(slots=True)
class H2Response:
    """A complete HTTP/2 answer."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class _Stream:
    future: asyncio.Future[H2Response]
    pending: memoryview | None = None
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)


class H2Connection(asyncio.Protocol):
    """A client HTTP/2 connection; ``H2Pool`` decides which requests go on it."""

    def __init__(
        self,
        authority: str,
        on_change: Callable[[H2Connection], None],
        *,
        index_path: bool = False,
    ) -> None:
        """``index_path``: let HPACK index ``:path`` (worth it when every request has the same
        path, as FCM's; APNs paths are unique per token, reference/apns.md §1.3)."""
        self.authority = authority
        self._on_change = on_change
        self._index_path = index_path
        # Our own headers are well-formed by construction: skip h2's per-request re-checks.
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
        )
        self._h2 = h2.connection.H2Connection(config=config)
        self._h2.encoder = _PlainEncoder()
        self._transport: asyncio.Transport | None = None
        self._streams: dict[int, _Stream] = {}
        self._loop = loop = asyncio.get_running_loop()
        self._flush_pending = False
        self.ready: asyncio.Future[None] = loop.create_future()
        """Resolved once the server's first SETTINGS frame arrived."""
        self.closed: asyncio.Future[None] = loop.create_future()
        self.reserved = 0
        """Streams promised to callers (open or about to be opened)."""
        self.max_streams = _STREAMS_BEFORE_SETTINGS
        self.going_away = False
        """True after GOAWAY or a fatal error: no new streams on this connection."""
        self.goaway_reason: str | None = None
        self.requests = 0

    # -- what the pool reads ------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        return not self.going_away and not self.closed.done()

    @property
    def has_room(self) -> bool:
        return self.usable and self.reserved < self.max_streams

    # -- requests -----------------------------------------------------------------------------

    async def request(
        self, method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> H2Response:
        """Send one request on a stream the caller reserved (``reserved`` was raised)."""
        if not self.usable or self._transport is None:
            raise StreamNotProcessed(f"connection to {self.authority} is closing")
        try:
            stream_id = self._h2.get_next_available_stream_id()
        except h2.exceptions.NoAvailableStreamIDError:
            self._retire()
            raise StreamNotProcessed("stream ids used up") from None
        request_headers = [
            (":method", method),
            (":scheme", "https"),
            (":authority", self.authority),
            # A unique path is sent literal, not indexed (reference/apns.md §1.3 HPACK advice).
            (":path", path) if self._index_path else NeverIndexedHeaderTuple(":path", path),
            *headers,
        ]
        future: asyncio.Future[H2Response] = asyncio.get_running_loop().create_future()
        stream = _Stream(future)
        self._streams[stream_id] = stream
        self.requests += 1
        try:
            self._h2.send_headers(stream_id, request_headers, end_stream=not body)
            if body:
                stream.pending = memoryview(body)
                self._send_pending(stream_id, stream)
        except h2.exceptions.ProtocolError as exc:
            self._streams.pop(stream_id, None)
            self._retire()
            raise StreamNotProcessed(f"cannot open a stream: {exc!r}") from exc
        self._flush_soon()
        try:
            return await future
        except asyncio.CancelledError:
            # A timeout or a cancelled caller: tell the server we gave up on this stream.
            if self._streams.pop(stream_id, None) is not None and self.usable:
                try:
                    self._h2.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
                    self._flush()
                except h2.exceptions.ProtocolError:
                    pass
            raise

    def close(self) -> None:
        """Close now; in-flight streams fail."""
        self.going_away = True
        if self._transport is not None and not self._transport.is_closing():
            try:
                self._h2.close_connection()
                self._flush()
            except h2.exceptions.ProtocolError:
                pass
            self._transport.close()

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._h2.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: _WINDOW,
            },
        )
        self._h2.initiate_connection()
        self._h2.increment_flow_control_window(_WINDOW)
        self._flush()

    def data_received(self, data: bytes) -> None:
        try:
            events = self._h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            self._flush()
            self._fail_all(ProviderUnreachable(f"HTTP/2 protocol error from server: {exc!r}"))
            self.close()
            return
        for event in events:
            self._handle(event)
        self._flush_soon()

    def connection_lost(self, exc: Exception | None) -> None:
        self.going_away = True
        self._transport = None
        self._fail_all(ProviderUnreachable(f"connection to {self.authority} lost: {exc!r}"))
        if not self.ready.done():
            self.ready.set_exception(ProviderUnreachable("connection closed before SETTINGS"))
            self.ready.exception()  # mark retrieved: the pool may not be waiting any more
        if not self.closed.done():
            self.closed.set_result(None)
        self._on_change(self)

    # -- h2 events ----------------------------------------------------------------------------

    def _handle(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.ResponseReceived):
            stream = self._streams.get(event.stream_id)
            if stream is not None:
                for name, value in event.headers:
                    key = name.decode("ascii", "replace")
                    text = value.decode("utf-8", "replace")
                    if key == ":status":
                        stream.status = int(text) if text.isdigit() else 0
                    else:
                        stream.headers[key] = text
        elif isinstance(event, h2.events.DataReceived):
            stream = self._streams.get(event.stream_id)
            if stream is not None:
                stream.body += event.data
            if event.flow_controlled_length:
                self._h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            self._finish(event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            stream = self._streams.pop(event.stream_id, None)
            if stream is not None and not stream.future.done():
                error: Exception = (
                    StreamNotProcessed("server refused the stream")
                    if event.error_code == h2.errors.ErrorCodes.REFUSED_STREAM
                    else ProviderUnreachable(f"stream reset by server: {event.error_code!r}")
                )
                stream.future.set_exception(error)
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            changed = event.changed_settings.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS)
            if changed is not None:
                self.max_streams = max(1, changed.new_value)
            if not self.ready.done():
                if changed is None:
                    # No limit announced: RFC 9113 says unlimited; stay reasonable.
                    self.max_streams = 100
                self.ready.set_result(None)
            self._on_change(self)
        elif isinstance(event, h2.events.WindowUpdated):
            for stream_id, stream in list(self._streams.items()):
                if stream.pending is not None:
                    self._send_pending(stream_id, stream)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._goaway(event)

    def _goaway(self, event: h2.events.ConnectionTerminated) -> None:
        # APNs sends JSON {"reason": ...}, but not always (plain text on MCS violations, §4).
        self.goaway_reason = _reason(event.additional_data) or str(event.error_code)
        last = event.last_stream_id if event.last_stream_id is not None else 0
        self.going_away = True
        for stream_id in [s for s in self._streams if s > last]:
            stream = self._streams.pop(stream_id)
            if not stream.future.done():
                stream.future.set_exception(
                    StreamNotProcessed(f"GOAWAY ({self.goaway_reason}) before this stream")
                )
        self._on_change(self)
        if not self._streams:
            self.close()

    def _finish(self, stream_id: int) -> None:
        stream = self._streams.pop(stream_id, None)
        if stream is not None and not stream.future.done():
            stream.future.set_result(H2Response(stream.status, stream.headers, bytes(stream.body)))
        if self.going_away and not self._streams:
            self.close()

    def _send_pending(self, stream_id: int, stream: _Stream) -> None:
        data = stream.pending
        assert data is not None
        try:
            window = self._h2.local_flow_control_window(stream_id)
        except h2.exceptions.StreamClosedError:
            stream.pending = None
            return
        frame = self._h2.max_outbound_frame_size
        while data and window > 0:
            size = min(len(data), window, frame)
            self._h2.send_data(stream_id, data[:size].tobytes(), end_stream=size == len(data))
            data = data[size:]
            window -= size
        # What the window did not let through waits for a WINDOW_UPDATE.
        stream.pending = data if data else None

    def _fail_all(self, error: Exception) -> None:
        streams, self._streams = self._streams, {}
        for stream in streams.values():
            if not stream.future.done():
                stream.future.set_exception(error)

    def _retire(self) -> None:
        self.going_away = True
        self._on_change(self)

    def _flush_soon(self) -> None:
        # Requests made in one turn of the event loop leave in one TLS write: encrypting and
        # sending each small frame on its own costs more than building it (profiled).
        if not self._flush_pending:
            self._flush_pending = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        data = self._h2.data_to_send()
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)


def _reason(data: bytes | None) -> str | None:
    if not data:
        return None
    try:
        body = json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")[:200]
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason if isinstance(reason, str) else None
