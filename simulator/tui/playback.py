"""Play a scenario script against the TUI's simulation, slowly enough to watch.

A scenario (``simulator/scenarios.py``) is ``async def scenario(sim)``. Here it gets a
:class:`PacedSimulation`: the same simulation, except that each awaited step (``notify``,
``wait_for``, ``expect``, ``notification``, ``settle``) first pauses ``pace`` real seconds, so the
phones and the timeline can be watched between steps. The scenario files are not changed.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.scenarios import ScenarioError, find_scenario_files, load_scenario
from simulator.simulation import Simulation
from simulator.tui.screens.forms import ScenarioChoice

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
    path: Path, sim: Simulation, *, pace: float, on_step: Callable[[str], None] | None = None
) -> PlaybackResult:
    """Run the scenario at ``path`` against ``sim``; never raises for a failing scenario."""
    try:
        script = load_scenario(path)
    except ScenarioError as exc:
        return PlaybackResult(path.stem, False, str(exc))
    try:
        await script.function(PacedSimulation(sim, pace, on_step))  # type: ignore[arg-type]
    except AssertionError as exc:
        return PlaybackResult(script.name, False, f"expected: {exc}")
    except Exception as exc:
        return PlaybackResult(script.name, False, f"{type(exc).__name__}: {exc}")
    return PlaybackResult(script.name, True)


def default_scenarios_dir() -> Path:
    """The ``scenarios`` package next to pushsim, else ``./scenarios``."""
    spec = importlib.util.find_spec("scenarios")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path("scenarios")


def scenario_choices(folder: Path) -> list[ScenarioChoice]:
    """The scenarios in ``folder`` with their titles (files that do not load are left out)."""
    try:
        paths = find_scenario_files([folder])
    except ScenarioError:
        return []
    choices = []
    for path in paths:
        try:
            choices.append(ScenarioChoice(path, load_scenario(path).title))
        except ScenarioError:
            continue
    return choices
