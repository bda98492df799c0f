"""Fixtures for the TUI tests: a running simulation and the app shown over it, under Pilot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from simulator import Simulation
from simulator.tui.app import PushsimApp
from simulator.tui.labels import StableLabels
from simulator.tui.widgets.fleet import Fleet
from simulator.tui.widgets.phone_card import PhoneCard

#: Terminal size for Pilot tests and snapshots (columns, rows).
SIZE = (150, 45)


@pytest.fixture
async def sim(state_dir: Path) -> AsyncIterator[Simulation]:
    """A running simulation with no phones."""
    async with Simulation(state_dir=state_dir) as simulation:
        yield simulation


@asynccontextmanager
async def tui(sim: Simulation, **options: Any) -> AsyncIterator[tuple[PushsimApp, Pilot[int]]]:
    """The app over ``sim``, headless, once it shows the simulation (no animations, no pacing)."""
    # The refresh timer is slowed down: tests redraw when they want to (settle).
    app = PushsimApp(sim, labels=StableLabels(), pace=0, refresh=5.0, **options)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.ready.wait(), 10)
        yield app, pilot


async def settle(app: PushsimApp, pilot: Pilot[int]) -> None:
    """Let pending messages run and redraw from the dashboard, as the refresh timer would."""
    await pilot.pause()
    await app.flush()
    await pilot.pause()


def card_of(app: PushsimApp, phone_id: str) -> PhoneCard:
    """The card showing ``phone_id`` (cards have no ids: the phones pane re-points them)."""
    card = app.main_screen.query_one(Fleet).card(phone_id)
    assert card is not None, f"no card shows {phone_id}"
    return card
