"""``FakeGoogleWallet``: the fake Wallet API (``walletobjects.googleapis.com``) over TLS.

Served by hypercorn (HTTP/2 and HTTP/1.1 through ALPN, as Google's front ends offer both) on a
loopback socket bound here first, so the real port is known at once even when asked for port 0.
Tokens come from the fake FCM's OAuth endpoint (one Google token endpoint for every Google API).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from types import TracebackType

from hypercorn.asyncio import serve
from hypercorn.config import Config

from fakeproviders.ca import IssuedCertificate
from fakeproviders.clock import Clock
from fakeproviders.events import Emit, discard_event
from fakeproviders.fcm.inspection import RequestLog
from fakeproviders.fcm.oauth import OAuthEndpoint
from fakeproviders.gwallet.api import WalletApi
from fakeproviders.gwallet.app import WalletApp
from fakeproviders.gwallet.errors import FakeWalletError
from fakeproviders.gwallet.options import WalletOptions

#: The real host, for the proxy routes and the certificate's names.
HOST = "walletobjects.googleapis.com"
# How long stop() lets answers in flight finish before connections are dropped.
_STOP_GRACE = 0.25


class ServerError(FakeWalletError):
    """The server could not start, or is not started."""


class FakeGoogleWallet:
    """The fake Google Wallet API for loyalty cards, for one issuer.

    ``certificate`` is the local CA's server certificate (``LocalCA.server_certificate()``, whose
    names include :data:`HOST`); ``oauth`` the token endpoint whose tokens it accepts;
    ``issuer_id`` the issuer whose users are ``issuer_users`` (service-account emails).
    Attributes for tests and the control API: ``api`` (the sans-IO core: ``store``, ``quota``,
    ``holders``; also what phones save passes through), ``request_log``, ``options``.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        certificate: IssuedCertificate,
        oauth: OAuthEndpoint,
        issuer_id: str,
        issuer_users: tuple[str, ...] = (),
        emit: Emit = discard_event,
        options: WalletOptions | None = None,
    ) -> None:
        self.issuer_id = issuer_id
        self.options = options or WalletOptions()
        self.api = WalletApi(
            clock=clock,
            oauth=oauth,
            issuers={issuer_id: issuer_users},
            options=self.options,
            emit=emit,
        )
        self.request_log = RequestLog(self.options.request_log_size)
        self.app = WalletApp(self.api, self.request_log, clock)
        self._certificate = certificate
        self._socket: socket.socket | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._host = "127.0.0.1"

    @property
    def port(self) -> int:
        """The port actually bound (after :meth:`start`)."""
        if self._socket is None:
            raise ServerError("the fake Google Wallet API is not started")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``: the base of ``/walletobjects/v1/...``."""
        return f"https://{self._host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind ``host:port`` (0 = ephemeral) and serve; connections queue from now on."""
        if self._task is not None:
            raise ServerError("the fake Google Wallet API is already started")
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(1024)
        except OSError as exc:
            raise ServerError(f"the fake Google Wallet API cannot start: {exc}") from exc
        self._socket, self._host = sock, host
        config = Config()
        # hypercorn takes a listening socket by descriptor; it owns (and closes) the duplicate.
        config.bind = [f"fd://{sock.dup().detach()}"]
        config.certfile = str(self._certificate.cert_path)
        config.keyfile = str(self._certificate.key_path)
        config.alpn_protocols = ["h2", "http/1.1"]
        config.graceful_timeout = _STOP_GRACE
        config.accesslog = None
        config.errorlog = logging.getLogger("fakeproviders.gwallet.hypercorn")
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(
            serve(self.app, config, shutdown_trigger=self._stopping.wait),  # type: ignore[arg-type]
            name="fake-google-wallet",
        )

    async def stop(self) -> None:
        """Stop serving and close the port. Safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def __aenter__(self) -> FakeGoogleWallet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
