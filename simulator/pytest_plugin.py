"""The pytest plugin (entry point ``pytest11``): a ``pushsim`` fixture with a running simulation.

    async def test_welcome_push(pushsim):
        phone = pushsim.add_iphone()
        phone.install("com.example.app", user_id="alice")
        nid = await pushsim.notify("alice", title="Welcome")
        await pushsim.wait_for("NotificationDisplayed", notification=nid)

Factory fixtures make phones with apps (``pushsim_phone``) and install apps (``pushsim_app``);
``await pushsim.expect(kind, ...)`` fails with the relevant timeline in its message.

Each test gets its own simulation on its own ephemeral ports; the CA and keys are made once per
session (per xdist worker) in a temporary state directory, or in ``--pushsim-state-dir``. The
fixture is async, so the test suite needs pytest-asyncio (``asyncio_mode = "auto"``).

``--pushsim-config FILE`` (or the ini option ``pushsim_config``) is the ``pushsim up --config``
TOML: its apps, ids and hooks apply to every ``pushsim`` fixture, so the same tests run against
your own backend (its ``[backend]`` is started for each test).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from devices.apps import InstalledApp
    from devices.phone import Phone
    from simulator.simulation import Simulation


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--pushsim-state-dir",
        default=None,
        help="state directory (local CA, keys) for the pushsim fixture; default: a temporary one",
    )
    parser.addoption(
        "--pushsim-config",
        default=None,
        help="a `pushsim up --config` TOML file (apps, ids, hooks to your backend) for the "
        "pushsim fixture",
    )
    parser.addini("pushsim_config", "like --pushsim-config", default=None)


@pytest.fixture(scope="session")
def pushsim_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """``Simulation(...)`` arguments from ``--pushsim-config`` (empty without one)."""
    path = request.config.getoption("--pushsim-config") or request.config.getini("pushsim_config")
    if not path:
        return {}
    from simulator.config import ConfigError, load_config

    try:
        return load_config(path).simulation_options()
    except ConfigError as exc:
        raise pytest.UsageError(f"--pushsim-config: {exc}") from None


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
        pushsim_state_dir: Path, pushsim_options: dict[str, Any]
    ) -> AsyncIterator[Simulation]:
        """A started :class:`~simulator.Simulation`, stopped after the test."""
        # Imported here so that loading the plugin costs nothing in test runs that don't use it.
        from simulator.simulation import Simulation

        async with Simulation(state_dir=pushsim_state_dir, **pushsim_options) as sim:
            yield sim


@pytest.fixture
def pushsim_phone(pushsim: Simulation) -> Callable[..., Phone]:
    """A factory of phones with apps installed::

    phone = pushsim_phone("android", user_id="alice")          # the demo app, allowed
    denied = pushsim_phone("ios", user_id="bob", answer="deny")
    bare = pushsim_phone("ios", apps=())                        # nothing installed
    calls = pushsim_phone("ios", capabilities=["voip", "liveactivity"], build="production")

    ``capabilities`` and ``build`` (iOS only) go to every app it installs.
    """
    from simulator.simulation import DEFAULT_APP_ID

    users = itertools.count(1)

    def make(
        platform: str = "ios",
        *,
        user_id: str | None = None,
        apps: Sequence[str] = (DEFAULT_APP_ID,),
        answer: str = "allow",
        phone_id: str | None = None,
        api_level: int = 34,
        **ios: Any,
    ) -> Phone:
        if platform == "ios":
            phone: Phone = pushsim.add_iphone(phone_id)
        elif platform == "android":
            phone = pushsim.add_android(phone_id, api_level=api_level)
        else:
            raise ValueError(f"platform must be 'ios' or 'android', not {platform!r}")
        owner = user_id or f"user-{next(users)}"
        for app_id in apps:
            phone.install(app_id, user_id=owner, answer=answer, **ios)
        return phone

    return make


@pytest.fixture
def pushsim_app(pushsim: Simulation) -> Callable[..., InstalledApp]:
    """A factory that installs an app on a phone: ``pushsim_app(phone, "com.x", user_id="a")``;
    on an iPhone also ``capabilities=["voip", "liveactivity", "pushtotalk", "location"]`` and
    ``build="production"``."""

    def install(
        phone: Phone,
        app_id: str | None = None,
        *,
        user_id: str = "user",
        answer: str = "allow",
        **ios: Any,
    ) -> InstalledApp:
        from simulator.simulation import DEFAULT_APP_ID

        return phone.install(app_id or DEFAULT_APP_ID, user_id=user_id, answer=answer, **ios)

    return install
