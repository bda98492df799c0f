"""Where a ``Simulation`` listens and which real hosts its proxy tunnels to which fake."""

from __future__ import annotations

from dataclasses import dataclass

from fakeproviders.gwallet import HOST as GOOGLE_WALLET_HOST
from fakeproviders.proxy import Route


@dataclass(frozen=True)
class Ports:
    """Loopback ports to listen on; 0 picks a free one (the default, so tests never collide)."""

    apns: int = 0
    """The sandbox APNs (``api.sandbox.push.apple.com``)."""
    apns_production: int = 0
    """The production APNs (``api.push.apple.com``)."""
    fcm: int = 0
    sender: int = 0
    proxy: int = 0
    google_wallet: int = 0


#: The real hosts the proxy tunnels to the fakes (reference/apns.md §1.1, reference/fcm.md §1, §3, §4).
APNS_PRODUCTION_HOSTS = ("api.push.apple.com",)
APNS_SANDBOX_HOSTS = ("api.sandbox.push.apple.com", "api.development.push.apple.com")
APNS_HOSTS = APNS_PRODUCTION_HOSTS + APNS_SANDBOX_HOSTS
FCM_HOSTS = (
    "fcm.googleapis.com",
    "oauth2.googleapis.com",
    "iid.googleapis.com",
    "fcmregistrations.googleapis.com",
    # Hosts of Google's older token URLs, which some clients hard-code (GOOGLE_TOKEN_URIS).
    "www.googleapis.com",
    "accounts.google.com",
)
PROXIED = (
    [(h, p) for h in APNS_HOSTS for p in (443, 2197)]
    + [(h, 443) for h in FCM_HOSTS]
    + [(GOOGLE_WALLET_HOST, 443)]
)


def proxy_routes(
    *,
    apns_port: int,
    fcm_port: int,
    apns_production_port: int | None = None,
    google_wallet_port: int = 0,
) -> dict[tuple[str, int], Route]:
    """CONNECT destinations → the fake that serves them: Apple's production host to the
    production APNs, the sandbox hosts to the sandbox one (reference/apns.md §1.1); the Wallet
    API only with its port."""

    def route(host: str) -> Route:
        if host in APNS_PRODUCTION_HOSTS and apns_production_port is not None:
            return Route(target_port=apns_production_port, service="apns production")
        if host in APNS_HOSTS:
            return Route(target_port=apns_port, service="apns")
        return Route(target_port=fcm_port, service="fcm")

    routes = {(host, port): route(host) for host, port in PROXIED if host != GOOGLE_WALLET_HOST}
    if google_wallet_port:
        routes[(GOOGLE_WALLET_HOST, 443)] = Route(google_wallet_port, service="google_wallet")
    return routes
