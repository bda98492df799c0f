"""The pytest plugin (entry point ``pytest11``): a ``pushsim`` fixture with a running simulation.

    async def test_welcome_push(pushsim):
        phone = pushsim.add_iphone()
        phone.install("com.example.app", user_id="alice")
        nid = await pushsim.notify("alice", title="Welcome")
        await pushsim.wait_for("NotificationDisplayed", notification=nid)

Each test gets its own simulation on its own ephemeral ports; the CA and keys are made once per
session (per xdist worker) in a temporary state directory, or in ``--pushsim-state-dir``. The
fixture is async, so the test suite needs pytest-asyncio (``asyncio_mode = "auto"``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from simulator.simulation import Simulation


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--pushsim-state-dir",
        default=None,
        help="state directory (local CA, keys) for the pushsim fixture; default: a temporary one",
    )


@pytest.fixture(scope="session")
def pushsim_state_dir(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Where the simulations of this session keep their CA and keys."""
    configured = request.config.getoption("--pushsim-state-dir")
    return Path(configured) if configured else tmp_path_factory.mktemp("pushsim")


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - only without pytest-asyncio

    @pytest.fixture
    def pushsim() -> None:
        pytest.fail(
            "the pushsim fixture is async: install pytest-asyncio (pip install pytest-asyncio)"
        )

else:

    @pytest_asyncio.fixture
    async def pushsim(  # type: ignore[misc]  # one of two definitions, never both
        pushsim_state_dir: Path,
    ) -> AsyncIterator[Simulation]:
        """A started :class:`~simulator.Simulation`, stopped after the test."""
        # Imported here so that loading the plugin costs nothing in test runs that don't use it.
        from simulator.simulation import Simulation

        async with Simulation(state_dir=pushsim_state_dir) as sim:
            yield sim
