"""``FakeGoogleWallet``: the fake Wallet API (``walletobjects.googleapis.com``) over TLS.

Served by hypercorn (HTTP/2 and HTTP/1.1 through ALPN, as Google's front ends offer both) through
``fakeproviders.hypercorn_server``, like the fake FCM: the same HTTP/2 abuse guard, handshake,
header and idle timeouts. Tokens come from the fake FCM's OAuth endpoint (one Google token
endpoint for every Google API).
"""

from __future__ import annotations

import ssl

from fakeproviders.clock import Clock
from fakeproviders.events import Emit, discard_event
from fakeproviders.fcm.inspection import RequestLog
from fakeproviders.fcm.oauth import OAuthEndpoint
from fakeproviders.gwallet.api import WalletApi
from fakeproviders.gwallet.app import WalletApp
from fakeproviders.gwallet.errors import FakeWalletError
from fakeproviders.gwallet.options import WalletOptions
from fakeproviders.hypercorn_server import HypercornFake, HypercornServer

#: The real host, for the proxy routes and the certificate's names.
HOST = "walletobjects.googleapis.com"
# How long stop() lets answers in flight finish before connections are dropped.
_STOP_GRACE = 0.25


class ServerError(FakeWalletError):
    """The server could not start, or is not started."""


class FakeGoogleWallet(HypercornFake):
    """The fake Google Wallet API for loyalty cards, for one issuer.

    ``ssl_context`` is a server context whose certificate names :data:`HOST` and whose ALPN
    offers ``h2`` and ``http/1.1`` (``LocalCA.server_ssl_context()``); ``oauth`` the token
    endpoint whose tokens it accepts; ``issuer_id`` the issuer whose users are ``issuer_users``
    (service-account emails). Attributes for tests and the control API: ``api`` (the sans-IO
    core: ``store``, ``quota``, ``holders``; also what phones save passes through),
    ``request_log``, ``options``. :attr:`url` is the base of ``/walletobjects/v1/...``.
    """

    label = "the fake Google Wallet API"
    error = ServerError

    def __init__(
        self,
        *,
        clock: Clock,
        ssl_context: ssl.SSLContext,
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
        super().__init__(HypercornServer(self.app, ssl_context, stop_grace=_STOP_GRACE))
