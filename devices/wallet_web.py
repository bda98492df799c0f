"""How Wallet on a simulated iPhone reaches web services (devices/wallet.py): plain HTTP
requests and answers, handed to a ``PhoneHttp`` the simulator wires; the link that holds them
while the phone is offline and retries failed ones; and the rest of what Wallet is given (trust
anchors, developer settings, the clock's timer)."""

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
#: Run a callback once some seconds of the phone's clock have passed (a timer; no real sleep).
Later = Callable[[float, Callable[[], None]], None]


@dataclass(frozen=True, slots=True)
class WalletRetry:
    """How Wallet retries a web-service call that failed.

    Apple: on a network failure "the device retries with growing waits, then gives up"
    (reference/wallet.md §1, [C A8]). The schedule, and whether a server error counts as a
    failure, are [U]; by default 4 tries in all, waiting 10 s, 20 s, then 40 s (doubling, at most
    ``max_wait``), after no answer or a 5xx answer. Other answers (401, 404…) are not retried.
    """

    attempts: int = 4
    """Tries in all (1: never retry)."""
    first_wait: float = 10.0
    factor: float = 2.0
    max_wait: float = 600.0
    server_errors: bool = True
    """Retry a 5xx answer as well as no answer ([U])."""

    def wait(self, reply: HttpResponse, attempt: int) -> float | None:
        """Seconds to wait after ``reply`` ended try number ``attempt`` (1-based), or None: no
        retry (the call succeeded, failed for good, or ran out of tries)."""
        failed = reply.status == 0 or (self.server_errors and reply.status >= 500)
        if not failed or attempt >= self.attempts:
            return None
        return float(min(self.max_wait, self.first_wait * self.factor ** (attempt - 1)))


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
    later: Later | None = None
    """The phone's timer, for retries on the simulation's clock; without one, a failed call is
    not retried."""
    retry: WalletRetry = WalletRetry()
    """When failed web-service calls are tried again."""


#: Told of each retry: the request, the answer that failed, the try it ended, the wait.
Retrying = Callable[[HttpRequest, HttpResponse, int, float], None]


class WebServiceLink:
    """Wallet's calls to web services: sent at once while the phone is online (else when it is
    back), tried again with growing waits when they fail (``WalletRetry``), and answered once,
    with the last answer."""

    def __init__(self, setup: WalletSetup, online: Callable[[], bool], retrying: Retrying) -> None:
        self._setup = setup
        self._online = online
        self._retrying = retrying
        self._waiting: list[tuple[HttpRequest, Callable[[HttpResponse], None]]] = []

    def send(self, request: HttpRequest, then: Callable[[HttpResponse], None]) -> None:
        self._try(request, then, 1)

    def came_online(self) -> None:
        """Send what waited while the phone was offline."""
        waiting, self._waiting = self._waiting, []
        for request, answered in waiting:
            self._setup.http(request, answered)

    def _try(
        self, request: HttpRequest, then: Callable[[HttpResponse], None], attempt: int
    ) -> None:
        later = self._setup.later

        def answered(reply: HttpResponse) -> None:
            wait = None if later is None else self._setup.retry.wait(reply, attempt)
            if wait is None or later is None:
                then(reply)
                return
            self._retrying(request, reply, attempt, wait)
            later(wait, lambda: self._try(request, then, attempt + 1))

        if self._online():
            self._setup.http(request, answered)
        else:
            self._waiting.append((request, answered))
