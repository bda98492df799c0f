"""``FakeFcm``: the fake FCM over TLS, HTTP/2 and HTTP/1.1 on one port.

firebase-admin-node's ``sendEach`` speaks only h2 while Python clients may fall back to
HTTP/1.1, so both are offered through ALPN (reference/fcm.md §0.11). The ASGI app
(``FcmApp``) runs on hypercorn (``fakeproviders.hypercorn_server``).
"""

from __future__ import annotations

import ssl

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
from fakeproviders.hypercorn_server import HypercornFake, HypercornServer, ServerLimits

# How long stop() lets answers in flight finish before dropping the connections.
_STOP_GRACE = 0.25


class ServerError(FakeFcmError):
    """The server could not start."""


class FakeFcm(HypercornFake):
    """The fake FCM HTTP v1 API, its OAuth2 token endpoint and topic management, for one project.

    ``ssl_context`` is a server context whose ALPN offers ``h2`` and ``http/1.1``
    (``LocalCA.server_ssl_context()``); ``service_account`` is the account senders use, whose
    JSON should name :attr:`token_uri`. Attributes for tests and the control API:
    ``registry`` (tokens, topics, phones), ``faults`` (a :class:`FaultInjector` consulted per
    send before validation), ``request_log`` (every request with its decision), ``options``.
    :attr:`url` is the base of ``/v1/projects/...``.
    """

    label = "the fake FCM"
    error = ServerError

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
        real_clock: Clock | None = None,
    ) -> None:
        """``real_clock`` (default: the wall clock) is what outside senders sign OAuth
        assertions with; an assertion is judged against it at first sight (docs/time.md)."""
        self.clock = clock
        self.project_id = project_id
        self.service_account = service_account
        self.options = options = options or FcmOptions()
        self.registry = registry or FcmRegistry(
            clock,
            emit,
            project_id,
            uninstall_invalidation=options.uninstall_invalidation,
            uninstall_delay=options.uninstall_delay,
            rotation_grace=options.rotation_grace,
            apns_key_configured=options.apns_key_configured,
        )
        self.faults = faults if faults is not None else FaultInjector()
        self.oauth = OAuthEndpoint(clock, [service_account], real_clock=real_clock)
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
            clock=clock, max_body_bytes=options.max_body_bytes,
        )  # fmt: skip
        super().__init__(
            HypercornServer(
                self.app,
                ssl_context,
                ServerLimits(
                    max_concurrent_streams=options.max_concurrent_streams,
                    idle_timeout=options.idle_timeout,
                    header_timeout=options.header_timeout,
                ),
                stop_grace=_STOP_GRACE,
            )
        )

    @property
    def project_number(self) -> str:
        """The numeric project id, accepted in URLs like the project id (§1.1)."""
        return self.frontend.project_number

    @property
    def token_uri(self) -> str:
        """The OAuth2 token endpoint, to put in the service-account JSON."""
        return f"{self.url}/token"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind ``host:port`` (0 = ephemeral) and serve; returns once connections are accepted.

        Then accepts OAuth assertions addressed to :attr:`token_uri`.
        """
        await super().start(host, port)
        self.oauth.accept_audience(self.token_uri)
