"""Scenario playback in the TUI: the whole library plays, the way ``p`` plays a scenario, and
passes; at full speed the screen is not repainted at every step."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from simulator import DEFAULT_APP_ID, Simulation
from simulator.scenarios import find_scenario_files
from simulator.tui.playback import scenario_choices
from simulator.tui.widgets.fleet import Fleet
from tests.tui.conftest import tui


async def test_every_library_scenario_plays_from_the_tui_and_passes(sim: Simulation) -> None:
    """Each scenario of the library, played one after the other in the app (what choosing it
    in the picker does), passes, over a live fleet of the same users whose clock and faults
    stay as they were. The picker offers every file of the library: none is left out."""
    for user in ("alice", "bob"):
        sim.add_iphone(f"{user}-iphone").install(DEFAULT_APP_ID, user_id=user, answer="allow")
    clock, began = sim.clock.now(), time.monotonic()
    async with tui(sim) as (app, _):
        files = find_scenario_files([app.scenarios_dir])
        offered = [choice.path for choice in scenario_choices(app.scenarios_dir)]
        assert offered == files and len(files) >= 20
        outcomes = {}
        for path in files:
            result = await app.play_scenario(path).wait()
            outcomes[result.name] = result.error
        assert outcomes == {path.stem: None for path in files}
        assert app.last_playback is not None and app.last_playback.passed
        # The live clock moved with real time only, not by the scenarios' months.
        assert sim.clock.now() - clock < time.monotonic() - began + 60
        assert sim.apns.faults.active() == []
        assert sim.fcm.faults.active() == []


def test_the_picker_lists_a_scenario_file_that_does_not_load_with_why(tmp_path: Path) -> None:
    """A file of the folder that is no scenario is offered with the reason, not hidden."""
    (tmp_path / "good.py").write_text('"""Good: it loads."""\nasync def scenario(sim):\n    pass\n')
    (tmp_path / "broken.py").write_text("VALUE = 1\n")
    choices = [(choice.path.name, choice.title) for choice in scenario_choices(tmp_path)]
    assert choices == [
        ("broken.py", "⚠ defines no `async def scenario(sim)`"),
        ("good.py", "Good: it loads."),
    ]


async def test_at_full_speed_the_screen_waits_for_the_scenario(
    sim: Simulation, tmp_path: Path
) -> None:
    """While a scenario plays at pace 0 the refresh does not redraw more often than
    ``full_speed_redraw`` seconds; once it ends, the next refresh shows where it got to."""
    script = tmp_path / "waits.py"
    script.write_text(
        '"""Adds a phone, then waits for it to go offline."""\n'
        "async def scenario(sim):\n"
        "    sim.add_iphone('watched')\n"
        "    await sim.wait_for('PhoneWentOffline', timeout=30)\n"
    )
    async with tui(sim) as (app, _):
        app.full_speed_redraw = 60.0
        app.play_scenario(script)
        await asyncio.wait_for(app.playback_started.wait(), 10)
        fleet = app.main_screen.query_one(Fleet)
        await app.flush()
        assert [p.phone_id for p in app.sim.phones] == ["watched"] and fleet.phones == []
        app.sim.phones[0].go_offline()
        await asyncio.wait_for(app.playback_finished.wait(), 10)
        await app.flush()
        assert [p.phone_id for p in fleet.phones] == ["watched"]


async def test_a_scenario_whose_simulation_cannot_start_fails_and_the_tui_stays(
    sim: Simulation, tmp_path: Path
) -> None:
    """A scenario whose OPTIONS ask for a port already in use ends in FAIL with the reason; the
    app keeps running and shows the live simulation."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        script = tmp_path / "busy_port.py"
        script.write_text(
            '"""Asks for a port that is taken."""\n'
            "from simulator.network import Ports\n"
            f"OPTIONS = {{'ports': Ports(apns={port})}}\n"
            "async def scenario(sim):\n"
            "    pass\n"
        )
        async with tui(sim) as (app, _):
            result = await app.play_scenario(script).wait()
            assert not result.passed and result.error is not None
            assert result.error.startswith("OSError") and str(port) in result.error
            assert app.is_running and app.sim is sim and not app.playing_in_own_simulation
