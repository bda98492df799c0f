"""A user's own backend (examples/backend.py) wired in through the hooks, without code."""

from __future__ import annotations

import socket
import sys
import tomllib
from pathlib import Path

import pytest

from simulator import DEFAULT_APP_ID, Simulation
from simulator.config import parse_config

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
async def outside(pushsim_state_dir) -> Simulation:
    async with Simulation(state_dir=pushsim_state_dir, **example_backend_options()) as sim:
        yield sim


async def test_notify_goes_through_the_send_hook_to_both_platforms(outside: Simulation):
    """sim.notify asks the backend; its pushes reach both phones, correlated by the id."""
    phones = [outside.add_iphone(), outside.add_android()]
    for phone in phones:
        phone.install(DEFAULT_APP_ID, user_id="alice", answer="allow")
    notification_id = await outside.notify("alice", title="Hi", body="from your backend")
    for phone in phones:
        shown = await outside.expect(
            "NotificationDisplayed", phone=phone.phone_id, notification=notification_id
        )
        assert shown.title == "Hi"
    assert not outside.uses_pushsim_sender


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
                "NotificationDisplayed", phone=phone.phone_id, notification=notification_id
            )
