"""One client connection of the fake APNs: bytes in, h2 events, replies, bytes out.

HTTP/2 starts right after TLS whatever ALPN said (reference/apns.md §4: aioapns and Pushy send
no ALPN). A protocol error ends this connection with GOAWAY and nothing else. What APNs does to a
connection lives here (§4): SETTINGS, one stream until authenticated, throttling after a
rejection, GOAWAY with a JSON reason (shutdown, idle timeout, too many errors, certificate errors).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from h2.connection import ConnectionState
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from hyperframe.frame import GoAwayFrame

from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.apns.reasons import ApnsReason
from fakeproviders.apns.validation import new_apns_id
from fakeproviders.apns.wire import Deferred, Reply, Request, reason_json
from fakeproviders.h2guard import FrameGuard, GuardLimits
from fakeproviders.hpack_plain import PlainEncoder, unindexed
from fakeproviders.idle import IdleTimer

log = logging.getLogger(__name__)

# Inbound headers are validated by h2 (RFC 9113 §8.2.1, as Apple's server would); outbound
# ones are our own constants and ids.
_H2_CONFIG = h2.config.H2Configuration(
    client_side=False,
    header_encoding=None,
    validate_outbound_headers=False,
    normalize_outbound_headers=False,
)
# New in every answer: indexing them would only churn the HPACK dynamic table.
_PER_ANSWER = frozenset({"apns-id", "apns-unique-id"})
# What APNs sent when a client opened more streams than allowed (pushy#356, reference §4).
_TOO_MANY_STREAMS = b"Maximum active streams violated for this endpoint."


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


#: ``(request, auth) -> reply``: what the server answers on one listener.
Handler = Callable[[Request, ConnectionAuth], Reply | Deferred]
#: ``(DER client certificate or None) -> auth, or the reason to refuse the connection``.
Authenticator = Callable[[bytes | None], ConnectionAuth | ApnsReason]


class ApnsConnection(asyncio.Protocol):
    """The asyncio protocol of one TLS connection, speaking HTTP/2 through h2."""

    def __init__(
        self,
        handler: Handler,
        options: ApnsOptions,
        *,
        authenticate: Authenticator,
        on_open: Callable[[ApnsConnection], None],
        on_close: Callable[[ApnsConnection], None],
        on_too_many_streams: Callable[[], None] = lambda: None,
    ) -> None:
        self._handler = handler
        self._on_too_many_streams = on_too_many_streams
        self._options = options
        self._authenticate = authenticate
        self._on_open = on_open
        self._on_close = on_close
        self._h2 = h2.connection.H2Connection(config=_H2_CONFIG)
        self._h2.encoder = PlainEncoder()
        self._auth = ConnectionAuth()
        self._requests: dict[int, Request] = {}
        self._pending: dict[int, bytes] = {}  # error bodies waiting for flow-control window
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        # Enough to tell "too large" for any push type without holding a flood in memory.
        self._body_cap = (
            max(
                options.max_payload_bytes,
                options.max_voip_payload_bytes,
                options.max_broadcast_payload_bytes,
            )
            + 1
        )
        self._errors = 0
        resets = options.max_stream_resets
        self._guard = FrameGuard(
            GuardLimits(resets=(resets, resets / 10) if resets is not None else (2**62, 0.0))
        )
        self._throttled = False
        # reference/apns.md §4: APNs closes idle connections with GOAWAY IdleTimeout.
        self._idle = IdleTimer(options.idle_timeout, self._idle_out)
        self._timers: set[asyncio.TimerHandle] = set()
        self._ending = False
        self.closed = self._loop.create_future()

    @property
    def auth(self) -> ConnectionAuth:
        """What the connection has proven (certificate, provider token)."""
        return self._auth

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        # Only now: asyncio never reports a connection whose TLS handshake failed.
        self._on_open(self)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        auth = self._authenticate(der)
        first = self._options.streams_before_auth
        limit = self._options.max_concurrent_streams
        if isinstance(auth, ConnectionAuth):
            self._auth = auth
            if first is not None and not auth.authenticated:
                limit = first
        self._h2.local_settings = apns_settings(limit)
        self._h2.initiate_connection()
        if isinstance(auth, ApnsReason):
            # A bad client certificate: GOAWAY with JSON, then close (gun#308, reference §3.2).
            self._end(ErrorCodes.NO_ERROR, reason_json(auth.wire))
            return
        self._flush()
        self._idle.touch()
        # A client that never says its preface only holds a socket (slow-client defence).
        self._timers.add(self._loop.call_later(self._options.header_timeout, self._check_preface))

    def data_received(self, data: bytes) -> None:
        if self._ending:
            return
        verdict = self._guard.feed(data)
        if verdict is not None:
            log.info("APNs client abuse, closing the connection: %s", verdict.reason)
            self._end(verdict.code, verdict.reason.encode())
            return
        try:
            for event in self._h2.receive_data(data):
                self._dispatch(event)
                if self._ending:
                    return
        except h2.exceptions.TooManyStreamsError:
            self._on_too_many_streams()
            # h2 queued its own GOAWAY (PROTOCOL_ERROR); send APNs's instead (pushy#356, §4).
            self._h2.data_to_send()
            frame = GoAwayFrame(
                0,
                last_stream_id=self._h2.highest_inbound_stream_id,
                error_code=ErrorCodes.REFUSED_STREAM,
                additional_data=_TOO_MANY_STREAMS,
            )
            if self._transport is not None:
                self._transport.write(frame.serialize())
            self._abandon()
            return
        except h2.exceptions.ProtocolError as exc:
            # h2 queues a GOAWAY for most errors, but not for a bad preamble: send one then.
            log.info("APNs client protocol error, closing the connection: %s", exc)
            if self._h2.state_machine.state is not ConnectionState.CLOSED:
                self._goaway(exc.error_code)
            self._abandon()
            return
        except Exception:
            log.exception("unexpected error on an APNs client connection")
            self._end(ErrorCodes.INTERNAL_ERROR)
            return
        self._flush()

    def pause_writing(self) -> None:
        # A client that does not read: stop reading its requests until it catches up.
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._ending:
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._requests.clear()
        self._pending.clear()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._idle.cancel()
        if not self.closed.done():
            self.closed.set_result(None)
        self._on_close(self)

    # -- server side ---------------------------------------------------------------------------

    def shut_down(self) -> None:
        """GOAWAY with APNs's JSON reason ``Shutdown`` (reference/apns.md §4), then close."""
        self._end(ErrorCodes.NO_ERROR, reason_json(ApnsReason.Shutdown.wire))

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
        elif isinstance(event, h2.events.PingReceived):
            self._idle.touch()  # a client keeping its connection alive (reference §4)
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
        self._requests[event.stream_id] = Request(method, path, headers)

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
        self._idle.touch()
        was_authenticated = self._auth.authenticated
        try:
            reply = self._handler(request, self._auth)
        except Exception:
            log.exception("the fake APNs failed on a request")
            reply = _internal_error()
        if not was_authenticated and self._auth.authenticated:
            self._set_stream_limit(self._options.max_concurrent_streams)
        if isinstance(reply, Deferred):
            self._answer_later(stream_id, reply)
        else:
            self._answer(stream_id, reply)

    def _answer_later(self, stream_id: int, deferred: Deferred) -> None:
        def fire() -> None:
            self._timers.discard(timer)
            if self._ending:
                return
            try:
                reply = deferred.then()
            except Exception:
                log.exception("the fake APNs failed on a delayed request")
                reply = _internal_error()
            self._answer(stream_id, reply)
            self._flush()

        timer = self._loop.call_later(deferred.delay, fire)
        self._timers.add(timer)

    def _answer(self, stream_id: int, reply: Reply) -> None:
        # The client may have reset the stream meanwhile; then nobody is listening.
        with contextlib.suppress(h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self._respond(stream_id, reply)
        if reply.goaway is not None:
            self._end(ErrorCodes.NO_ERROR, reply.goaway)
            return
        if reply.is_error:
            self._errors += 1
            limit = self._options.max_errors_per_connection
            if limit is not None and self._errors >= limit:
                # "APNs disconnects a provider connection with too many error conditions" (§2.4).
                self._end(ErrorCodes.NO_ERROR, reply.body or None)
                return
            if self._options.throttle_after_rejection and not self._throttled:
                self._throttled = True
                self._set_stream_limit(1)
        elif reply.status == 200 and self._throttled:
            self._throttled = False
            self._set_stream_limit(self._options.max_concurrent_streams)

    def _respond(self, stream_id: int, reply: Reply) -> None:
        headers = [(":status", str(reply.status)), *unindexed(reply.headers, _PER_ANSWER)]
        if not reply.body:
            self._h2.send_headers(stream_id, headers, end_stream=True)
            return
        self._h2.send_headers(stream_id, headers)
        self._pending[stream_id] = reply.body
        self._send_pending()

    def _send_pending(self) -> None:
        """Send each waiting body as ONE DATA frame once the windows allow it (§2.2)."""
        for stream_id, body in list(self._pending.items()):
            try:
                room = min(
                    self._h2.local_flow_control_window(stream_id),
                    self._h2.max_outbound_frame_size,
                )
                if room < len(body):
                    continue
                self._h2.send_data(stream_id, body, end_stream=True)
            except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
                pass
            del self._pending[stream_id]

    def _set_stream_limit(self, limit: int) -> None:
        # One stream until authenticated or while throttled, then the full limit (§4).
        if self._options.streams_before_auth is None and not self._options.throttle_after_rejection:
            return
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: limit})

    def _check_preface(self) -> None:
        if not self._guard.preface_seen:
            self.abort()

    def _idle_out(self) -> None:
        self._end(ErrorCodes.NO_ERROR, reason_json(ApnsReason.IdleTimeout.wire))

    def _end(self, code: ErrorCodes, data: bytes | None = None) -> None:
        """GOAWAY, flush, close; later input is ignored."""
        if self._ending:
            return
        self._ending = True
        self._goaway(code, data)
        self._abandon()

    def _goaway(self, code: ErrorCodes, data: bytes | None = None) -> None:
        # A ProtocolError here means the connection is already closed and its GOAWAY sent.
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.close_connection(error_code=code, additional_data=data)

    def _flush(self) -> None:
        data = self._h2.data_to_send()
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def _abandon(self) -> None:
        self._ending = True
        self._flush()
        if self._transport is not None:
            self._transport.close()


def _internal_error() -> Reply:
    return Reply(
        500,
        (("content-type", "application/json"), ("apns-id", new_apns_id())),
        reason_json(ApnsReason.InternalServerError.wire),
    )
