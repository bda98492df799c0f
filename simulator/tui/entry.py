"""Entry points for the CLI: ``pushsim tui`` and ``pushsim up`` with its terminal UI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.simulation import Simulation
from simulator.tui.app import PushsimApp


def run_tui(
    *,
    state_dir: Path | None = None,
    scenario: Path | None = None,
    demo: bool | None = None,
    pace: float = 0.8,
) -> int:
    """Run the TUI over its own simulation until the user quits; returns the exit status.

    Args:
        state_dir: Where keys and the local CA are kept (default: the usual state directory).
        scenario: A scenario script to play at watchable speed once everything runs.
        demo: Start with the demo fleet (default: yes, unless a scenario is played).
        pace: Real seconds between the scenario's steps.
    """
    app = PushsimApp(
        state_dir=state_dir,
        scenario=scenario,
        demo=scenario is None if demo is None else demo,
        pace=pace,
    )
    app.run()
    return app.return_code or 0


async def run_tui_for(
    sim: Simulation,
    *,
    extra: dict[str, Any] | None = None,
    scenario: Path | None = None,
    pace: float = 0.8,
) -> int:
    """Show an already running simulation until the user quits (it is not stopped).

    Args:
        sim: The running simulation (``pushsim up``'s).
        extra: Shown on the help screen, e.g. the endpoints ``pushsim up`` wrote.
        scenario: A scenario script to play at watchable speed.
        pace: Real seconds between the scenario's steps.
    """
    app = PushsimApp(sim, endpoints=extra, scenario=scenario, pace=pace)
    await app.run_async()
    return app.return_code or 0
