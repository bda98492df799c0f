"""Play a scenario script in the TUI, slowly enough to watch.

A scenario (``simulator/scenarios.py``) is ``async def scenario(sim)`` and expects a simulation of
its own, as ``pushsim run`` gives it: other phones of the same users would answer too, and its
clock moves months. So the TUI starts a fresh simulation for it, shows that one while it plays,
and goes back to the live one on ``b`` (or when the next scenario starts). The scenario gets a
:class:`PacedSimulation`: the same simulation, except that each awaited step (``notify``,
``wait_for``, ``expect``, ``notification``, ``settle``) first pauses ``pace`` real seconds, so the
phones and the timeline can be watched between steps. The scenario files are not changed.
At pace 0 the steps come faster than an eye follows, so the screen is redrawn only once a second
while the scenario plays (a repaint costs the scenario's time), and once more when it ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App
from textual.worker import Worker

from simulator.clock import VirtualClock
from simulator.scenarios import (
    ScenarioError,
    ScenarioScript,
    find_scenario_files,
    load_scenario,
    scenario_library,
)
from simulator.simulation import Simulation
from simulator.tui.labels import Labels
from simulator.tui.model import Dashboard, follow
from simulator.tui.screens.forms import ScenarioChoice, ScenarioScreen

#: The awaited Simulation methods that pause first.
PACED = ("notify", "notification", "wait_for", "expect", "settle")


class PacedSimulation:
    """``sim`` with a pause before every awaited step; ``on_step`` hears each step's name."""

    def __init__(
        self, sim: Simulation, pace: float, on_step: Callable[[str], None] | None = None
    ) -> None:
        self._sim = sim
        self._pace = pace
        self._on_step = on_step
        self.steps = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._sim, name)
        if name not in PACED:
            return attribute

        async def paced(*args: Any, **kwargs: Any) -> Any:
            self.steps += 1
            if self._on_step is not None:
                self._on_step(name)
            if self._pace > 0:
                # A deliberate pause for a person to watch; nothing waits on it.
                await asyncio.sleep(self._pace)
            return await attribute(*args, **kwargs)

        return paced


@dataclass(frozen=True, slots=True)
class PlaybackResult:
    """How a played scenario ended."""

    name: str
    passed: bool
    error: str | None = None


async def play(
    script: ScenarioScript,
    sim: Simulation,
    *,
    pace: float,
    on_step: Callable[[str], None] | None = None,
) -> PlaybackResult:
    """Run ``script`` against ``sim``; never raises for a failing scenario."""
    try:
        await script.function(PacedSimulation(sim, pace, on_step))  # type: ignore[arg-type]
    except AssertionError as exc:
        return PlaybackResult(script.name, False, f"expected: {exc}")
    except Exception as exc:
        return PlaybackResult(script.name, False, f"{type(exc).__name__}: {exc}")
    return PlaybackResult(script.name, True)


def default_scenarios_dir() -> Path:
    """The scenario library installed with pushsim, else ``./scenarios``."""
    return scenario_library() or Path("scenarios")


def scenario_choices(folder: Path) -> list[ScenarioChoice]:
    """The scenarios in ``folder`` with their titles; a file that does not load is listed with
    why (playing it fails with that), not left out."""
    try:
        paths = find_scenario_files([folder])
    except ScenarioError:
        return []
    choices = []
    for path in paths:
        try:
            title = load_scenario(path).title
        except ScenarioError as exc:
            title = "⚠ " + str(exc).removeprefix(f"{path}: ")
        choices.append(ScenarioChoice(path, title))
    return choices


