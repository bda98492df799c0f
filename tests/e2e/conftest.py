"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from simulator import Simulation
from simulator.control import create_control_app


@pytest.fixture
async def control(pushsim: Simulation) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the control API over the test's (running) simulation."""
    transport = httpx.ASGITransport(app=create_control_app(pushsim))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", timeout=10
    ) as client:
        yield client
