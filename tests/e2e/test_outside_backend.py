"""A user's own backend (examples/backend.py) wired in through the hooks, without code."""

from __future__ import annotations

import socket
import sys
import tomllib
from pathlib import Path

import pytest

from simulator import DEFAULT_APP_ID, Simulation
from simulator.config import parse_config
from simulator.scenarios import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]
HOUR = 3600.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def example_backend_options() -> dict:
    """examples/backend.toml (the README's), on a free port and this interpreter."""
    text = (ROOT / "examples" / "backend.toml").read_text()
    text = text.replace("8765", str(free_port())).replace('"python ', f'"{sys.executable} ')
    raw = tomllib.loads(text)
    raw["backend"]["cwd"] = str(ROOT)
    return parse_config(raw, source="examples/backend.toml").simulation_options()


@pytest.fixture
async def outside(state_dir) -> Simulation:
    async with Simulation(state_dir=state_dir, **example_backend_options()) as sim:
        yield sim


@pytest.mark.parametrize("name", ["opt_out", "token_expiry"])
async def test_portable_scenarios_pass_against_the_example_backend(state_dir, name):
    """opt_out and token_expiry run through the hooks against examples/backend.py and pass,
    judged from the fakes' logs and the phones (README "Test your own backend")."""
    script = load_scenario(ROOT / "scenarios" / f"{name}.py")
    result = await run_scenario(script, state_dir=state_dir, backend=example_backend_options())
    assert result.passed and result.skipped is None, result.error


async def test_advancing_the_clock_by_days_never_fails_the_outside_backend(outside: Simulation):
    """The backend signs with real time: after advances of days (past JWT and OAuth lifetimes)
    every notification is still shown on both platforms (docs/time.md)."""
    phones = [outside.add_iphone(), outside.add_android()]
    for phone in phones:
        phone.install(DEFAULT_APP_ID, user_id="bob", answer="allow")
    for day in range(3):
        outside.advance(26 * HOUR)
        notification_id = await outside.notify("bob", title=f"day {day}")
        for phone in phones:
            await outside.expect(
                "NotificationDisplayed",
                phone=phone.phone_id,
                notification=notification_id,
                timeout=15,
            )
