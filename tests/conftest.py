from __future__ import annotations

from pathlib import Path

import pytest

from fakeproviders.ca import LocalCA


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state directory per test session (per xdist worker): the CA is made once."""
    return tmp_path_factory.mktemp("pushsim-state")


@pytest.fixture(scope="session")
def ca(state_dir: Path) -> LocalCA:
    """The local CA that every fake's certificate chains to."""
    return LocalCA.load_or_create(state_dir)
