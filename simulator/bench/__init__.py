"""Benchmarks (``pushsim bench NAME``): each measures its baseline in the same run and prints ratios.

Each benchmark is a module here with ``async def run(options: BenchOptions) -> BenchReport``;
``BENCHMARKS`` maps its name to the module, imported only when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Coroutine
from typing import Any, cast

from simulator.bench.report import BenchOptions, BenchReport, Measurement

#: name → (module, one-line description)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "startup": ("simulator.bench.startup", "Simulation start → ready, and stop (target ≤ 0.5 s)"),
    "apns": (
        "simulator.bench.apns",
        "fake APNs accepted notifications/s over TLS HTTP/2 vs a bare h2 server (target ≥ 0.6×)",
    ),
    "fcm": (
        "simulator.bench.fcm",
        "fake FCM messages:send/s with OAuth + validation + delivery vs a bare ASGI app (≥ 0.6×)",
    ),
    "campaign": (
        "simulator.bench.campaign",
        "sender campaign to 10,000 phones until shown (≤ 10 s) and sender vs aioapns (≥ 0.8×)",
    ),
    "abuse": (
        "simulator.bench.abuse",
        "HTTP/2 floods, rapid reset, big bodies against each listener of pushsim up: the "
        "connection ends, the control API answers meanwhile (≤ 1 s); memory before/after",
    ),
    "phones": (
        "simulator.bench.phones",
        "100,000 idle phones (half iOS, half Android, real registries) ≤ 300 MB RSS; install time",
    ),
    "tui": (
        "simulator.bench.tui",
        "TUI key → repaint at 200 phones, p95 ≤ 100 ms; campaign to all until drawn",
    ),
}

__all__ = ["BENCHMARKS", "BenchOptions", "BenchReport", "Measurement", "load"]


def load(name: str) -> Callable[[BenchOptions], Coroutine[Any, Any, BenchReport]]:
    """The ``run`` function of benchmark ``name``."""
    module_name, _ = BENCHMARKS[name]
    module = importlib.import_module(module_name)
    return cast(Callable[[BenchOptions], Coroutine[Any, Any, BenchReport]], module.run)
