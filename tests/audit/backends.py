"""Wiring test backends into a simulation the way a user would: the TOML of examples/backend.toml
with another command, on a free port."""

from __future__ import annotations

import socket
import sys
import tomllib
from pathlib import Path
from typing import Any

from simulator.config import parse_config

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def backend_options(script: str = "examples/backend.py") -> dict[str, Any]:
    """Simulation options that start ``script`` (run by this interpreter) as the backend, with
    examples/backend.toml's hooks, on a free port."""
    text = (ROOT / "examples" / "backend.toml").read_text()
    text = text.replace("8765", str(free_port()))
    text = text.replace('"python examples/backend.py', f'"{sys.executable} {script}')
    raw = tomllib.loads(text)
    raw["backend"]["cwd"] = str(ROOT)
    return parse_config(raw, source="examples/backend.toml").simulation_options()
