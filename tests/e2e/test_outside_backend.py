"""A user's own backend (examples/backend.py) wired in through the hooks, without code."""

from __future__ import annotations

import pytest

from simulator.scenarios import load_scenario, run_scenario
from tests.audit.backends import ROOT, backend_options


@pytest.mark.parametrize("name", ["opt_out", "token_expiry"])
async def test_portable_scenarios_pass_against_the_example_backend(state_dir, name):
    """opt_out and token_expiry run through the hooks against examples/backend.py and pass,
    judged from the fakes' logs and the phones (README "Test your own backend")."""
    script = load_scenario(ROOT / "scenarios" / f"{name}.py")
    result = await run_scenario(script, state_dir=state_dir, backend=backend_options())
    assert result.passed and result.skipped is None, result.error
