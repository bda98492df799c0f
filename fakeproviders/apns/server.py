"""The fake APNs server: TLS + HTTP/2 on 127.0.0.1, validation, registry, timeline.

Built on asyncio and h2 rather than an ASGI server, because APNs behaviour lives below HTTP
semantics: HTTP/2 without ALPN, its SETTINGS, one-DATA-frame errors, GOAWAY with JSON
(reference/apns.md §2.2, §4).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Sequence
from typing import NamedTuple

from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.connection import ApnsConnection
from fakeproviders.apns.keys import ApnsSigningKey
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.apns.registry import PROVIDER, ApnsRegistry
from fakeproviders.apns.validation import Accepted, ApnsValidator, Decision
from fakeproviders.clock import Clock
from fakeproviders.events import Emit, NotificationAccepted, NotificationRejected, discard_event

# How long stop() lets a client finish its TLS close before dropping the socket.
_CLOSE_GRACE_SECONDS = 2.0


class ApnsLogEntry(NamedTuple):
    """One answered request, as kept in ``FakeApns.request_log``."""

    at: float
    token: str | None
    apns_id: str
    status: int
    reason: str | None
    """The rejection reason; None for 200."""


class FakeApns:
    """A fake ``api.push.apple.com`` / ``api.sandbox.push.apple.com`` device-push endpoint.

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
    ) -> None:
        """Configure (not start) the server.

        ``ssl_context`` is a server context such as ``LocalCA.server_ssl_context(alpn=("h2",))``;
        ``keys`` are the token-auth keys whose JWTs are accepted; ``topics`` the bundle ids this
        server serves (push-type suffixes like ``.voip`` are derived). Without ``registry`` a new
        ``ApnsRegistry`` is made on ``clock``, ``emit`` and ``environment``; a given one keeps its
        own ``emit``. ``environment`` is ``"sandbox"`` (adds ``apns-unique-id``) or
        ``"production"``.
        """
        self.clock = clock
        self.environment = environment
        self.options = options or ApnsOptions()
        self.registry = registry if registry is not None else ApnsRegistry(clock, emit, environment)
        """The tokens and phones this server delivers to."""
        self.validator = ApnsValidator(
            keys=keys,
            topics=topics,
            registry=self.registry,
            clock=clock,
            environment=environment,
            options=self.options,
        )
        self.request_log: deque[ApnsLogEntry] = deque(maxlen=self.options.request_log_size)
        """The latest answered requests, oldest first."""
        self._emit = emit
        self._ssl_context = ssl_context
        self._server: asyncio.Server | None = None
        self._connections: set[ApnsConnection] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 = an ephemeral port, read back from ``port``)."""
        if self._server is not None:
            raise RuntimeError("the fake APNs is already running")
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._new_connection, host, port, ssl=self._ssl_context
        )

    @property
    def port(self) -> int:
        """The port listened on."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the fake APNs is not running")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``, the base URL for senders."""
        return f"https://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        """Stop listening, send GOAWAY (``Shutdown``) on every connection and close them."""
        server, self._server = self._server, None
        if server is None:
            return
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
        await server.wait_closed()

    def handle(
        self,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        auth: ConnectionAuth,
    ) -> Decision:
        """Decide one request, then log it, tell the timeline and deliver an accepted push."""
        decision = self.validator.validate(method, path, headers, body, auth)
        now = self.clock.now()
        if isinstance(decision, Accepted):
            self.request_log.append(ApnsLogEntry(now, decision.token, decision.apns_id, 200, None))
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
            self.request_log.append(
                ApnsLogEntry(
                    now, decision.token, decision.apns_id, decision.status, decision.reason
                )
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
        return decision

    def _new_connection(self) -> ApnsConnection:
        connection = ApnsConnection(
            self.handle,
            self.options,
            unique_ids=self.environment == "sandbox",
            on_close=self._connections.discard,
        )
        self._connections.add(connection)
        return connection
