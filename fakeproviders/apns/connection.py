"""One client connection of the fake APNs: bytes in, h2 events, decisions, bytes out.

HTTP/2 starts right after TLS whatever ALPN said (reference/apns.md §4: aioapns and Pushy send
no ALPN). A protocol error ends this connection with GOAWAY and nothing else.
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

from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.apns.reasons import ApnsReason
from fakeproviders.apns.validation import Accepted, Decision, Rejected, new_apns_id

log = logging.getLogger(__name__)

#: ``(method, path, headers, body, auth) -> decision``: the server's request handler.
Handler = Callable[[str, str, list[tuple[str, str]], bytes, ConnectionAuth], Decision]

_H2_CONFIG = h2.config.H2Configuration(client_side=False, header_encoding=None)


def _decode(value: bytes) -> str:
    # Lossless for any bytes, so a bad header becomes a rejection, never a crash.
    return value.decode("utf-8", "surrogateescape")


def apns_settings(max_concurrent_streams: int) -> h2.settings.Settings:
    """The SETTINGS APNs advertises (reference/apns.md §4, pushy#356), and nothing more."""
    settings = h2.settings.Settings(
        client=False,
        initial_values={
            SettingCodes.HEADER_TABLE_SIZE: 4096,
            SettingCodes.MAX_CONCURRENT_STREAMS: max_concurrent_streams,
            SettingCodes.INITIAL_WINDOW_SIZE: 65535,
            SettingCodes.MAX_FRAME_SIZE: 16384,
            SettingCodes.MAX_HEADER_LIST_SIZE: 8000,
        },
    )
    del settings[SettingCodes.ENABLE_PUSH]
    del settings[SettingCodes.ENABLE_CONNECT_PROTOCOL]
    return settings


@dataclass(slots=True)
class _Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytearray = field(default_factory=bytearray)


class ApnsConnection(asyncio.Protocol):
    """The asyncio protocol of one TLS connection, speaking HTTP/2 through h2."""

    def __init__(
        self,
        handler: Handler,
        options: ApnsOptions,
        *,
        unique_ids: bool,
        on_close: Callable[[ApnsConnection], None],
    ) -> None:
        self._handler = handler
        self._options = options
        self._unique_ids = unique_ids
        self._on_close = on_close
        self._h2 = h2.connection.H2Connection(config=_H2_CONFIG)
        self._auth = ConnectionAuth()
        self._requests: dict[int, _Request] = {}
        self._pending: dict[int, bytes] = {}  # error bodies waiting for flow-control window
        self._transport: asyncio.Transport | None = None
        # Enough to tell "too large" for any push type without holding a flood in memory.
        self._body_cap = max(options.max_payload_bytes, options.max_voip_payload_bytes) + 1
        self.closed = asyncio.get_running_loop().create_future()

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        first = self._options.streams_before_auth
        self._h2.local_settings = apns_settings(
            self._options.max_concurrent_streams if first is None else first
        )
        self._h2.initiate_connection()
        self._flush()

    def data_received(self, data: bytes) -> None:
        try:
            for event in self._h2.receive_data(data):
                self._dispatch(event)
        except h2.exceptions.ProtocolError as exc:
            # h2 queues a GOAWAY for most errors, but not for a bad preamble: send one then.
            log.info("APNs client protocol error, closing the connection: %s", exc)
            if self._h2.state_machine.state is not ConnectionState.CLOSED:
                self._goaway(exc.error_code)
            self._abandon()
            return
        except Exception:
            log.exception("unexpected error on an APNs client connection")
            self._goaway(ErrorCodes.INTERNAL_ERROR)
            self._abandon()
            return
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._requests.clear()
        self._pending.clear()
        if not self.closed.done():
            self.closed.set_result(None)
        self._on_close(self)

    # -- server side ---------------------------------------------------------------------------

    def shut_down(self) -> None:
        """GOAWAY with APNs's JSON reason (reference/apns.md §4), then close."""
        self._goaway(ErrorCodes.NO_ERROR, b'{"reason":"%s"}' % ApnsReason.Shutdown.wire.encode())
        self._abandon()

    def abort(self) -> None:
        """Drop the socket without ceremony (a peer that never finished closing)."""
        if self._transport is not None:
            self._transport.abort()

    # -- internals -----------------------------------------------------------------------------

    def _dispatch(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self._on_request(event)
        elif isinstance(event, h2.events.DataReceived):
            self._on_data(event)
        elif isinstance(event, h2.events.StreamEnded):
            self._on_stream_ended(event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            self._requests.pop(event.stream_id, None)
            self._pending.pop(event.stream_id, None)
        elif isinstance(event, h2.events.WindowUpdated):
            self._send_pending()
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._abandon()

    def _on_request(self, event: h2.events.RequestReceived) -> None:
        assert event.stream_id is not None and event.headers is not None
        method = path = ""
        headers: list[tuple[str, str]] = []
        for raw_name, raw_value in event.headers:
            name, value = _decode(bytes(raw_name)), _decode(bytes(raw_value))
            if name == ":method":
                method = value
            elif name == ":path":
                path = value
            elif not name.startswith(":"):
                headers.append((name, value))
        self._requests[event.stream_id] = _Request(method, path, headers)

    def _on_data(self, event: h2.events.DataReceived) -> None:
        assert event.stream_id is not None
        # Give the window back at once: APNs reads whole bodies and answers per stream.
        self._h2.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id)
        request = self._requests.get(event.stream_id)
        if request is not None and event.data and len(request.body) < self._body_cap:
            request.body += event.data[: self._body_cap - len(request.body)]

    def _on_stream_ended(self, stream_id: int | None) -> None:
        assert stream_id is not None
        request = self._requests.pop(stream_id, None)
        if request is None:
            return
        was_authenticated = self._auth.authenticated
        try:
            decision = self._handler(
                request.method, request.path, request.headers, bytes(request.body), self._auth
            )
        except Exception:
            log.exception("the fake APNs failed on a request")
            decision = Rejected.of(ApnsReason.InternalServerError, new_apns_id())
        if not was_authenticated and self._auth.authenticated:
            self._lift_stream_limit()
        # The client may have reset the stream meanwhile; then nobody is listening.
        with contextlib.suppress(h2.exceptions.StreamClosedError):
            self._respond(stream_id, decision)

    def _respond(self, stream_id: int, decision: Decision) -> None:
        if isinstance(decision, Accepted):
            headers = [(":status", "200"), ("apns-id", decision.apns_id)]
            if self._unique_ids:  # sandbox only (reference/apns.md §2.1)
                headers.append(("apns-unique-id", new_apns_id()))
            self._h2.send_headers(stream_id, headers, end_stream=True)
            return
        self._h2.send_headers(
            stream_id,
            [
                (":status", str(decision.status)),
                ("content-type", "application/json"),
                ("apns-id", decision.apns_id),
            ],
        )
        self._pending[stream_id] = decision.body()
        self._send_pending()

    def _send_pending(self) -> None:
        """Send each waiting error body as ONE DATA frame once the windows allow it (§2.2)."""
        for stream_id, body in list(self._pending.items()):
            try:
                room = min(
                    self._h2.local_flow_control_window(stream_id),
                    self._h2.max_outbound_frame_size,
                )
                if room < len(body):
                    continue
                self._h2.send_data(stream_id, body, end_stream=True)
            except h2.exceptions.StreamClosedError:
                pass
            del self._pending[stream_id]

    def _lift_stream_limit(self) -> None:
        # One stream until the first valid token, then the full limit (reference/apns.md §4).
        if self._options.streams_before_auth is not None:
            self._h2.update_settings(
                {SettingCodes.MAX_CONCURRENT_STREAMS: self._options.max_concurrent_streams}
            )

    def _goaway(self, code: ErrorCodes, data: bytes | None = None) -> None:
        # A ProtocolError here means the connection is already closed and its GOAWAY sent.
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.close_connection(error_code=code, additional_data=data)

    def _flush(self) -> None:
        data = self._h2.data_to_send()
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def _abandon(self) -> None:
        self._flush()
        if self._transport is not None:
            self._transport.close()
