"""``FakeFcm``: the fake FCM served by hypercorn over TLS, HTTP/2 and HTTP/1.1 on one port.

firebase-admin-node's ``sendEach`` speaks only h2 while Python clients may fall back to
HTTP/1.1, so both are offered through ALPN (reference/fcm.md §0.11).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import weakref
from collections.abc import Awaitable, Callable, MutableMapping
from types import TracebackType
from typing import Any

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config, Sockets
from hypercorn.utils import wrap_app

from fakeproviders.clock import Clock
from fakeproviders.events import Emit, discard_event
from fakeproviders.faults import FaultInjector
from fakeproviders.fcm.app import FcmApp
from fakeproviders.fcm.errors import FakeFcmError
from fakeproviders.fcm.frontend import FcmFrontEnd
from fakeproviders.fcm.inspection import RequestLog
from fakeproviders.fcm.oauth import OAuthEndpoint
from fakeproviders.fcm.options import FcmOptions
from fakeproviders.fcm.registry import FcmRegistry
from fakeproviders.fcm.service_account import ServiceAccount
from fakeproviders.fcm.topic_api import TopicManagement

_START_TIMEOUT = 5.0
_STOP_GRACE = 0.25

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


class ServerError(FakeFcmError):
    """The server could not start."""


class _Config(Config):
    """Hypercorn config that serves a ready-made SSLContext instead of cert/key paths."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        super().__init__()
        self._ssl_context = ssl_context

    @property
    def ssl_enabled(self) -> bool:
        return True

    def create_ssl_context(self) -> ssl.SSLContext:
        return self._ssl_context


