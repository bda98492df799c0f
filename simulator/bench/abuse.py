"""``pushsim bench abuse``: each attack of ``simulator.bench.attacks`` against a running
``pushsim up`` (its own process), reporting per attack how the abusive connection ended, how long
the control API took to answer meanwhile, and the process's memory before and after.

The attacks run from this process, one at a time, while a thread asks the control API for
``GET /phones`` every 50 ms; its latencies are the p50/p99 columns.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from simulator.bench import attacks
from simulator.bench.attacks import Outcome, Target
from simulator.bench.report import BenchOptions, BenchReport, Measurement

#: The control API must answer within this while any attack runs (the target of the bench).
CONTROL_LIMIT = 1.0
APNS_HOST = "api.sandbox.push.apple.com:443"
FCM_HOST = "fcm.googleapis.com:443"


@contextlib.contextmanager
def running_up(state_dir: Path, *, timeout: float = 60.0) -> Iterator[tuple[dict[str, Any], int]]:
    """``pushsim up --no-demo`` in its own process; yields its endpoints and its pid."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "up", "--no-demo", "--state-dir", str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until it printed "pushsim is up"
        if "pushsim is up" not in first:
            raise RuntimeError(f"pushsim up did not start: {first!r}")
        endpoints = json.loads((state_dir / "endpoints.json").read_text())
        yield endpoints, process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Prober:
    """Asks the control API ``GET /phones`` every ``every`` seconds in a thread, while open."""

    control_url: str
    every: float = 0.05
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._answered = threading.Event()
        self._thread = threading.Thread(target=self._probe, name="control-prober", daemon=True)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._answered.wait(30.0)  # at least one probe, however short the attack was
        self._stop.set()
        self._thread.join()

    @property
    def worst(self) -> float:
        """The longest answer time, in seconds (infinity if no answer came)."""
        return max(self.latencies, default=float("inf"))

    def _probe(self) -> None:
        with httpx.Client(base_url=self.control_url, timeout=30.0) as client:
            while not self._stop.is_set():
                began = time.perf_counter()
                try:
                    response = client.get("/phones")
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                else:
                    if response.status_code == 200:
                        self.latencies.append(time.perf_counter() - began)
                    else:
                        self.failures.append(f"{response.status_code} {response.text[:80]}")
                self._answered.set()
                self._stop.wait(self.every)


Attack = Callable[[], Outcome]


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def plan(endpoints: dict[str, Any], *, quick: bool = False) -> list[tuple[str, Attack]]:
    """Every attack against every listener it applies to, as ``(label, attack)``."""
    apns = Target(_port(endpoints["apns"]["url"]))
    fcm = Target(_port(endpoints["fcm"]["url"]))
    proxy_port = _port(endpoints["proxy"]["url"])
    via_proxy = Target(proxy_port, via_proxy=(proxy_port, FCM_HOST))
    sender = Target(_port(endpoints["sender"]["url"]), tls=False, alpn=())
    control = Target(_port(endpoints["control"]["url"]), tls=False, alpn=())
    floods = {
        "rapid reset": attacks.rapid_reset,
        "16 MiB frame header": attacks.oversized_frame,
        "SETTINGS flood": attacks.settings_flood,
        "PING flood": attacks.ping_flood,
        "empty DATA flood": attacks.empty_data_flood,
        "CONTINUATION flood": attacks.continuation_flood,
    }
    chosen: list[tuple[str, Attack]] = []
    for listener, target in (("apns", apns), ("fcm", fcm), ("proxy→fcm", via_proxy)):
        chosen += [(f"{listener}: {name}", partial(a, target)) for name, a in floods.items()]
    size = 4 * 1024 * 1024 if quick else 64 * 1024 * 1024
    bearer = (("Authorization", f"Bearer {endpoints['sender']['api_key']}"),)
    for listener, target, headers in (
        ("sender", sender, ()),
        ("sender with API key", sender, bearer),
        ("control", control, ()),
    ):
        chosen += [
            (f"{listener}: HTTP/2 preface", partial(attacks.preface_then_silence, target)),
            (
                f"{listener}: big body",
                partial(attacks.big_body, target, headers=headers, size=size),
            ),
        ]
        if not quick:  # each lasts the listener's body timeout (sender.server.BODY_TIMEOUT)
            chosen.append(
                (f"{listener}: slow body", partial(attacks.slow_body, target, headers=headers))
            )
    return chosen


async def run(options: BenchOptions) -> BenchReport:
    state_dir = Path(tempfile.mkdtemp(prefix="pushsim-bench-abuse-"))
    if options.state_dir is not None:  # the same CA as the other benches: no new keys to make
        for name in ("ca.pem", "ca-key.pem"):
            with contextlib.suppress(FileNotFoundError):
                (state_dir / name).write_bytes((options.state_dir / name).read_bytes())
    rows: list[Measurement] = []
    worst = 0.0
    all_closed = True
    with running_up(state_dir) as (endpoints, pid):
        control_url = endpoints["control"]["url"]
        rss_start = rss_mb(pid)
        for label, attack in plan(endpoints, quick=options.quick):
            before = rss_mb(pid)
            with Prober(control_url) as prober:
                outcome = attack()
            after = rss_mb(pid)
            worst = max(worst, prober.worst)
            all_closed = all_closed and outcome.closed
            rows.append(
                Measurement(
                    label=label,
                    count=outcome.sent,
                    seconds=outcome.seconds,
                    latencies=prober.latencies,
                    unit="frames",
                    extra={
                        "ended": _ending(outcome),
                        "control max ms": f"{prober.worst * 1000:.0f}",
                        "RSS MB": f"{before:.0f}→{after:.0f}",
                    },
                )
            )
        rss_end = rss_mb(pid)
    with contextlib.suppress(OSError):
        os.rmdir(state_dir)  # pushsim up leaves its keys; keep them if so
    return BenchReport(
        name="abuse",
        title="one abusive connection at a time against pushsim up; the control API meanwhile",
        rows=rows,
        target=f"every abusive connection ended, control API answers ≤ {CONTROL_LIMIT:g} s",
        ratio=worst,
        met=all_closed and worst <= CONTROL_LIMIT,
        notes=[
            "count = frames (bytes for big body) sent before the server ended the connection; "
            "seconds = until it did; p50/p99 = the control API's GET /phones meanwhile",
            f"pushsim up RSS: {rss_start:.0f} MB at start, {rss_end:.0f} MB after all attacks",
            "attacker and prober run in this process, pushsim up in its own; other jobs on the "
            "machine add noise to the latencies",
        ],
    )


def _ending(outcome: Outcome) -> str:
    if not outcome.closed:
        return "NOT closed"
    if outcome.goaway is not None:
        name = getattr(outcome.goaway, "name", str(outcome.goaway))
        return f"GOAWAY {name}"
    return f"HTTP {outcome.status}" if outcome.status is not None else "closed"
