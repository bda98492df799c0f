from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenarios import find_scenario_files, format_result, load_scenario, run_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("path", find_scenario_files([SCENARIOS]), ids=lambda p: p.stem)
async def test_scenario_passes(path: Path, state_dir: Path):
    """Every scenario in scenarios/ passes, over real sockets, in its own simulation."""
    result = await run_scenario(load_scenario(path), state_dir=state_dir)
    assert result.passed, format_result(result)
