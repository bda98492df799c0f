"""``pushsim bench campaign``: the sender's campaign to a fleet, until every phone shows it.

A ``Simulation`` with N phones (half iPhones, half Android), each with the demo app installed and
then sent to the background. Three measurements, in the same run, on the same fakes:

1. the campaign: one ``POST /v1/notifications`` to everyone, until the last phone displays it
   (target: ≤ 10 s for 10,000 phones on 2 cores): with the simulation's in-process sender, with
   ``pushsim-sender`` running in its own process on SQLite, as a deployed app server does (the
   target is judged on that one: on 2 cores, one process cannot use both), and, given a
   PostgreSQL server (``--postgres URL``), with one and with two ``pushsim-sender`` instances
   sharing a new database on it;
2. the sender's APNs throughput: a campaign to the iPhones only (a saved segment), from the POST
   to the last APNs acceptance;
3. the baseline: aioapns sending the same number of pushes to the same iPhones through the same
   fake APNs (target: the sender ≥ 0.8 × aioapns).
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
import time
import urllib.parse
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx

from simulator.bench.report import BenchOptions, BenchReport, Measurement
from simulator.bench.sender_processes import (
    API_KEY,
    APP_KEY,
    postgres_database,
    sender_processes,
    sqlite_database,
)
from simulator.simulation import DEFAULT_APP_ID, Simulation

FULL_PHONES = 10_000
QUICK_PHONES = 200
TARGET_SECONDS = 10.0
TARGET_RATIO = 0.8
_TIMEOUT = 120.0


class _Counter:
    """Times timeline events of one kind per notification; resolves when ``expected`` distinct
    tokens had one for the awaited notification. Events are kept from the start: an in-process
    sender may emit them before the API's answer has told us the notification id."""

    def __init__(self, kind: str, expected: int, label: str) -> None:
        self.kind = kind
        self.expected = expected
        self.label = label
        self.times: dict[str | None, list[float]] = {}
        self.tokens: dict[str | None, set[str]] = {}
        self.awaited: str | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def __call__(self, event: Any) -> None:
        if type(event).__name__ == self.kind:
            key = getattr(event, "notification_id", None)
            self.times.setdefault(key, []).append(time.perf_counter())
            self.tokens.setdefault(key, set()).add(event.token)
            self._check()

    def expect(self, notification_id: str) -> None:
        self.awaited = notification_id
        self._check()

    def _check(self) -> None:
        seen = self.tokens.get(self.awaited, set()) if self.awaited else set()
        if len(seen) >= self.expected and not self.done.done():
            self.done.set_result(None)

    def measurement(self, began: float) -> Measurement:
        """The row: from ``began`` to the last event; events beyond one per token are counted."""
        times = self.times[self.awaited]
        twice = len(times) - len(self.tokens[self.awaited])
        return Measurement(
            label=f"{self.label} ({self.expected})",
            count=self.expected,
            seconds=times[-1] - began,
            latencies=[t - began for t in times],
            unit="pushes",
            extra={"twice": str(twice)} if twice else {},
        )


async def run(options: BenchOptions) -> BenchReport:
    phones = options.count or (QUICK_PHONES if options.quick else FULL_PHONES)
    state_dir = options.state_dir or Path(tempfile.mkdtemp(prefix="pushsim-bench-"))
    async with Simulation(state_dir=state_dir) as sim:
        ios_tokens = await _fleet(sim, phones)
        campaign = await _campaign(sim, {"everyone": True}, phones, "NotificationDisplayed")
        separate = await _separate_process_campaign(
            sim, phones, "same, sender in its own process", sqlite_database()
        )
        shared = []
        if options.postgres:
            for instances in (1, 2):
                shared.append(
                    await _separate_process_campaign(
                        sim,
                        phones,
                        f"same, {instances} on PostgreSQL",
                        postgres_database(options.postgres),
                        instances,
                    )
                )
        await sim.sender_api.put("/v1/segments/iphones", json={"platform": "ios"})
        sender_ios = await _campaign(sim, {"segment": "iphones"}, len(ios_tokens), "PushSent")
        baseline = await _aioapns(sim, ios_tokens)
        stats = (await sim.sender_api.get("/v1/stats")).json()
    ratio = sender_ios.rate / baseline.rate if baseline.rate else 0.0
    fast_enough = separate.seconds <= TARGET_SECONDS
    return BenchReport(
        name="campaign",
        title=f"sender campaign to {phones} phones (half iOS, half Android) until displayed",
        rows=[campaign, separate, *shared, sender_ios, baseline],
        target=(
            f"campaign ≤ {TARGET_SECONDS:g} s (sender in its own process: {separate.seconds:.2f} s, "
            f"{'met' if fast_enough else 'NOT met'}) and sender APNs ≥ {TARGET_RATIO} × aioapns"
        ),
        ratio=ratio,
        met=fast_enough and ratio >= TARGET_RATIO,
        notes=[
            f"sender stats after the run: accepted={stats['accepted']} failed={stats['failed']}"
            f" retries={stats['retries']}",
            "in-process rows: fakes, phones and sender share one event loop on one core (that "
            "sender keeps 200 pushes in flight, pushsim-sender its default 2000); other jobs on "
            "the machine add noise",
            (
                "PostgreSQL rows: pushsim-sender processes sharing one new database on "
                f"{_server(options.postgres)}; the fakes and phones stay in one process, so on "
                "2 cores a second sender adds no core to the campaign; twice=N counts phones "
                "that showed it twice"
                if options.postgres
                else "PostgreSQL rows skipped: pass --postgres URL (a server where the bench may "
                "create a database) to measure pushsim-sender with 1 and 2 instances on it"
            ),
        ],
    )


