"""``pushsim bench apns``: accepted notifications/s of the fake APNs against a bare h2 server.

Both servers listen on TLS with the same certificate and are driven by the same client: an h2 +
asyncio client that pipelines many streams on a few connections, each request carrying a provider
token (one JWT per connection, as real clients do). The fake does everything it does in a
simulation: full validation, JWT checks, the registry and delivery to simulated iPhones
(``devices.phone.IosPhone``). The bare server answers 200 to every stream. Both run in the same
process and the same run, alternately, and the best round of each is reported.
"""

from __future__ import annotations

import asyncio
import functools
import json
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import h2.settings

from devices.phone import IosPhone
from fakeproviders.apns import ApnsSigningKey, FakeApns
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock
from fakeproviders.events import ProviderEvent
from simulator.bench.h2load import Load, c_client_rows
from simulator.bench.report import BenchOptions, BenchReport, Measurement

APP = "com.example.bench"
TARGET_RATIO = 0.6
PAYLOAD = json.dumps({"aps": {"alert": {"title": "Bench", "body": "Hello"}}}).encode()


# -- the bare server ---------------------------------------------------------------------------


class BareH2(asyncio.Protocol):
    """An h2 server that answers 200 with an ``apns-id`` to every request, nothing else."""

    def __init__(self) -> None:
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self._h2 = h2.connection.H2Connection(config=config)
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._h2.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000}
        )
        self._h2.initiate_connection()
        transport.write(self._h2.data_to_send())

    def data_received(self, data: bytes) -> None:
        try:
            events = self._h2.receive_data(data)
        except h2.exceptions.ProtocolError:
            assert self._transport is not None
            self._transport.close()
            return
        for event in events:
            if isinstance(event, h2.events.DataReceived):
                self._h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                headers = [(":status", "200"), ("apns-id", str(uuid.uuid4()))]
                self._h2.send_headers(event.stream_id, headers, end_stream=True)
        assert self._transport is not None
        self._transport.write(self._h2.data_to_send())


# -- the client --------------------------------------------------------------------------------


@dataclass
class _Run:
    remaining: int
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    outstanding: int = 0


class PipeliningClient(asyncio.Protocol):
    """One HTTP/2 connection keeping up to ``window`` requests in flight (capped by the
    server's MAX_CONCURRENT_STREAMS)."""

    def __init__(self, run: _Run, tokens: list[str], authorization: str, window: int) -> None:
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self._h2 = h2.connection.H2Connection(config=config)
        self._run = run
        self._tokens = tokens
        self._next = 0
        self._window = window
        self._authorization = authorization
        self._started: dict[int, float] = {}
        self._transport: asyncio.Transport | None = None
        self.ready = asyncio.get_running_loop().create_future()
        self.armed = False
        """Set when the measured run starts: until then nothing is sent."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._h2.initiate_connection()
        transport.write(self._h2.data_to_send())

    def data_received(self, data: bytes) -> None:
        for event in self._h2.receive_data(data):
            if isinstance(event, h2.events.RemoteSettingsChanged) and not self.ready.done():
                self.ready.set_result(None)
            elif isinstance(event, h2.events.ResponseReceived):
                status = int(dict(event.headers or [])[b":status"])
                self._run.statuses[status] = self._run.statuses.get(status, 0) + 1
            elif isinstance(event, h2.events.DataReceived):
                self._h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                began = self._started.pop(event.stream_id, None)
                if began is not None:
                    self._run.latencies.append(time.perf_counter() - began)
                    self._run.outstanding -= 1
        if self.armed:
            self.fill()
        if self._run.remaining == 0 and self._run.outstanding == 0:
            self._run.done.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self._run.done.set()

    def fill(self) -> None:
        """Send requests until the window, the server's limit or the run is used up."""
        limit = min(self._window, self._h2.remote_settings.max_concurrent_streams)
        while self._run.remaining > 0 and len(self._started) < limit:
            self._run.remaining -= 1
            self._run.outstanding += 1
            token = self._tokens[self._next % len(self._tokens)]
            self._next += 1
            stream_id = self._h2.get_next_available_stream_id()
            self._started[stream_id] = time.perf_counter()
            self._h2.send_headers(
                stream_id,
                [
                    (":method", "POST"),
                    (":scheme", "https"),
                    (":path", f"/3/device/{token}"),
                    (":authority", "api.sandbox.push.apple.com"),
                    ("authorization", self._authorization),
                    ("apns-topic", APP),
                    ("apns-push-type", "alert"),
                ],
            )
            self._h2.send_data(stream_id, PAYLOAD, end_stream=True)
        assert self._transport is not None
        self._transport.write(self._h2.data_to_send())


