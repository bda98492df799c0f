from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_postgresql.executors.proc import PostgreSQLExecutor

from fakeproviders.ca import LocalCA
from tests.postgres import fresh_database, running_server


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state directory per test session (per xdist worker): the CA is made once."""
    return tmp_path_factory.mktemp("pushsim-state")


@pytest.fixture(scope="session")
def ca(state_dir: Path) -> LocalCA:
    """The local CA that every fake's certificate chains to."""
    return LocalCA.load_or_create(state_dir)


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgreSQLExecutor]:
    """One real PostgreSQL server per test session (see tests/postgres.py)."""
    with running_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgresql_server: PostgreSQLExecutor) -> Iterator[str]:
    """The URL of a fresh, empty database, dropped after the test."""
    with fresh_database(postgresql_server) as url:
        yield url
