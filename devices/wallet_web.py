"""How Wallet on a simulated iPhone reaches web services (devices/wallet.py): plain HTTP
requests and answers, handed to a ``PhoneHttp`` the simulator wires, and the rest of what Wallet is
given (trust anchors, developer settings)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    """``0`` when no HTTP answer came (``error`` says why)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Lower-case names."""
    body: bytes = b""
    error: str | None = None


#: How the phone reaches web servers: send the request, call back with the answer (once).
PhoneHttp = Callable[[HttpRequest, Callable[[HttpResponse], None]], None]


@dataclass(frozen=True)
class WalletSetup:
    """What Wallet needs from the world around the phone (wired by the simulator)."""

    http: PhoneHttp
    trusted_roots: Sequence[x509.Certificate]
    """The roots pass signatures must chain to (Apple's; the local CA in pushsim)."""
    intermediates: Sequence[x509.Certificate] = ()
    """WWDR intermediates the phone knows besides those a signature carries."""
    allow_http: bool = False
    """Settings > Developer > allow HTTP web services (wallet.md §5); off on a normal phone."""
    send_if_modified_since: bool = True
    """Send ``If-Modified-Since`` when fetching a pass; whether iOS always does is [U] (§1)."""
