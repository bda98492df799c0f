"""Rows measured by ``h2load`` (nghttp2's load generator, in C) against servers in their own
processes, so that neither the client nor a shared event loop is the bottleneck.

Each server runs as ``python -m simulator.bench.serve KIND``, which says on its first line what
to send. The fake APNs starts every connection at one stream until the first authenticated
request (reference/apns.md §4), and h2load opens its streams before it reads the server's
SETTINGS; so APNs rows use many connections with one stream each, and every kind is measured
the same way as its baseline. A warm-up run precedes each measured one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.bench.processes import child_processes
from simulator.bench.report import Measurement

MISSING = "h2load is not installed (Debian: apt-get install nghttp2-client): C-client rows skipped"


def h2load_path() -> str | None:
    """Where ``h2load`` is, or None."""
    return shutil.which("h2load")


@dataclass(frozen=True)
class Load:
    """How h2load drives a server: ``requests`` over ``connections`` × ``streams``."""

    requests: int
    connections: int
    streams: int

    def describe(self) -> str:
        return f"{self.requests} requests, {self.connections} connections x {self.streams} streams"


@contextlib.asynccontextmanager
async def server_processes(kind: str, state_dir: Path, count: int) -> AsyncIterator[dict[str, Any]]:
    """Run ``count`` processes serving ``kind`` on one port; yields the first one's offer."""
    async with child_processes() as start:
        argv = [sys.executable, "-m", "simulator.bench.serve", kind, "--state-dir", str(state_dir)]
        offer = json.loads(await start(*argv))
        for _ in range(count - 1):
            await start(*argv, "--port", str(offer["port"]))
        yield offer


async def run_h2load(offer: dict[str, Any], load: Load, label: str) -> Measurement:
    """One h2load run against ``offer``; the row, with per-request latencies from its log."""
    executable = h2load_path()
    if executable is None:
        raise RuntimeError(MISSING)
    with tempfile.TemporaryDirectory(prefix="pushsim-h2load-") as folder:
        uris, body, log = _inputs(Path(folder), offer)
        headers = [f"--header={name}: {value}" for name, value in offer["headers"].items()]
        process = await asyncio.create_subprocess_exec(
            executable,
            f"--requests={load.requests}",
            f"--clients={load.connections}",
            f"--max-concurrent-streams={load.streams}",
            "--threads=1",
            f"--input-file={uris}",
            f"--data={body}",
            f"--log-file={log}",
            *headers,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output = (await process.communicate())[0].decode()
        latencies = _latencies(log)
    return _measurement(label, output, latencies)


def _inputs(folder: Path, offer: dict[str, Any]) -> tuple[Path, Path, Path]:
    """The URI list and the body h2load sends, and where it logs each request."""
    uris, body = folder / "uris", folder / "body"
    uris.write_text("".join(f"https://127.0.0.1:{offer['port']}{p}\n" for p in offer["paths"]))
    body.write_text(offer["body"])
    return uris, body, folder / "log"


def _latencies(log: Path) -> list[float]:
    """Seconds per request from h2load's log (start µs, status, µs to the end of the answer)."""
    return [int(line.split("\t")[2]) / 1e6 for line in log.read_text().splitlines() if line]


def _measurement(label: str, output: str, latencies: list[float]) -> Measurement:
    finished = re.search(r"finished in ([\d.]+)(ms|s),", output)
    counts = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded", output)
    statuses = re.search(r"status codes: (\d+) 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx", output)
    if not (finished and counts and statuses):
        raise RuntimeError(f"h2load said: {output[-500:]}")
    seconds = float(finished[1]) / (1000 if finished[2] == "ms" else 1)
    ok = int(statuses[1])
    extra = {"2xx": str(ok)}
    failed = int(statuses[2]) + int(statuses[3])
    if failed or ok < int(counts[1]):
        extra["other"] = str(failed + int(counts[1]) - ok)
    return Measurement(
        label=label,
        count=ok,
        seconds=seconds,
        latencies=latencies,
        unit="requests",
        extra=extra,
    )


async def measure(
    kind: str, state_dir: Path, load: Load, label: str, processes: int = 1
) -> Measurement:
    """Warm ``kind`` up in ``processes`` processes, then measure it with ``load``."""
    async with server_processes(kind, state_dir, processes) as offer:
        warm_up = Load(max(load.connections, load.requests // 10), load.connections, load.streams)
        await run_h2load(offer, warm_up, label)
        return await run_h2load(offer, load, label)


@dataclass
class CClientRows:
    """The h2load rows of one provider's bench, and what they say."""

    rows: list[Measurement]
    notes: list[str]
    ratio: float | None
    """The fake's rate over the bare server's (one process each); None when not measured."""


async def c_client_rows(
    provider: str, state_dir: Path, load: Load, labels: tuple[str, str], bare_processes: int
) -> CClientRows:
    """h2load against the fake ``provider`` (one process) and against the bare server of the same
    kind in 1 … ``bare_processes`` processes sharing a port."""
    if h2load_path() is None:
        return CClientRows([], [MISSING], None)
    fake = await measure(provider, state_dir, load, f"h2load → {labels[0]}")
    bare = [
        await measure(
            f"{provider}-bare",
            state_dir,
            load,
            f"h2load → {labels[1]}" + (f" ×{n}" if n > 1 else ""),
            processes=n,
        )
        for n in range(1, bare_processes + 1)
    ]
    ratio = fake.rate / bare[0].rate if bare[0].rate else 0.0
    notes = [
        f"h2load rows: {load.describe()}, one h2load thread; each server in its own process; "
        f"fake / bare = {ratio:.2f}"
    ]
    if bare_processes > 1:
        notes.append(
            f"bare server ×2: in 2 processes (SO_REUSEPORT): {bare[1].rate / bare[0].rate:.2f} x one "
            "process; the fake runs in one process only, its registries and stored pushes being "
            "in memory (docs/scaling.md says what a second one needs)"
        )
    return CClientRows([fake, *bare], notes, ratio)
