"""Abusive clients against every listener of a running ``pushsim up`` (its own process), over
real sockets: each attack's connection is ended, and the control API answers meanwhile.

The attacks are ``simulator.bench.attacks`` (``pushsim bench abuse`` runs the same ones).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from h2.errors import ErrorCodes

from fakeproviders.apns import ApnsSigningKey, FakeApns
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock
from fakeproviders.hypercorn_server import HypercornServer, ServerLimits
from fakeproviders.proxy import ConnectProxy
from sender import SenderServer
from sender.gates import BodyGate
from simulator.bench import attacks
from simulator.bench.abuse import CONTROL_LIMIT, Prober, plan, rss_mb, running_up

# A loaded machine answers slower than an idle one (pushsim bench abuse holds the 1 s target);
# a process frozen by an attack took over 20 s.
CONTROL_ANSWERS_WITHIN = 5 * CONTROL_LIMIT

EXPECTED = {
    "rapid reset": ErrorCodes.ENHANCE_YOUR_CALM,
    "16 MiB frame header": ErrorCodes.FRAME_SIZE_ERROR,
    "SETTINGS flood": ErrorCodes.ENHANCE_YOUR_CALM,
    "PING flood": ErrorCodes.ENHANCE_YOUR_CALM,
    "empty DATA flood": ErrorCodes.ENHANCE_YOUR_CALM,
    # h2 itself refuses the 65th CONTINUATION (PROTOCOL_ERROR) before the guard's byte budget.
    "CONTINUATION flood": (ErrorCodes.ENHANCE_YOUR_CALM, ErrorCodes.PROTOCOL_ERROR),
    "HTTP/2 preface": None,
    "big body": None,
}
STATUS = {"sender: big body": 401, "sender with API key: big body": 413, "control: big body": 413}


@pytest.fixture(scope="module")
def up(
    tmp_path_factory: pytest.TempPathFactory, ca: LocalCA
) -> Iterator[tuple[dict[str, Any], int]]:
    state = tmp_path_factory.mktemp("abuse") / "state"
    state.mkdir()
    for name in ("ca.pem", "ca-key.pem"):  # the session's CA: faster, and still real
        (state / name).write_bytes((Path(ca.state_dir) / name).read_bytes())
    with running_up(state) as running:
        yield running


def _labels() -> list[str]:
    fake = {k: {"url": "http://127.0.0.1:1"} for k in ("apns", "fcm", "proxy", "control")}
    fake["sender"] = {"url": "http://127.0.0.1:1", "api_key": "k"}
    return [label for label, _ in plan(fake, quick=True)]


@pytest.mark.parametrize("label", _labels())
def test_abusive_connection_ends_and_the_control_api_answers(
    up: tuple[dict[str, Any], int], label: str
) -> None:
    """The attack's connection is closed (with the GOAWAY code or HTTP status the abuse calls
    for) and, during it, the control API keeps answering within the limit."""
    endpoints, _ = up
    attack = dict(plan(endpoints, quick=True))[label]
    with Prober(endpoints["control"]["url"]) as prober:
        outcome = attack()
    assert outcome.closed, outcome
    expected = EXPECTED[label.partition(": ")[2]]
    if isinstance(expected, tuple):
        assert outcome.goaway in expected, outcome
    elif expected is not None:
        assert outcome.goaway == expected, outcome
    if label in STATUS:
        assert outcome.status == STATUS[label], outcome
        assert outcome.sent < 32 * 1024 * 1024, "the body was read whole"
    assert prober.failures == []
    assert prober.worst <= CONTROL_ANSWERS_WITHIN, prober.latencies


def test_memory_stays_bounded_after_every_attack(up: tuple[dict[str, Any], int]) -> None:
    """Repeating the attacks does not grow the process: bodies are refused unread, floods end."""
    endpoints, pid = up
    chosen = dict(plan(endpoints, quick=True))
    before = rss_mb(pid)
    for label in ("fcm: rapid reset", "apns: rapid reset", "control: big body", "sender: big body"):
        for _ in range(3):
            assert chosen[label]().closed
    assert rss_mb(pid) - before < 40


# -- slow and silent clients: each kind of listener, with short timeouts --------------------


async def _app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@contextlib.asynccontextmanager
async def _listener(
    kind: str, ca: LocalCA, handshake: float = 5.0, *, reads_body: bool = True
) -> AsyncIterator[attacks.Target]:
    """A listener of each kind whose header, body and idle timeouts are ``SHORT``; the HTTP
    API's app answers after reading the body, or at once without ``reads_body``."""
    if kind == "apns":
        server: Any = FakeApns(
            clock=WallClock(), ssl_context=ca.server_ssl_context(alpn=("h2",)),
            keys=[ApnsSigningKey.generate()], topics=["com.example.app"],
            options=ApnsOptions(handshake_timeout=handshake, header_timeout=SHORT),
        )  # fmt: skip
    elif kind == "fcm":
        server = HypercornServer(
            _app, ca.server_ssl_context(alpn=("h2", "http/1.1")),
            ServerLimits(handshake_timeout=handshake, header_timeout=SHORT, idle_timeout=SHORT),
        )  # fmt: skip
    elif kind == "proxy":
        server = ConnectProxy({}, head_timeout=SHORT)
    else:
        # The APIs' gate reads a body before their routes do (as the sender and control APIs).
        server = SenderServer(
            BodyGate(_app) if reads_body else _app,
            header_timeout=SHORT,
            body_timeout=SHORT,
            idle_timeout=SHORT,
        )
    await server.start()
    try:
        yield attacks.Target(server.port, tls=kind in ("apns", "fcm"), alpn=())
    finally:
        await server.stop()