class _TrackingSocket(socket.socket):
    """A listening socket that remembers the connections it accepted, to cut them on stop."""

    def __init__(self, family: int) -> None:
        super().__init__(family, socket.SOCK_STREAM)
        self._accepted: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def accept(self) -> tuple[socket.socket, Any]:
        conn, address = super().accept()
        # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, which ours (proto
        # 0) are not: without it, Nagle and delayed ACKs stall each small answer by ~40 ms.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._accepted.add(conn)
        return conn, address

    def cut_connections(self) -> None:
        for conn in list(self._accepted):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class FakeFcm:
    """The fake FCM HTTP v1 API, its OAuth2 token endpoint and topic management, for one project.

    ``ssl_context`` is a server context whose ALPN offers ``h2`` and ``http/1.1``
    (``LocalCA.server_ssl_context()``); ``service_account`` is the account senders use, whose
    JSON should name :attr:`token_uri`. Attributes for tests and the control API:
    ``registry`` (tokens, topics, phones), ``faults`` (a :class:`FaultInjector` consulted per
    send before validation), ``request_log`` (every request with its decision), ``options``.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        ssl_context: ssl.SSLContext,
        project_id: str,
        service_account: ServiceAccount,
        emit: Emit = discard_event,
        registry: FcmRegistry | None = None,
        options: FcmOptions | None = None,
        faults: FaultInjector | None = None,
    ) -> None:
        self.clock = clock
        self.project_id = project_id
        self.service_account = service_account
        self.options = options = options or FcmOptions()
        self.registry = registry or FcmRegistry(
            clock,
            emit,
            project_id,
            uninstall_delay=options.uninstall_delay,
            rotation_grace=options.rotation_grace,
            apns_key_configured=options.apns_key_configured,
        )
        self.faults = faults if faults is not None else FaultInjector()
        self.oauth = OAuthEndpoint(clock, [service_account])
        self.request_log = RequestLog(options.request_log_size)
        self.frontend = FcmFrontEnd(
            clock=clock,
            oauth_endpoint=self.oauth,
            registry=self.registry,
            project_id=project_id,
            emit=emit,
            faults=self.faults,
            allow_not_in_conditions=options.allow_not_in_conditions,
            project_number=options.project_number,
        )
        self.topic_api = TopicManagement(
            clock=clock,
            oauth_endpoint=self.oauth,
            registry=self.registry,
            project_id=project_id,
            project_number=self.frontend.project_number,
            owns=self.frontend.owns,
        )
        self.app = FcmApp(
            frontend=self.frontend, topics=self.topic_api, request_log=self.request_log,
            clock=clock,
        )  # fmt: skip
        self._ssl_context = ssl_context
        self._host = "127.0.0.1"
        self._port: int | None = None
        self._shutdown: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._listener: _TrackingSocket | None = None

    @property
    def project_number(self) -> str:
        """The numeric project id, accepted in URLs like the project id (§1.1)."""
        return self.frontend.project_number

    @property
    def port(self) -> int:
        """The port actually bound (after :meth:`start`)."""
        if self._port is None:
            raise ServerError("the fake FCM is not started")
        return self._port

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``: the base of ``/v1/projects/...``."""
        return f"https://{self._host}:{self.port}"

    @property
    def token_uri(self) -> str:
        """The OAuth2 token endpoint, to put in the service-account JSON."""
        return f"{self.url}/token"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind ``host:port`` (0 = ephemeral) and serve; returns once connections are accepted."""
        if self._task is not None:
            raise ServerError("the fake FCM is already started")
        sock = _TrackingSocket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            # Listening now means clients can connect before hypercorn's accept loop runs.
            sock.listen(1024)
            sock.setblocking(False)
            self._host, self._port = host, sock.getsockname()[1]
        except OSError as exc:
            sock.close()
            raise ServerError(f"cannot bind {host}:{port}: {exc}") from exc
        self.oauth.accept_audience(self.token_uri)
        self._listener = sock

        config = _Config(self._ssl_context)
        config.accesslog = None
        config.errorlog = logging.getLogger("fakeproviders.fcm.hypercorn")
        config.include_server_header = False
        config.graceful_timeout = 5.0  # stop() cuts idle connections well before this
        # hypercorn ends a connection after 1000 requests by default; Google's front ends keep
        # HTTP/2 connections for far longer, and clients (httpx) fail the streams in flight.
        config.keep_alive_max_requests = 2**31
        # hypercorn serves our own listening socket (it closes it on shutdown).
        sockets = Sockets(secure_sockets=[sock], insecure_sockets=[], quic_sockets=[])

        ready = asyncio.Event()
        asgi: Any = _signal_startup(self.app, ready)
        self._shutdown = asyncio.Event()
        # worker_serve is what hypercorn.asyncio.serve runs; called directly so that it serves
        # the socket we bound (and whose connections we can cut on stop).
        self._task = asyncio.create_task(
            worker_serve(
                wrap_app(asgi, config.wsgi_max_body_size, "asgi"),
                config,
                sockets=sockets,
                shutdown_trigger=self._shutdown.wait,
            ),
            name=f"fake-fcm:{self._port}",
        )
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait(
            {waiter, self._task}, timeout=_START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter in done:
            return
        waiter.cancel()
        task, self._task = self._task, None
        if task in done:
            sock.close()
            raise ServerError("the fake FCM failed to start") from task.exception()
        self._task = task
        await self.stop()
        raise ServerError("the fake FCM did not start in time")

    async def stop(self) -> None:
        """Stop serving and close the port. Safe to call twice.

        In-flight requests get a moment to finish; then connections the clients keep idle are
        cut, since a TLS close would otherwise wait (30 s) for a peer that is not reading.
        """
        task, self._task = self._task, None
        if task is None:
            return
        assert self._shutdown is not None
        self._shutdown.set()
        done, _ = await asyncio.wait({task}, timeout=_STOP_GRACE)
        if not done and self._listener is not None:
            self._listener.cut_connections()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._listener = None

    async def __aenter__(self) -> FakeFcm:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def _signal_startup(app: Any, ready: asyncio.Event) -> ASGIApp:
    """Wrap ``app`` so ``ready`` is set once the ASGI lifespan startup completed.

    hypercorn opens its listeners right after the lifespan startup, with no await in between
    that could fail, and our socket is already listening.
    """

    async def wrapped(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_and_signal(message: Any) -> None:
            await send(message)
            if message.get("type") == "lifespan.startup.complete":
                ready.set()

        await app(scope, receive, send_and_signal)

    return wrapped
