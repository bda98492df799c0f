"""``pushsim bench phones``: memory of 100,000 idle phones in one process, and install time.

Each measurement runs in a fresh child process (``python -m simulator.bench.phones MODE N``) so
resident memory is not muddied by what an earlier step freed; all run in this same bench run:

- ``baseline``: the interpreter with pushsim imported, then N bare slotted objects;
- ``registries``: the real ``ApnsRegistry`` and ``FcmRegistry`` registering N tokens on their own
  (what the providers hold, to tell their share from the phones');
- ``phones``: N phones (half iOS on ``ApnsRegistry``, half Android on ``FcmRegistry``, as a
  ``Simulation`` holds them), idle, then one app installed on each (permission prompt, token,
  report to a no-op app server);
- ``timeline``: the same, keeping every phone event in a list as the simulation's timeline does.

RSS comes from ``/proc/self/statm`` (``resource.getrusage`` peak elsewhere).
"""

from __future__ import annotations

import array
import asyncio
import json
import os
import resource
import sys
import time
from typing import Any

from simulator.bench.report import BenchOptions, BenchReport, Measurement

TARGET_MB = 300.0
FULL_COUNT = 100_000
APP_ID = "com.example.app"


class _Clock:
    def now(self) -> float:
        return 1_700_000_000.0


class _Bare:
    __slots__ = ("phone_id",)

    def __init__(self, phone_id: str) -> None:
        self.phone_id = phone_id


class _Inbox:
    def push_arrived(self, *args: Any) -> None:
        pass


def rss_mb() -> float:
    """This process's resident set size in MB."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:  # not Linux: the peak is the best we have (kB on Linux, bytes on macOS)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


def _child(mode: str, count: int) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    from devices.phone import AndroidPhone, IosPhone
    from fakeproviders.apns import ApnsRegistry
    from fakeproviders.fcm import FcmRegistry

    clock = _Clock()
    latencies = array.array("d", bytes(8 * count))
    result: dict[str, Any] = {"rss_start": rss_mb()}
    began = time.perf_counter()
    if mode == "baseline":
        kept: list[Any] = [_Bare(f"phone-{i}") for i in range(count)]
        result.update(seconds=time.perf_counter() - began, rss=rss_mb())
        return result
    apns, fcm = ApnsRegistry(clock), FcmRegistry(clock)
    if mode == "registries":
        inbox = _Inbox()
        for i in range(count):
            registry: Any = apns if i % 2 == 0 else fcm
            registry.connect(f"phone-{i}", inbox)
            registry.register(f"phone-{i}", APP_ID)
        result.update(seconds=time.perf_counter() - began, rss=rss_mb())
        return result
    events: list[Any] = []
    emit = events.append if mode == "timeline" else _discard
    kept = [
        IosPhone(f"phone-{i}", push_service=apns, clock=clock, emit=emit)
        if i % 2 == 0
        else AndroidPhone(f"phone-{i}", push_service=fcm, clock=clock, emit=emit)
        for i in range(count)
    ]
    result.update(seconds=time.perf_counter() - began, rss=rss_mb())
    for i, phone in enumerate(kept):
        t0 = time.perf_counter()
        phone.install(APP_ID, user_id=f"user-{i}", answer="allow")
        latencies[i] = time.perf_counter() - t0
    result.update(
        install_seconds=sum(latencies),
        install_rss=rss_mb(),
        latencies=sorted(latencies)[:: max(1, count // 1000)],
        events=len(events),
    )
    return result


def _discard(event: object) -> None:
    pass


async def _measure(mode: str, count: int) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator.bench.phones",
        mode,
        str(count),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"bench phones child {mode!r} failed ({process.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


async def run(options: BenchOptions) -> BenchReport:
    count = options.count or (2_000 if options.quick else FULL_COUNT)
    base = await _measure("baseline", count)
    registries = await _measure("registries", count)
    phones = await _measure("phones", count)
    timeline = await _measure("timeline", count)
    start = base["rss_start"]

    def mb(value: float) -> str:
        return f"{value:.1f}MB"

    def per(value: float, since: float) -> str:
        return f"{(value - since) * 1e6 / count:.0f}B"

    total = phones["install_rss"]
    rows = [
        Measurement(
            label="baseline: interpreter + imports",
            count=1,
            seconds=0.0,
            unit="process",
            extra={"rss": mb(start)},
        ),
        Measurement(
            label="baseline: bare slotted objects",
            count=count,
            seconds=base["seconds"],
            extra={"rss": mb(base["rss"]), "each": per(base["rss"], base["rss_start"])},
        ),
        Measurement(
            label="registries alone: register tokens",
            count=count,
            seconds=registries["seconds"],
            extra={
                "rss": mb(registries["rss"]),
                "each": per(registries["rss"], registries["rss_start"]),
            },
        ),
        Measurement(
            label="create idle phones (half iOS)",
            count=count,
            seconds=phones["seconds"],
            extra={"rss": mb(phones["rss"]), "each": per(phones["rss"], phones["rss_start"])},
        ),
        Measurement(
            label="install app + register on all",
            count=count,
            seconds=phones["install_seconds"],
            latencies=phones["latencies"],
            extra={"rss": mb(total), "each": per(total, phones["rss_start"])},
        ),
        Measurement(
            label="same, keeping events (timeline)",
            count=count,
            seconds=timeline["install_seconds"],
            latencies=timeline["latencies"],
            extra={
                "rss": mb(timeline["install_rss"]),
                "events": str(timeline["events"]),
            },
        ),
    ]
    full = count >= FULL_COUNT
    phone_share = total - registries["rss"]
    notes = [
        f"{count} phones with one app each: {mb(total)} RSS in one process "
        f"({mb(start)} interpreter + imports, {mb(registries['rss'] - start)} provider "
        f"registries, {mb(phone_share)} phones, apps and tray state); install + register on "
        f"all took {phones['install_seconds']:.2f} s.",
        "Each row is a fresh child process; the machine has 2 cores shared with other jobs, so "
        "timings are noisy (memory is not).",
        "Phone events are discarded except in the last row; a Simulation's timeline keeps them.",
    ]
    if not full:
        notes.append(f"quick/partial run ({count} phones): the {FULL_COUNT} target is not judged")
    return BenchReport(
        name="phones",
        title=f"{count} idle simulated phones in one process (real APNs and FCM registries)",
        rows=rows,
        target=f"{FULL_COUNT} idle phones with an app installed ≤ {TARGET_MB:.0f} MB RSS",
        ratio=total,
        met=(total <= TARGET_MB) if full else None,
        notes=notes,
    )


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], int(sys.argv[2]))))
