"""``pushsim bench campaign``: the sender's campaign to a fleet, until every phone shows it.

A ``Simulation`` with N phones (half iPhones, half Android), each with the demo app installed and
then sent to the background. Three measurements, in the same run, on the same fakes:

1. the campaign: one ``POST /v1/notifications`` to everyone, until the last phone displays it
   (target: ≤ 10 s for 10,000 phones on 2 cores), twice: with the simulation's in-process sender,
   and with ``pushsim-sender`` running in its own process, as a deployed app server does (the
   target is judged on that one: on 2 cores, one process cannot use both);
2. the sender's APNs throughput: a campaign to the iPhones only (a saved segment), from the POST
   to the last APNs acceptance;
3. the baseline: aioapns sending the same number of pushes to the same iPhones through the same
   fake APNs (target: the sender ≥ 0.8 × aioapns).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from simulator.bench.report import BenchOptions, BenchReport, Measurement
from simulator.simulation import DEFAULT_APP_ID, Simulation

FULL_PHONES = 10_000
QUICK_PHONES = 200
TARGET_SECONDS = 10.0
TARGET_RATIO = 0.8
_TIMEOUT = 120.0


class _Counter:
    """Times timeline events of one kind per notification; resolves when ``expected`` came for
    the awaited one. Events are kept from the start: an in-process sender may emit them before
    the API's answer has told us the notification id."""

    def __init__(self, kind: str, expected: int) -> None:
        self.kind = kind
        self.expected = expected
        self.times: dict[str | None, list[float]] = {}
        self.awaited: str | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def __call__(self, event: Any) -> None:
        if type(event).__name__ == self.kind:
            key = getattr(event, "notification_id", None)
            self.times.setdefault(key, []).append(time.perf_counter())
            self._check()

    def expect(self, notification_id: str) -> None:
        self.awaited = notification_id
        self._check()

    def _check(self) -> None:
        seen = self.times.get(self.awaited, []) if self.awaited else []
        if len(seen) >= self.expected and not self.done.done():
            self.done.set_result(None)


async def run(options: BenchOptions) -> BenchReport:
    phones = options.count or (QUICK_PHONES if options.quick else FULL_PHONES)
    state_dir = options.state_dir or Path(tempfile.mkdtemp(prefix="pushsim-bench-"))
    async with Simulation(state_dir=state_dir) as sim:
        ios_tokens = await _fleet(sim, phones)
        campaign = await _campaign(sim, {"everyone": True}, phones, "NotificationDisplayed")
        separate = await _separate_process_campaign(sim, phones)
        await sim.sender_api.put("/v1/segments/iphones", json={"platform": "ios"})
        sender_ios = await _campaign(sim, {"segment": "iphones"}, len(ios_tokens), "PushSent")
        baseline = await _aioapns(sim, ios_tokens)
        stats = (await sim.sender_api.get("/v1/stats")).json()
    ratio = sender_ios.rate / baseline.rate if baseline.rate else 0.0
    fast_enough = separate.seconds <= TARGET_SECONDS
    return BenchReport(
        name="campaign",
        title=f"sender campaign to {phones} phones (half iOS, half Android) until displayed",
        rows=[campaign, separate, sender_ios, baseline],
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
        ],
    )


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
    counter = _Counter(kind, expected)
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
    times = counter.times[counter.awaited]
    seconds = times[-1] - began
    label = "campaign → all displayed" if kind == "NotificationDisplayed" else "sender APNs"
    return Measurement(
        label=f"{label} ({expected})",
        count=expected,
        seconds=seconds,
        latencies=[t - began for t in times],
        unit="pushes",
    )


async def _separate_process_campaign(sim: Simulation, phones: int) -> Measurement:
    """The same campaign from ``pushsim-sender`` in its own process, configured as ``pushsim env``
    would configure it, with every phone's token registered through its API."""
    with tempfile.TemporaryDirectory(prefix="pushsim-sender-") as folder:
        endpoints = sim.endpoints
        env = {
            **os.environ,
            "APNS_URL": sim.apns.url,
            "APNS_ENVIRONMENT": "sandbox",
            "APNS_TEAM_ID": endpoints["apns"]["team_id"],
            "APNS_KEY_ID": endpoints["apns"]["key_id"],
            "APNS_KEY_PATH": endpoints["apns"]["key_path"],
            "FCM_URL": sim.fcm.url,
            "GOOGLE_APPLICATION_CREDENTIALS": endpoints["fcm"]["service_account_path"],
            "PUSHSIM_SENDER_CA_FILE": endpoints["ca_cert"],
            "PUSHSIM_SENDER_API_KEY": "bench-api-key",
            "PUSHSIM_SENDER_APP_KEY": "bench-app-key",
            "PUSHSIM_SENDER_PORT": "0",
            "PUSHSIM_SENDER_LOG_LEVEL": "WARNING",
            "PUSHSIM_SENDER_DATABASE": str(Path(folder) / "sender.sqlite3"),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sender", env=env, stdout=asyncio.subprocess.PIPE
        )
        try:
            assert process.stdout is not None
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            if "listening on" not in line:
                raise RuntimeError(f"pushsim-sender did not start: {line!r}")
            url = line.rsplit(" ", 1)[1].strip()
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                await _register_everyone(sim, client)
                counter = _Counter("NotificationDisplayed", phones)
                unsubscribe = sim.timeline.subscribe(counter)
                try:
                    began = time.perf_counter()
                    response = await client.post(
                        "/v1/notifications",
                        headers={"Authorization": "Bearer bench-api-key"},
                        json={"everyone": True, "title": "Flash sale", "body": "50% off"},
                    )
                    response.raise_for_status()
                    counter.expect(response.json()["id"])
                    await asyncio.wait_for(counter.done, _TIMEOUT)
                finally:
                    unsubscribe()
        finally:
            if process.returncode is None:
                process.terminate()
            await process.wait()
    times = counter.times[counter.awaited]
    return Measurement(
        label=f"same, sender in its own process ({phones})",
        count=phones,
        seconds=times[-1] - began,
        latencies=[t - began for t in times],
        unit="pushes",
    )


async def _register_everyone(sim: Simulation, client: httpx.AsyncClient) -> None:
    """Each app posts its token to the separate sender, as it did to the in-process one."""
    slots = asyncio.Semaphore(16)

    async def register(body: dict[str, str]) -> None:
        async with slots:
            response = await client.post(
                "/v1/devices", json=body, headers={"X-App-Key": "bench-app-key"}
            )
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
