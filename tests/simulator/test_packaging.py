"""What a plain install (``pip install pushsim``, no extras) brings: the files and libraries the
README promises work there."""

from __future__ import annotations

import tomllib
from pathlib import Path

from simulator.up import NODE_H2_PRELOAD

PYPROJECT = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())


def _main_dependencies() -> set[str]:
    return {
        requirement.split(">")[0].split("[")[0].strip()
        for requirement in PYPROJECT["project"]["dependencies"]
    }


def test_the_main_install_can_serve_websockets():
    """uvicorn serves /timeline/stream only with a WebSocket library: one is a main dependency."""
    assert _main_dependencies() & {"websockets", "wsproto"}


def test_the_node_http2_preload_is_package_data():
    """The HTTP/2 preload `pushsim env` points at is inside the package and listed as its data."""
    assert NODE_H2_PRELOAD.is_file()
    relative = NODE_H2_PRELOAD.relative_to(Path(__file__).parents[2] / "simulator")
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["simulator"]
    assert any(relative.match(pattern) for pattern in patterns)
