from __future__ import annotations

from pathlib import Path

import pytest

from simulator.backend import SendHook
from simulator.scenarios import find_scenario_files, format_result, load_scenario, run_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("path", find_scenario_files([SCENARIOS]), ids=lambda p: p.stem)
async def test_scenario_passes(path: Path, state_dir: Path):
    """Every scenario in scenarios/ passes, over real sockets, in its own simulation."""
    result = await run_scenario(load_scenario(path), state_dir=state_dir)
    assert result.passed, format_result(result)


async def test_a_scenario_needing_pushsim_sender_is_skipped_with_its_reason(tmp_path, state_dir):
    """Against another backend (a send hook), a scenario declaring NEEDS is reported skipped
    with its reason, and one that asks for the sender's API at run time too."""
    declared = tmp_path / "declared.py"
    declared.write_text(
        'NEEDS = {"pushsim_sender": "it reads the open rate"}\n'
        "async def scenario(sim):\n    raise AssertionError('must not run')\n"
    )
    asks = tmp_path / "asks.py"
    asks.write_text(
        "async def scenario(sim):\n"
        "    await sim.notify('nobody', title='x')\n"
        "    await sim.stats()\n"
    )
    hook = {"send_hook": SendHook(command=["true"])}
    skipped = await run_scenario(load_scenario(declared), state_dir=state_dir, backend=hook)
    assert skipped.skipped is not None and "it reads the open rate" in skipped.skipped
    at_run_time = await run_scenario(load_scenario(asks), state_dir=state_dir, backend=hook)
    assert at_run_time.skipped is not None and "stats()" in at_run_time.skipped
    assert at_run_time.passed