SHORT = 0.3


@pytest.mark.parametrize("kind", ["apns", "fcm", "proxy", "http-api"])
async def test_a_client_that_says_nothing_is_dropped(kind: str, ca: LocalCA) -> None:
    """TLS done (or plain TCP), then silence: the server hangs up after its header timeout."""
    async with _listener(kind, ca) as target:
        outcome = await asyncio.to_thread(attacks.silent, target, seconds=5.0)
    assert outcome.closed and outcome.seconds < 3.0, outcome


@pytest.mark.parametrize("kind", ["apns", "fcm"])
async def test_a_client_that_never_finishes_its_tls_handshake_is_dropped(
    kind: str, ca: LocalCA
) -> None:
    """A TCP connection to a TLS port that never sends its ClientHello is closed."""
    async with _listener(kind, ca, handshake=SHORT) as target:
        plain = attacks.Target(target.port, tls=False)
        outcome = await asyncio.to_thread(attacks.silent, plain, seconds=5.0)
    assert outcome.closed and outcome.seconds < 3.0, outcome


@pytest.mark.parametrize("kind", ["proxy", "http-api"])
async def test_a_request_head_sent_byte_by_byte_is_cut_off(kind: str, ca: LocalCA) -> None:
    """Slowloris: a request head trickled byte by byte is cut at the header timeout, although
    bytes keep coming."""
    async with _listener(kind, ca) as target:
        outcome = await asyncio.to_thread(attacks.slow_head, target, seconds=5.0, every=0.05)
    assert outcome.closed and outcome.seconds < 3.0, outcome


async def test_a_request_body_sent_byte_by_byte_gets_408(ca: LocalCA) -> None:
    """Slow POST: a whole head, then a body trickled byte by byte, is answered 408 and closed
    at the body timeout, although bytes keep coming."""
    async with _listener("http-api", ca) as target:
        outcome = await asyncio.to_thread(attacks.slow_body, target, seconds=5.0, every=0.05)
    assert outcome.closed and outcome.status == 408 and outcome.seconds < 3.0, outcome


async def test_a_body_trickled_after_the_answer_is_cut_off(ca: LocalCA) -> None:
    """An app that answered before reading the body does not let the client hold the
    connection by trickling that body: it is closed at the body timeout."""
    async with _listener("http-api", ca, reads_body=False) as target:
        outcome = await asyncio.to_thread(attacks.slow_body, target, seconds=5.0, every=0.05)
    assert outcome.closed and outcome.status == 204 and outcome.seconds < 3.0, outcome
