"""Entry points for the CLI: ``pushsim tui`` and ``pushsim up`` with its terminal UI."""

from __future__ import annotations

import asyncio
import signal
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


async def serve_web_for(
    sim: Simulation,
    *,
    port: int,
    stop: asyncio.Event,
    extra: dict[str, Any] | None = None,
) -> None:
    """Serve the UI over ``sim`` as a web page on ``127.0.0.1:port`` until ``stop`` is set; each
    browser tab gets its own view of the same simulation."""
    from simulator.tui.web import serve_web

    await serve_web(
        lambda: PushsimApp(sim, endpoints=extra),
        port=port,
        stop=stop,
        on_ready=lambda url: print(f"pushsim web UI: {url}", flush=True),
    )


def run_web_tui(*, state_dir: Path | None = None, port: int = 0) -> int:
    """``pushsim tui --web``: a simulation with the demo fleet, its UI served as a web page until
    Ctrl-C or SIGTERM."""

    async def main() -> None:
        from simulator.up import add_demo_fleet

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with Simulation(state_dir=state_dir) as sim:
            await add_demo_fleet(sim, sim.app_ids[0])
            await serve_web_for(sim, port=port, stop=stop)

    asyncio.run(main())
    print("pushsim stopped.")
    return 0