def _server(url: str | None) -> str:
    parts = urllib.parse.urlsplit(url or "")
    return f"{parts.hostname}:{parts.port or 5432}"


async def _fleet(sim: Simulation, count: int) -> list[str]:
    """Install the demo app on ``count`` phones (half iPhones), in the background, registered."""
    ios_tokens = []
    for i in range(count):
        phone = sim.add_iphone() if i % 2 == 0 else sim.add_android()
        app = phone.install(DEFAULT_APP_ID, user_id=f"user-{i}", answer="allow")
        # A foreground app may present or swallow a notification; in the background the OS shows it.
        phone.background(DEFAULT_APP_ID)
        if i % 2 == 0 and app.token:
            ios_tokens.append(app.token)
        if i % 50 == 49:
            await sim.settle()  # keep the pending registrations (HTTP calls) bounded
    await sim.settle()
    return ios_tokens


async def _campaign(
    sim: Simulation, target: dict[str, Any], expected: int, kind: str
) -> Measurement:
    """POST one notification to ``target``; time until ``expected`` events of ``kind`` for it."""
    label = "campaign → all displayed" if kind == "NotificationDisplayed" else "sender APNs"
    counter = _Counter(kind, expected, label)
    unsubscribe = sim.timeline.subscribe(counter)
    try:
        began = time.perf_counter()
        response = await sim.sender_api.post(
            "/v1/notifications", json={**target, "title": "Flash sale", "body": "50% off"}
        )
        response.raise_for_status()
        counter.expect(response.json()["id"])
        await asyncio.wait_for(counter.done, _TIMEOUT)
    finally:
        unsubscribe()
    return counter.measurement(began)


async def _separate_process_campaign(
    sim: Simulation,
    phones: int,
    label: str,
    database: AbstractAsyncContextManager[str],
    instances: int = 1,
) -> Measurement:
    """The same campaign from ``instances`` ``pushsim-sender`` processes sharing ``database``,
    configured as ``pushsim env`` would configure them, every phone's token registered through
    the first one's API; the campaign is posted to the first too."""
    async with (
        database as url,
        sender_processes(sim, url, instances) as urls,
        httpx.AsyncClient(base_url=urls[0], timeout=60) as client,
    ):
        await _register_everyone(sim, client)
        counter = _Counter("NotificationDisplayed", phones, label)
        unsubscribe = sim.timeline.subscribe(counter)
        try:
            began = time.perf_counter()
            response = await client.post(
                "/v1/notifications",
                headers={"Authorization": f"Bearer {API_KEY}"},
                json={"everyone": True, "title": "Flash sale", "body": "50% off"},
            )
            response.raise_for_status()
            counter.expect(response.json()["id"])
            await asyncio.wait_for(counter.done, _TIMEOUT)
        finally:
            unsubscribe()
    return counter.measurement(began)


async def _register_everyone(sim: Simulation, client: httpx.AsyncClient) -> None:
    """Each app posts its token to the separate sender, as it did to the in-process one."""
    slots = asyncio.Semaphore(16)

    async def register(body: dict[str, str]) -> None:
        async with slots:
            for attempt in range(3):
                try:
                    response = await client.post(
                        "/v1/devices", json=body, headers={"X-App-Key": APP_KEY}
                    )
                    break
                except httpx.TransportError:
                    # A keep-alive connection the server closed as we reused it (a loaded
                    # machine); registering a token again is harmless.
                    if attempt == 2:
                        raise
            response.raise_for_status()

    await asyncio.gather(
        *(
            register(
                {
                    "token": app.token,
                    "platform": phone.platform,
                    "app_id": app.app_id,
                    "user_id": app.user_id,
                }
            )
            for phone in sim.phones
            for app in phone.apps
            if app.token
        )
    )


async def _aioapns(sim: Simulation, tokens: list[str]) -> Measurement:
    """The baseline: aioapns, unmodified but for its host constant, to the same fake APNs."""
    from aioapns import APNs, NotificationRequest, PushType
    from aioapns.connection import APNsDevelopmentClientProtocol

    class _ToTheFake(APNsDevelopmentClientProtocol):
        # aioapns offers no URL setting: its protocol class names the host and port.
        APNS_SERVER = "127.0.0.1"
        APNS_PORT = sim.apns.port

    key = sim.apns_credentials.key
    pem = key.private_key_pem
    client = APNs(
        key=pem.decode() if isinstance(pem, bytes) else pem,
        key_id=key.key_id,
        team_id=key.team_id,
        topic=DEFAULT_APP_ID,
        use_sandbox=True,
        ssl_context=ssl.create_default_context(cafile=str(sim.ca.cert_path)),
    )
    client.pool.protocol_class = _ToTheFake
    payload = {"aps": {"alert": {"title": "Flash sale", "body": "50% off"}}}
    latencies: list[float] = []

    async def send(token: str) -> None:
        began = time.perf_counter()
        result = await client.send_notification(
            NotificationRequest(device_token=token, message=payload, push_type=PushType.ALERT)
        )
        if not result.is_successful:
            raise RuntimeError(f"aioapns push refused: {result.status} {result.description}")
        latencies.append(time.perf_counter() - began)

    try:
        await send(tokens[0])  # connect and authenticate outside the timing, as the sender has
        latencies.clear()
        began = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(send(t) for t in tokens)), _TIMEOUT)
        seconds = time.perf_counter() - began
    finally:
        client.pool.close()
    return Measurement(
        label=f"baseline: aioapns ({len(tokens)})",
        count=len(tokens),
        seconds=seconds,
        latencies=latencies,
        unit="pushes",
    )
