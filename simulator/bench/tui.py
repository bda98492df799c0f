"""``pushsim bench tui``: how fast the TUI answers a key, and draws a campaign, at 200 phones.

The app runs headless under Textual's Pilot at 160x48, over a simulation with 200 phones (half
iOS, half Android, each a user with the app installed), its refresh timer running as usual.
Key-to-repaint is the time from a key press until the app has handled it and the screen's
compositor has rendered the change (Pilot's ``press`` then ``pause``); writing the frame to a real
terminal is not included (headless). The campaign row is one notification to everyone, from the
request until the refresh after the last phone showed it has drawn every card.

The baseline is the same keys over the 4-phone demo fleet, in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from textual import events

from simulator.bench.report import BenchOptions, BenchReport, Measurement
from simulator.simulation import DEFAULT_APP_ID, Simulation

TARGET_MS = 100.0
CHARACTERS = {"plus": "+"}
SIZE = (160, 48)
#: One round of keys: move through the fleet, page, switch panes, filter, advance the clock.
KEYS = (
    "right", "right", "right", "left", "down", "up", "pagedown", "pagedown", "pageup",
    "end", "home", "2", "1", "l", "l", "plus", "right", "left",
)  # fmt: skip


async def _fleet(sim: Simulation, phones: int) -> None:
    for n in range(phones):
        user = f"user{n:03}"
        phone = sim.add_iphone(f"{user}-iphone") if n % 2 == 0 else sim.add_android(f"{user}-pixel")
        phone.install(DEFAULT_APP_ID, user_id=user, answer="allow")
    await sim.settle()


async def _measure(
    state_dir: Path, phones: int, rounds: int, campaign: bool
) -> tuple[list[tuple[float, float]], float | None]:
    from simulator.tui.app import PushsimApp  # Textual loads only when asked for

    async with Simulation(state_dir=state_dir) as sim:
        await _fleet(sim, phones)
        app = PushsimApp(sim, pace=0)
        latencies: list[tuple[float, float]] = []
        async with app.run_test(size=SIZE) as pilot:
            await asyncio.wait_for(app.ready.wait(), 60)
            await pilot.pause()
            for _ in range(rounds):
                for key in KEYS:
                    latencies.append(await _key_to_repaint(app, pilot, key))
                await pilot.pause()  # between rounds, let the refresh timer catch up
            drawn = await _campaign(app, sim, phones) if campaign else None
    return latencies, drawn


async def _key_to_repaint(app: Any, pilot: Any, key: str) -> tuple[float, float]:
    """Seconds from a key event to the compositor's frame showing its effect, in wall-clock and
    in this process's CPU time (which other processes on a busy machine do not stretch). Pilot's
    ``press`` would also wait for the process to go idle; this waits only for the messages the
    key caused."""
    began, cpu = time.perf_counter(), time.process_time()
    event = events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None))
    event.set_sender(app)
    app._driver.send_message(event)
    for _ in range(3):  # the key, what the app forwards to the focused widget, what that posts
        await pilot._wait_for_screen()
    app.screen._on_timer_update()
    return time.perf_counter() - began, time.process_time() - cpu


async def _campaign(app: object, sim: Simulation, phones: int) -> float:
    """Seconds from the request to everyone until every card has been redrawn with it."""
    from simulator.tui.app import PushsimApp

    assert isinstance(app, PushsimApp)
    shown = 0
    all_shown = asyncio.Event()

    def on_event(event: object) -> None:
        nonlocal shown
        if type(event).__name__ == "NotificationDisplayed":
            shown += 1
            if shown == phones:
                all_shown.set()

    unsubscribe = sim.timeline.subscribe(on_event)
    try:
        began = time.perf_counter()
        await app.send({"everyone": True, "kind": "alert", "title": "Everyone"})
        await asyncio.wait_for(all_shown.wait(), 120)
        await app.flush()  # what the next refresh tick does
        app.screen._on_timer_update()
        return time.perf_counter() - began
    finally:
        unsubscribe()


async def run(options: BenchOptions) -> BenchReport:
    phones = options.count or (20 if options.quick else 200)
    rounds = 1 if options.quick else 5
    state_dir = options.state_dir or Path(tempfile.mkdtemp(prefix="pushsim-bench-"))
    fleet, drawn = await _measure(state_dir, phones, rounds, campaign=True)
    demo, _ = await _measure(state_dir, 4, rounds, campaign=False)
    wall, cpu = [w for w, _ in fleet], [c for _, c in fleet]
    p95 = _p95(wall)
    rows = [
        _row(f"key → repaint, {phones} phones", wall),
        _row("  the same, CPU time of pushsim", cpu),
        _row("baseline: key → repaint, 4 phones", [w for w, _ in demo]),
        _row("  the same, CPU time of pushsim", [c for _, c in demo]),
    ]
    if drawn is not None:
        rows.append(
            Measurement(label=f"campaign to all {phones} drawn", count=phones, seconds=drawn)
        )
    return BenchReport(
        name="tui",
        title=f"TUI at {SIZE[0]}x{SIZE[1]}: key to repaint, campaign to all drawn",
        rows=rows,
        target=f"key → repaint p95 ≤ {TARGET_MS:g} ms at 200 phones",
        ratio=p95,
        met=p95 <= TARGET_MS if phones >= 200 else None,
        notes=[
            f"keys per round: {' '.join(KEYS)}",
            "headless: frames are not written out",
            f"CPU-time p95 {_p95(cpu):.1f} ms (other processes stretch wall time, not this)",
        ],
    )


def _p95(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[94] * 1000


def _row(label: str, seconds: list[float]) -> Measurement:
    return Measurement(
        label=label,
        count=len(seconds),
        seconds=sum(seconds),
        latencies=seconds,
        extra={"p95_ms": f"{_p95(seconds):.1f}", "max_ms": f"{max(seconds) * 1000:.1f}"},
    )
