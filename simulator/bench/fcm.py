"""``pushsim bench fcm``: accepted FCM messages/s over TLS, beside a bare ASGI app.

The fake does everything a real send costs it: the OAuth2 bearer check (a token minted through
its own JWT-bearer endpoint), full validation of a realistic message, the registry lookup, and
delivery to simulated Android phones (``devices.phone.AndroidPhone``). The baseline is an ASGI
app that answers 200 with a message name to everything, served by the same server
(``fakeproviders.hypercorn_server.HypercornServer``, as ``FakeFcm`` serves its app), driven by the same client,
in the same run.

The client is a lean HTTP/2 client on ``h2`` with ``CONCURRENCY`` streams in flight on one TLS
connection: httpx's HTTP/2 client costs more CPU per request than either server (profiled), so
with it the table would measure the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import httpx
import jwt

from devices.phone import AndroidPhone
from fakeproviders.ca import LocalCA
from fakeproviders.fcm import FakeFcm, ServiceAccount
from fakeproviders.hypercorn_server import HypercornServer
from simulator.bench.h2load import Load, c_client_rows
from simulator.bench.report import BenchOptions, BenchReport, Measurement

PROJECT = "bench-proj"
APP = "com.example.bench"
PHONES = 20
CONCURRENCY = 32
TARGET_RATIO = 0.6
_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


class _Clock:
    def now(self) -> float:
        return time.time()


async def _bare_app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
) -> None:
    """Answers 200 and a message name to every request, after reading its body."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    body = b'{\n  "name": "projects/bench-proj/messages/1"\n}'
    headers = [(b"content-type", b"application/json; charset=UTF-8")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def bare_server(context: ssl.SSLContext) -> HypercornServer:
    """The server ``FakeFcm`` runs on, serving a trivial app: the baseline."""
    return HypercornServer(_bare_app, context)


def message(token: str, n: int) -> bytes:
    """A realistic data message to ``token`` (the ``n``-th)."""
    return json.dumps({"message": {
        "token": token,
        "data": {"order": str(n), "kind": "bench"},
        "android": {"priority": "high", "ttl": "3600s", "collapse_key": "bench"},
        "apns": {"headers": {"apns-priority": "5"}},
        "fcm_options": {"analytics_label": "bench"},
    }}).encode()  # fmt: skip


class H2Client:
    """One HTTP/2 connection that keeps ``concurrency`` POSTs in flight."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self._conn.initiate_connection()
        self._conn.increment_flow_control_window(2**30)
        writer.write(self._conn.data_to_send())

    @classmethod
    async def connect(cls, url: str, context: ssl.SSLContext) -> H2Client:
        host, port = url.removeprefix("https://").rsplit(":", 1)
        context.set_alpn_protocols(["h2"])
        reader, writer = await asyncio.open_connection(host, int(port), ssl=context)
        return cls(reader, writer)

    async def close(self) -> None:
        self._conn.close_connection()
        self._writer.write(self._conn.data_to_send())
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self._writer.wait_closed()

    async def drive(
        self,
        authority: str,
        path: str,
        bodies: list[bytes],
        headers: dict[str, str],
        concurrency: int = 0,
    ) -> tuple[float, list[float], int]:
        """POST every body: (seconds, latencies, how many answered 200)."""  # fmt: skip
        conn, pending, statuses = self._conn, {}, {}
        latencies: list[float] = []
        accepted = 0
        queue = iter(bodies)
        base = [
            (b":method", b"POST"),
            (b":scheme", b"https"),
            (b":authority", authority.encode()),
            (b":path", path.encode()),
        ] + [(k.encode(), v.encode()) for k, v in headers.items()]

        def send_next() -> None:
            body = next(queue, None)
            if body is None:
                return
            stream_id = conn.get_next_available_stream_id()
            conn.send_headers(stream_id, [*base, (b"content-length", str(len(body)).encode())])
            conn.send_data(stream_id, body, end_stream=True)
            pending[stream_id] = time.perf_counter()

        began = time.perf_counter()
        for _ in range(concurrency or CONCURRENCY):
            send_next()
        self._writer.write(conn.data_to_send())
        while pending:
            data = await self._reader.read(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    statuses[event.stream_id] = dict(event.headers).get(b":status")
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                    latencies.append(time.perf_counter() - pending.pop(event.stream_id))
                    accepted += statuses.pop(event.stream_id, None) == b"200"
                    send_next()
            self._writer.write(conn.data_to_send())
        return time.perf_counter() - began, latencies, accepted


async def bearer(fcm: FakeFcm, account: ServiceAccount, client: httpx.AsyncClient) -> str:
    """An OAuth2 access token from the fake's own JWT-bearer endpoint."""
    now = int(time.time())
    assertion = jwt.encode(
        {"iss": account.client_email, "scope": _SCOPE, "aud": fcm.token_uri,
         "iat": now, "exp": now + 3600},
        account.private_key_pem, algorithm="RS256", headers={"kid": account.private_key_id},
    )  # fmt: skip
    response = await client.post(
        fcm.token_uri,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def run(options: BenchOptions) -> BenchReport:
    count = options.count or (200 if options.quick else 6000)
    state_dir = options.state_dir or Path(tempfile.mkdtemp(prefix="pushsim-bench-"))
    ca = LocalCA.load_or_create(state_dir)
    account = ServiceAccount.generate(PROJECT)
    clock = _Clock()

    server_context = ca.server_ssl_context(alpn=("h2", "http/1.1"))
    fake = FakeFcm(
        clock=clock, ssl_context=server_context, project_id=PROJECT, service_account=account
    )
    bare = bare_server(server_context)
    phones = [
        AndroidPhone(f"bench-{i}", push_service=fake.registry, clock=clock) for i in range(PHONES)
    ]
    tokens = []
    for phone in phones:
        phone.install(APP, f"user-{phone.phone_id}", answer="allow")
        tokens.append(str(phone.app(APP).token))
    bodies = [message(tokens[i % PHONES], i) for i in range(count)]
    warmup = bodies[: max(20, count // 20)]

    await fake.start()
    await bare.start()
    try:
        async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context()) as client:
            token = await bearer(fake, account, client)
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        path = f"/v1/projects/{PROJECT}/messages:send"
        context = ca.client_ssl_context()

        async def drive(url: str, batch: list[bytes]) -> tuple[float, list[float], int]:
            client = await H2Client.connect(url, context)
            try:
                return await client.drive(url, path, batch, headers)
            finally:
                await client.close()

        bare_url = f"https://127.0.0.1:{bare.port}"
        await drive(bare_url, warmup)
        await drive(fake.url, warmup)
        bare_s, bare_lat, bare_ok = await drive(bare_url, bodies)
        fake_s, fake_lat, fake_ok = await drive(fake.url, bodies)
        http_version = fake.request_log[-1].http_version
    finally:
        await fake.stop()
        await bare.stop()
    delivered = fake.request_log.count(kind="send", status=200)
    fake_row = Measurement(
        label="fake FCM (OAuth+validation+delivery)", count=fake_ok, seconds=fake_s,
        latencies=fake_lat, unit="msgs", extra={"http": http_version},
    )  # fmt: skip
    bare_row = Measurement(
        label="baseline: bare ASGI 200", count=bare_ok, seconds=bare_s, latencies=bare_lat,
        unit="msgs",
    )  # fmt: skip
    ratio = fake_row.rate / bare_row.rate if bare_row.rate else 0.0
    c_client = await c_client_rows(
        "fcm",
        state_dir,
        Load(requests=count, connections=2 if options.quick else 4, streams=8),
        ("fake FCM", "bare ASGI 200"),
        bare_processes=1,
    )
    return BenchReport(
        name="fcm",
        title="accepted messages/s over TLS HTTP/2, same ASGI server and h2 client",
        rows=[fake_row, bare_row, *c_client.rows],
        target=f"fake >= {TARGET_RATIO} x bare ASGI app (Python client; h2load too, if installed)",
        ratio=ratio,
        met=ratio >= TARGET_RATIO
        and fake_ok == count
        and (c_client.ratio or TARGET_RATIO) >= TARGET_RATIO,
        notes=[
            f"{count} requests, {CONCURRENCY} in flight on one HTTP/2 connection, "
            f"{PHONES} phones; {delivered} sends accepted in all (warm-up included)",
            "client, servers and phones share one process and event loop",
            *c_client.notes,
        ],
    )
