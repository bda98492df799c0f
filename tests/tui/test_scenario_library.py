"""The whole scenario library plays from the TUI, the way ``p`` plays a scenario, and passes."""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation
from simulator.scenarios import find_scenario_files
from simulator.tui.playback import scenario_choices
from tests.tui.conftest import tui


async def test_every_library_scenario_plays_from_the_tui_and_passes(sim: Simulation) -> None:
    """Each scenario of the library, played one after the other in the app (what choosing it
    in the picker does), passes, over a live fleet of the same users whose clock and faults
    stay as they were. The picker offers every file of the library: none is left out."""
    for user in ("alice", "bob"):
        sim.add_iphone(f"{user}-iphone").install(DEFAULT_APP_ID, user_id=user, answer="allow")
    clock = sim.clock.now()
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
        assert sim.clock.now() - clock < 60 and sim.apns.faults.active() == []
        assert sim.fcm.faults.active() == []
