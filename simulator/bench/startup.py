"""``pushsim bench startup``: how long a Simulation takes to start and to stop.

The baseline is the floor of the same work without our code: binding and closing three loopback
sockets, measured in the same run.
"""

from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path

from simulator.bench.report import BenchOptions, BenchReport, Measurement
from simulator.simulation import Simulation

TARGET_SECONDS = 0.5


async def run(options: BenchOptions) -> BenchReport:
    rounds = options.count or (3 if options.quick else 20)
    state_dir = options.state_dir or Path(tempfile.mkdtemp(prefix="pushsim-bench-"))
    # The first start creates the CA and keys; later ones reuse them, as every run after the first.
    async with Simulation(state_dir=state_dir):
        pass
    starts, stops = [], []
    for _ in range(rounds):
        began = time.perf_counter()
        sim = Simulation(state_dir=state_dir)
        await sim.start()
        ready = time.perf_counter()
        await sim.stop()
        starts.append(ready - began)
        stops.append(time.perf_counter() - ready)
    sockets = []
    began = time.perf_counter()
    for _ in range(rounds):
        for _ in range(3):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen()
            sockets.append(s)
        for s in sockets:
            s.close()
        sockets.clear()
    baseline = time.perf_counter() - began
    p50_start = sorted(starts)[len(starts) // 2]
    return BenchReport(
        name="startup",
        title="Simulation start → ready (fakes, sender, TLS, keys reused)",
        rows=[
            Measurement(
                label="Simulation.start()", count=rounds, seconds=sum(starts), latencies=starts
            ),
            Measurement(
                label="Simulation.stop()", count=rounds, seconds=sum(stops), latencies=stops
            ),
            Measurement(label="baseline: bind+listen 3 sockets", count=rounds, seconds=baseline),
        ],
        target=f"start ≤ {TARGET_SECONDS} s (median)",
        ratio=p50_start,
        met=p50_start <= TARGET_SECONDS,
    )
