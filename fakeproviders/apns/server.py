"""The fake APNs server: TLS + HTTP/2 on 127.0.0.1, validation, registry, timeline.

Built on asyncio and h2 rather than an ASGI server, because APNs behaviour lives below HTTP
semantics: HTTP/2 without ALPN, its SETTINGS, one-DATA-frame errors, GOAWAY with JSON
(reference/apns.md §2.2, §4). Two listeners: device pushes and broadcasts (Apple's port 443/2197)
and channel management (Apple's 2195/2196, §5.1).

Environments: one ``FakeApns`` is one environment. For both, run two that share one
``ApnsRegistry`` (``FakeApns.pair``): tokens carry their environment, so a sandbox token sent to the
production server is unknown there (400 BadDeviceToken, §1.1), and each server has its own keys.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fakeproviders.apns import broadcast as bc
from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.broadcast_frontend import BroadcastFrontend, fields_of
from fakeproviders.apns.certificates import read_certificate
from fakeproviders.apns.connection import ApnsConnection
from fakeproviders.apns.keys import ApnsSigningKey
from fakeproviders.apns.log import ApnsLogEntry, RequestLog
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.apns.reasons import ApnsReason
from fakeproviders.apns.registry import PROVIDER, ApnsRegistry
from fakeproviders.apns.validation import (
    Accepted,
    ApnsValidator,
    Decision,
    Rejected,
    new_apns_id,
    request_apns_id,
)
from fakeproviders.apns.wire import Deferred, Reply, Request, reason_json
from fakeproviders.clock import Clock
from fakeproviders.events import Emit, NotificationAccepted, NotificationRejected, discard_event
from fakeproviders.faults import Fault, FaultInjector

# How long stop() lets a client finish its TLS close before dropping the socket.
_CLOSE_GRACE_SECONDS = 2.0
_DEVICE_PREFIX = "/3/device/"
# The reason a fault with only a status answers with (reference/apns.md §2.3-§2.4).
_DEFAULT_FAULT_REASON = {
    400: ApnsReason.BadDeviceToken,
    403: ApnsReason.Forbidden,
    404: ApnsReason.BadPath,
    405: ApnsReason.MethodNotAllowed,
    410: ApnsReason.Unregistered,
    413: ApnsReason.PayloadTooLarge,
    429: ApnsReason.TooManyRequests,
    500: ApnsReason.InternalServerError,
    503: ApnsReason.ServiceUnavailable,
}

__all__ = ["ApnsLogEntry", "FakeApns"]


class FakeApns:
    """A fake ``api.push.apple.com`` / ``api.sandbox.push.apple.com``.

    ```python
    apns = FakeApns(clock=clock, ssl_context=ca.server_ssl_context(alpn=("h2",)),
                    keys=[key], topics=["com.example.app"])
    await apns.start()
    token = apns.registry.register("phone-1", "com.example.app")
    ...  # POST f"{apns.url}/3/device/{token}"
    await apns.stop()
    ```
    """

    def __init__(
        self,
        *,
        clock: Clock,
        ssl_context: ssl.SSLContext,
        keys: Sequence[ApnsSigningKey],
        topics: Sequence[str],
        emit: Emit = discard_event,
        registry: ApnsRegistry | None = None,
        environment: str = "sandbox",
        options: ApnsOptions | None = None,
        client_ca: str | Path | None = None,
        real_clock: Clock | None = None,
        faults: FaultInjector | None = None,
    ) -> None:
        """Configure (not start) the server.

        ``ssl_context`` is a server context such as ``LocalCA.server_ssl_context(alpn=("h2",))``;
        ``keys`` are the token-auth keys whose JWTs are accepted; ``topics`` the bundle ids this
        server serves (push-type suffixes like ``.voip`` are derived). Without ``registry`` a new
        ``ApnsRegistry`` is made on ``clock``, ``emit``, ``environment`` and ``options``; a given
        one keeps its own. ``environment`` is ``"sandbox"`` (adds ``apns-unique-id``) or
        ``"production"``. ``client_ca`` (a PEM file, e.g. ``LocalCA.cert_path``) turns on
        certificate auth: ``ssl_context`` then asks for client certificates signed by it.
        ``real_clock`` (default: the wall clock) is what outside senders sign JWTs with; a JWT is
        judged against it at first sight, then ages on ``clock`` (docs/time.md).
        ``faults`` shares an injector with another server (``pair``); by default it has its own.
        """
        self.clock = clock
        self.environment = environment
        self.options = options or ApnsOptions()
        self.registry = (
            registry
            if registry is not None
            else ApnsRegistry(clock, emit, environment, options=self.options)
        )
        """The tokens and phones this server delivers to."""
        self.validator = ApnsValidator(
            keys=keys,
            topics=topics,
            registry=self.registry,
            clock=clock,
            environment=environment,
            options=self.options,
            real_clock=real_clock,
        )
        self.faults = faults if faults is not None else FaultInjector()
        """Injected faults, consulted for every request before validation."""
        self.channels = bc.ChannelStore(self.options)
        """Broadcast channels of this environment (reference/apns.md §5.1)."""
        self.log = RequestLog(self.options.request_log_size)
        """Every answered request with headers, payload and decision."""
        self.broadcasts = BroadcastFrontend(
            self.channels, self.validator, self.registry, clock, self.log
        )
        self._emit = emit
        if client_ca is not None:
            ssl_context.load_verify_locations(cafile=str(client_ca))
            ssl_context.verify_mode = ssl.CERT_OPTIONAL
        self._certificates = client_ca is not None
        self._ssl_context = ssl_context
        self._servers: list[asyncio.Server] = []
        self._connections: set[ApnsConnection] = set()
        self.connections_opened = 0
        """TLS connections accepted so far (a sender should reuse a few, not open one per push)."""
        self.streams_over_limit = 0
        """Times a client opened a stream beyond the MAX_CONCURRENT_STREAMS it was given; each
        ended its connection with GOAWAY (reference/apns.md §4)."""

    @classmethod
    def pair(
        cls,
        *,
        clock: Clock,
        ssl_context: Callable[[], ssl.SSLContext],
        keys: Sequence[ApnsSigningKey],
        topics: Sequence[str],
        emit: Emit = discard_event,
        options: ApnsOptions | None = None,
        client_ca: str | Path | None = None,
    ) -> tuple[FakeApns, FakeApns]:
        """A sandbox and a production server sharing one registry (module doc).

        ``ssl_context`` makes a fresh server context per server (``lambda:
        ca.server_ssl_context(alpn=("h2",))``). ``keys`` are all the team's keys: a key whose
        ``environment`` is set works only there (BadEnvironmentKeyInToken elsewhere). Phones
        register sandbox tokens by default; ``registry.register(phone, app, "production")``
        issues production ones. Both consult one set of injected faults.
        """
        registry = ApnsRegistry(clock, emit, "sandbox", options=options)
        faults = FaultInjector()
        return tuple(  # type: ignore[return-value]
            cls(
                clock=clock,
                ssl_context=ssl_context(),
                keys=keys,
                topics=topics,
                emit=emit,
                registry=registry,
                environment=environment,
                options=options,
                client_ca=client_ca,
                faults=faults,
            )
            for environment in ("sandbox", "production")
        )

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0, channels_port: int = 0) -> None:
        """Listen on ``host:port`` for pushes and ``host:channels_port`` for channel management
        (0 = an ephemeral port, read back from ``port`` and ``channels_port``)."""
        if self._servers:
            raise RuntimeError("the fake APNs is already running")
        loop = asyncio.get_running_loop()
        for handler, at in ((self.handle, port), (self.handle_channels, channels_port)):
            self._servers.append(
                await loop.create_server(
                    functools.partial(self._new_connection, handler),
                    host,
                    at,
                    ssl=self._ssl_context,
                    ssl_handshake_timeout=self.options.handshake_timeout,
                )
            )

    @property
    def port(self) -> int:
        """The port of device pushes and broadcasts."""
        return self._port(0)

    @property
    def channels_port(self) -> int:
        """The port of channel management."""
        return self._port(1)

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``, the base URL for senders."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def channels_url(self) -> str:
        """``https://127.0.0.1:<channels_port>``, the channel-management base URL."""
        return f"https://127.0.0.1:{self.channels_port}"

    @property
    def request_log(self) -> deque[ApnsLogEntry]:
        """The latest answered requests, oldest first."""
        return self.log.entries

    def requests(self, *, token: str | None = None, topic: str | None = None) -> list[ApnsLogEntry]:
        """Answered requests, optionally only those to ``token`` and/or ``topic``."""
        return self.log.query(token=token, topic=topic)

    def clear_requests(self) -> None:
        """Forget every logged request."""
        self.log.clear()

    async def stop(self) -> None:
        """Stop listening, send GOAWAY (``Shutdown``) on every connection and close them."""
        servers, self._servers = self._servers, []
        if not servers:
            return
        for server in servers:
            server.close()
        connections = list(self._connections)
        for connection in connections:
            connection.shut_down()
        if connections:
            _, late = await asyncio.wait(
                [c.closed for c in connections], timeout=_CLOSE_GRACE_SECONDS
            )
            for connection in connections:
                if not connection.closed.done():
                    connection.abort()
            if late:
                await asyncio.wait(late, timeout=_CLOSE_GRACE_SECONDS)
        for server in servers:
            await server.wait_closed()

    # -- requests ------------------------------------------------------------------------------

    def handle(self, request: Request, auth: ConnectionAuth) -> Reply | Deferred:
        """One request on the push listener: faults first, then validation (or a broadcast)."""
        fields = fields_of(request.headers)
        token = _path_token(request.path)
        fault = self.faults.pick(token=token, topic=fields.get("apns-topic"), now=self.clock.now())
        if fault is None:
            return self._answer(request, auth)
        if fault.status is not None:
            reply = self._fault_reply(request, fault, token)
        else:

            def reply_later() -> Reply:
                answer = self._answer(request, auth)
                if fault.goaway:
                    reason = fault.reason or ApnsReason.Shutdown.wire
                    answer = Reply(answer.status, answer.headers, answer.body, reason_json(reason))
                return answer

            if fault.latency > 0:
                return Deferred(fault.latency, reply_later)
            return reply_later()
        if fault.latency > 0:
            return Deferred(fault.latency, lambda: reply)
        return reply

    def decide(
        self,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        auth: ConnectionAuth,
    ) -> Decision:
        """Validate one device push, then log it, tell the timeline and deliver it if accepted."""
        decision = self.validator.validate(method, path, headers, body, auth)
        now = self.clock.now()
        fields = fields_of(headers)
        if isinstance(decision, Accepted):
            self.log.add(
                now, method, path, headers, body, decision.token, 200, None, decision.apns_id
            )
            record = decision.record
            self._emit(
                NotificationAccepted(
                    at=now,
                    provider=PROVIDER,
                    push_id=decision.apns_id,
                    token=decision.token,
                    app_id=record.app_id,
                    phone_id=record.phone_id,
                )
            )
            self.registry.deliver(
                decision.token, decision.apns_id, decision.headers, decision.payload
            )
        else:
            self._rejected(now, method, path, headers, body, decision, fields)
        return decision

    def handle_channels(self, request: Request, auth: ConnectionAuth) -> Reply:
        """One channel-management request (reference/apns.md §5.1)."""
        return self.broadcasts.manage(request, auth)

    # -- internals -----------------------------------------------------------------------------

    def _answer(self, request: Request, auth: ConnectionAuth) -> Reply:
        match = bc.BROADCAST_PATH.fullmatch(request.path)
        if match is not None:
            return self.broadcasts.send(request, auth, match.group(1))
        decision = self.decide(
            request.method, request.path, request.headers, bytes(request.body), auth
        )
        if isinstance(decision, Accepted):
            headers: tuple[tuple[str, str], ...] = (("apns-id", decision.apns_id),)
            if self.environment == "sandbox":  # sandbox only (reference/apns.md §2.1)
                headers += (("apns-unique-id", new_apns_id()),)
            return Reply(200, headers)
        return Reply(
            decision.status,
            (("content-type", "application/json"), ("apns-id", decision.apns_id)),
            decision.body(),
        )

    def _fault_reply(self, request: Request, fault: Fault, token: str | None) -> Reply:
        assert fault.status is not None
        status = fault.status
        default = _DEFAULT_FAULT_REASON.get(status, ApnsReason.InternalServerError)
        apns_id = request_apns_id(request.headers)
        now = self.clock.now()
        invalid_since = now if fault.invalidated_at is None else fault.invalidated_at
        timestamp = int(invalid_since * 1000) if status == 410 else None
        rejected = Rejected(status, fault.reason or default.wire, apns_id, timestamp, token)
        headers: tuple[tuple[str, str], ...] = (
            ("content-type", "application/json"),
            ("apns-id", apns_id),
        )
        if fault.retry_after is not None:
            headers += (("retry-after", str(fault.retry_after)),)
        fields = fields_of(request.headers)
        self._rejected(
            now,
            request.method,
            request.path,
            request.headers,
            bytes(request.body),
            rejected,
            fields,
        )
        goaway = reason_json(rejected.reason) if fault.goaway else None
        return Reply(status, headers, rejected.body(), goaway)

    def _rejected(
        self,
        now: float,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        decision: Rejected,
        fields: Mapping[str, str],
    ) -> None:
        self.log.add(
            now,
            method,
            path,
            headers,
            body,
            decision.token,
            decision.status,
            decision.reason,
            decision.apns_id,
        )
        self._emit(
            NotificationRejected(
                at=now,
                provider=PROVIDER,
                push_id=decision.apns_id,
                token=decision.token,
                status=decision.status,
                reason=decision.reason,
            )
        )

    def _authenticate(self, der: bytes | None) -> ConnectionAuth | ApnsReason:
        if der is None or not self._certificates:
            return ConnectionAuth()
        certificate = read_certificate(der, self.environment, self.options.pass_environments)
        return certificate if isinstance(certificate, ApnsReason) else ConnectionAuth(certificate)

    def _opened(self, connection: ApnsConnection) -> None:
        self.connections_opened += 1
        self._connections.add(connection)

    def _new_connection(self, handler: Any) -> ApnsConnection:
        return ApnsConnection(
            handler,
            self.options,
            authenticate=self._authenticate,
            on_open=self._opened,
            on_close=self._connections.discard,
            on_too_many_streams=self._too_many_streams,
        )

    def _too_many_streams(self) -> None:
        self.streams_over_limit += 1

    def _port(self, index: int) -> int:
        if len(self._servers) <= index or not self._servers[index].sockets:
            raise RuntimeError("the fake APNs is not running")
        return int(self._servers[index].sockets[0].getsockname()[1])


def _path_token(path: str) -> str | None:
    if not path.startswith(_DEVICE_PREFIX):
        return None
    return path[len(_DEVICE_PREFIX) :].lower() or None