async def drive(
    port: int,
    ca: LocalCA,
    tokens: list[str],
    key: ApnsSigningKey,
    *,
    count: int,
    connections: int,
    window: int,
) -> tuple[float, _Run]:
    """Send ``count`` pushes over ``connections`` connections; (seconds, results)."""
    loop = asyncio.get_running_loop()
    run = _Run(remaining=count)
    clients: list[PipeliningClient] = []
    for _ in range(connections):
        authorization = f"bearer {key.provider_token(int(time.time()))}"
        _, client = await loop.create_connection(
            functools.partial(PipeliningClient, run, tokens, authorization, window),
            "127.0.0.1",
            port,
            ssl=ca.client_ssl_context(),
            server_hostname="localhost",
        )
        clients.append(client)
    await asyncio.gather(*(c.ready for c in clients))
    began = time.perf_counter()
    for client in clients:
        client.armed = True
        client.fill()
    await asyncio.wait_for(run.done.wait(), timeout=300)
    seconds = time.perf_counter() - began
    for client in clients:
        assert client._transport is not None
        client._transport.close()
    return seconds, run


# -- the benchmark -----------------------------------------------------------------------------


class _Counter:
    def __init__(self) -> None:
        self.events = 0

    def __call__(self, event: ProviderEvent) -> None:
        self.events += 1


async def run(options: BenchOptions) -> BenchReport:
    count = options.count or (300 if options.quick else 20_000)
    rounds = 1 if options.quick else 2
    connections, window, phones = 2, 100, 10 if options.quick else 200
    state_dir = options.state_dir or Path(tempfile.mkdtemp(prefix="pushsim-bench-"))
    ca = LocalCA.load_or_create(state_dir)
    key = ApnsSigningKey.generate()
    clock = WallClock()  # the client's JWTs carry the real time
    counter = _Counter()
    fake = FakeApns(
        clock=clock,
        ssl_context=ca.server_ssl_context(alpn=("h2",)),
        keys=[key],
        topics=[APP],
        emit=counter,
    )
    await fake.start()
    tokens = []
    for n in range(phones):
        phone = IosPhone(f"bench-{n}", push_service=fake.registry, clock=clock, emit=counter)
        tokens.append(phone.install(APP, user_id=f"user-{n}", answer="allow").token or "")
    loop = asyncio.get_running_loop()
    bare = await loop.create_server(BareH2, "127.0.0.1", 0, ssl=ca.server_ssl_context(alpn=("h2",)))
    bare_port = int(bare.sockets[0].getsockname()[1])
    best: dict[str, tuple[float, _Run]] = {}
    try:
        # A small warm-up for each, then alternate so noise hits both alike.
        for port in (bare_port, fake.port):
            await drive(port, ca, tokens, key, count=min(200, count), connections=1, window=window)
        for _ in range(rounds):
            for name, port in (("bare", bare_port), ("fake", fake.port)):
                seconds, result = await drive(
                    port, ca, tokens, key, count=count, connections=connections, window=window
                )
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, result)
    finally:
        bare.close()
        await fake.stop()
        await bare.wait_closed()
    rows = []
    for name, label in (
        ("fake", "fake APNs (validation+JWT+phones)"),
        ("bare", "baseline: bare h2 server, 200"),
    ):
        seconds, result = best[name]
        rows.append(
            Measurement(
                label=label,
                count=count,
                seconds=seconds,
                latencies=result.latencies,
                unit="notifications",
                extra={"status": ",".join(f"{s}x{n}" for s, n in sorted(result.statuses.items()))},
            )
        )
    accepted = best["fake"][1].statuses.get(200, 0)
    ratio = (accepted / best["fake"][0]) / (count / best["bare"][0])
    # One stream per connection: the fake allows one until a connection's first valid JWT.
    c_client = await c_client_rows(
        "apns",
        state_dir,
        Load(requests=count, connections=4 if options.quick else 64, streams=1),
        ("fake APNs", "bare h2 server"),
        bare_processes=2,
    )
    return BenchReport(
        name="apns",
        title="fake APNs accepted notifications/s over TLS HTTP/2 vs a bare h2 server",
        rows=rows + c_client.rows,
        target=f"fake >= {TARGET_RATIO} x bare h2 server (Python client; h2load too, if installed)",
        ratio=ratio,
        met=ratio >= TARGET_RATIO and (c_client.ratio or TARGET_RATIO) >= TARGET_RATIO,
        notes=[
            f"{connections} connections x {window} streams in flight, {phones} iPhones, "
            f"{count} pushes per round, best of {rounds} alternating rounds",
            *c_client.notes,
            "2 cores shared with other work: expect noise; the ratio is what matters",
        ],
    )
