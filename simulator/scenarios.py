"""Scenario scripts: find them, run each in its own simulation, and report.

A scenario is a Python file with a docstring (its story, the first line its title) and
``async def scenario(sim)``, which drives a started :class:`~simulator.simulation.Simulation`
and asserts what must have happened. It fails when it raises. An optional module-level
``OPTIONS`` dict is passed to ``Simulation(...)`` (e.g. ``{"apns_options": ApnsOptions(...)}``).

Scenarios are portable: the same script runs against pushsim's sender or against a user's backend
wired in through hooks (``pushsim run --config FILE``). A scenario that needs what only pushsim's
sender offers declares it, ``NEEDS = {"pushsim_sender": "why"}``, and is reported skipped, with
that reason, when notifications go to another backend (also when it asks for the sender's API
at run time: :class:`~simulator.simulation.NeedsPushsimSender`).
"""

from __future__ import annotations

import importlib.util
import inspect
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from simulator.simulation import NeedsPushsimSender, Simulation
from simulator.timeline import Entry

ScenarioFunction = Callable[[Simulation], Awaitable[None]]


class ScenarioError(Exception):
    """A path that is not a scenario, or a scenario file that cannot be loaded."""


@dataclass(frozen=True)
class ScenarioScript:
    path: Path
    title: str
    function: ScenarioFunction
    options: dict[str, Any] = field(default_factory=dict)
    needs: dict[str, str] = field(default_factory=dict)
    """What the scenario needs that an outside backend may lack → why (``NEEDS``)."""

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass
class ScenarioResult:
    script: ScenarioScript
    passed: bool
    wall_seconds: float
    virtual_seconds: float
    timeline: str
    error: str | None = None
    events: list[Entry] = field(default_factory=list)
    skipped: str | None = None
    """Why it did not run against this backend (then ``passed`` is true: nothing failed)."""


def scenario_library() -> Path | None:
    """The scenario library installed with pushsim (the ``scenarios`` package's folder)."""
    spec = importlib.util.find_spec("scenarios")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_scenario_files(paths: Iterable[Path | str]) -> list[Path]:
    """Scenario files named by ``paths``: files as given, folders searched for ``*.py``."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.py")) if not p.name.startswith("_"))
        elif path.is_file():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    if not found:
        raise ScenarioError("no scenario files in " + ", ".join(str(p) for p in paths))
    return found


def load_scenario(path: Path) -> ScenarioScript:
    """Import a scenario file (as its own module, outside ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(f"pushsim_scenario_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ScenarioError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ScenarioError(f"{path}: cannot be loaded: {type(exc).__name__}: {exc}") from exc
    function = getattr(module, "scenario", None)
    if not inspect.iscoroutinefunction(function):
        raise ScenarioError(f"{path}: defines no `async def scenario(sim)`")
    options = getattr(module, "OPTIONS", {})
    if not isinstance(options, dict):
        raise ScenarioError(f"{path}: OPTIONS must be a dict of Simulation arguments")
    needs = getattr(module, "NEEDS", {})
    if not isinstance(needs, dict) or not set(needs) <= set(CAPABILITIES):
        raise ScenarioError(f"{path}: NEEDS must map {', '.join(CAPABILITIES)} to a reason")
    return ScenarioScript(
        path=path, title=_title(module, path), function=function, options=options, needs=needs
    )


#: What a scenario may need that an outside backend may lack.
CAPABILITIES = {"pushsim_sender": "pushsim's sender (notifications go to another backend)"}


async def run_scenario(
    script: ScenarioScript,
    *,
    state_dir: Path | None = None,
    backend: dict[str, Any] | None = None,
) -> ScenarioResult:
    """Run one scenario in a fresh simulation; never raises for a failing scenario.

    ``backend`` are ``Simulation`` arguments that wire in a user's backend (``webhooks``,
    ``send_hook``, ``backend``…, e.g. ``UpConfig.simulation_options()``); the scenario's own
    ``OPTIONS`` win over them.
    """
    options = {**(backend or {}), **script.options}
    if options.get("send_hook") is not None and "pushsim_sender" in script.needs:
        reason = f"needs {CAPABILITIES['pushsim_sender']}: {script.needs['pushsim_sender']}"
        return ScenarioResult(script, True, 0.0, 0.0, "", skipped=reason)
    started = time.perf_counter()
    error: str | None = None
    skipped: str | None = None
    try:
        simulation = Simulation(state_dir=state_dir, **options)
    except TypeError as exc:
        raise ScenarioError(f"{script.path}: bad OPTIONS: {exc}") from None
    async with simulation as sim:
        virtual_start = sim.clock.now()
        try:
            await script.function(sim)
        except NeedsPushsimSender as exc:
            skipped = f"needs {CAPABILITIES['pushsim_sender']}: {exc}"
        except AssertionError as exc:
            error = f"expected: {exc}" if str(exc) else _last_frame(exc)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}\n{_last_frame(exc)}"
        virtual = sim.clock.now() - virtual_start
        events = sim.timeline.entries()
        timeline = sim.timeline.format(origin=virtual_start)
    return ScenarioResult(
        script=script,
        passed=error is None,
        wall_seconds=time.perf_counter() - started,
        virtual_seconds=virtual,
        timeline=timeline,
        error=error,
        events=events,
        skipped=skipped,
    )


def format_result(result: ScenarioResult, *, show_timeline: bool = True) -> str:
    """The report for one scenario: its title, timeline and verdict."""
    lines = [f"== {result.script.path}: {result.script.title}"]
    if result.skipped:
        return "\n".join([*lines, f"SKIP {result.script.name}: {result.skipped}"])
    if show_timeline:
        lines.append(result.timeline)
    verdict = "PASS" if result.passed else "FAIL"
    lines.append(
        f"{verdict} {result.script.name} "
        f"({result.wall_seconds:.2f} s wall, {_virtual(result.virtual_seconds)} virtual)"
    )
    if result.error:
        lines.append("   " + result.error.replace("\n", "\n   "))
    return "\n".join(lines)


def _title(module: ModuleType, path: Path) -> str:
    doc = inspect.getdoc(module)
    return doc.splitlines()[0].strip() if doc else path.stem


def _last_frame(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return repr(exc)
    frame = frames[-1]
    return f"at {frame.filename}:{frame.lineno}: {frame.line or ''}".rstrip()


def _virtual(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days}d {hours:02}:{minutes:02}:{secs:02}"