class PlaybackMixin(App[int]):
    """Scenario playback for :class:`~simulator.tui.app.PushsimApp`, in a simulation of its own."""

    dashboard: Dashboard
    pace: float
    scenarios_dir: Path
    _labels: Labels
    _state_dir: Path | None

    async def show_simulation(self, sim: Simulation, dashboard: Dashboard) -> None:
        raise NotImplementedError  # PushsimApp

    def init_playback(self) -> None:
        self.ready = asyncio.Event()
        """Set once the live simulation runs and the screen shows it."""
        self.live: Simulation | None = None
        """The simulation the TUI was started for (``pushsim up``'s, or its own)."""
        self.scenario_status = ""
        self.last_playback: PlaybackResult | None = None
        self.playback_started = asyncio.Event()
        """Set when a scenario's simulation is shown and its script starts (cleared when the
        next one is chosen)."""
        self.playback_finished = asyncio.Event()
        """Set when a scenario finished playing (cleared when the next one starts)."""
        self.full_speed_redraw = 1.0
        """Real seconds between redraws while a scenario plays at full speed (pace 0): its
        steps come faster than an eye follows, and each redraw (a repaint of the screen) takes
        the scenario's time."""
        self._played: tuple[Simulation, Any] | None = None
        """The scenario's simulation and the function that stops following it."""
        self._full_speed = False
        """A scenario plays at pace 0 (redraws are spaced out)."""
        self._last_redraw = 0.0
        self._live_dashboard = self.dashboard

    @property
    def playing_in_own_simulation(self) -> bool:
        """Whether a scenario's simulation is on screen instead of the live one."""
        return self._played is not None

    def redraw_due(self) -> bool:
        """Whether the refresh timer should redraw now: always, except while a scenario plays
        at full speed, then once every ``full_speed_redraw`` seconds (and when it ends)."""
        if not self._full_speed:
            return True
        now = asyncio.get_running_loop().time()
        if now - self._last_redraw < self.full_speed_redraw:
            return False
        self._last_redraw = now
        return True

    def action_scenario(self) -> None:
        self.push_screen(ScenarioScreen(scenario_choices(self.scenarios_dir)), self._play_chosen)

    def _play_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.play_scenario(path)

    def play_scenario(self, path: Path) -> Worker[PlaybackResult]:
        """Play the scenario at ``path`` in a fresh simulation, ``pace`` seconds a step."""
        return self.run_worker(self._play(path), group="scenario", exclusive=True)

    async def _play(self, path: Path) -> PlaybackResult:
        self.playback_started.clear()
        self.playback_finished.clear()
        await self._leave_played()
        try:
            script = load_scenario(path)
            sim = Simulation(
                state_dir=self._state_dir or (self.live.state_dir if self.live else None),
                clock=VirtualClock(),
                **script.options,
            )
            await sim.start()
        except (ScenarioError, TypeError) as exc:
            return self._finished(PlaybackResult(path.stem, False, str(exc)))
        except Exception as exc:  # its OPTIONS ask for a port in use, say: the TUI stays up
            return self._finished(PlaybackResult(path.stem, False, f"{type(exc).__name__}: {exc}"))
        dashboard = Dashboard(type(self._labels)(), slide_ticks=self.dashboard.slide_ticks)
        self._played = (sim, follow(sim, dashboard))
        await self.show_simulation(sim, dashboard)
        name = script.name
        self.scenario_status = f"{name} ▶"
        self.notify(f"playing {name} in a simulation of its own")

        def on_step(step: str) -> None:
            self.scenario_status = f"{name} ▶ {step}"

        self._full_speed, self._last_redraw = self.pace == 0, asyncio.get_running_loop().time()
        self.playback_started.set()
        try:
            result = await play(script, sim, pace=self.pace, on_step=on_step)
        finally:
            self._full_speed = False
        return self._finished(result)

    def _finished(self, result: PlaybackResult) -> PlaybackResult:
        self.last_playback = result
        verdict = "PASS" if result.passed else "FAIL"
        self.scenario_status = f"{result.name} {verdict} · b: back to live"
        if result.passed:
            self.notify(f"{result.name}: PASS (b: back to the live simulation)")
        else:
            self.notify(f"{result.name}: FAIL\n{result.error}", severity="error", timeout=10)
        self.playback_finished.set()
        return result

    async def action_back_to_live(self) -> None:
        """Stop showing (and stop) the scenario's simulation; show the live one again."""
        if self._played is None:
            self.notify("already on the live simulation")
            return
        self.workers.cancel_group(self, "scenario")
        await self._leave_played()
        self.notify("back to the live simulation")

    async def _leave_played(self) -> None:
        if self._played is None:
            return
        self.scenario_status = ""
        if self.live is not None:
            await self.show_simulation(self.live, self._live_dashboard)
        await self.stop_playback_simulation()

    async def stop_playback_simulation(self) -> None:
        if self._played is not None:
            (sim, unfollow), self._played = self._played, None
            unfollow()
            await sim.stop()
