"""Composition: the simulation, its clock and timeline, scenarios, the pytest plugin and the CLI.

The public API scenario scripts and tests use::

    from simulator import Simulation, VirtualClock, Timeline

Names are imported on first use, so that loading the pytest plugin (which lives in this package)
does not start importing servers in every test run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.clock import Clock, SystemClock, VirtualClock
    from simulator.simulation import DEFAULT_APP_ID, Simulation, SimulationError
    from simulator.timeline import Timeline

_EXPORTS = {
    "Clock": "simulator.clock",
    "SystemClock": "simulator.clock",
    "VirtualClock": "simulator.clock",
    "DEFAULT_APP_ID": "simulator.simulation",
    "Simulation": "simulator.simulation",
    "SimulationError": "simulator.simulation",
    "Timeline": "simulator.timeline",
}

__all__ = [
    "DEFAULT_APP_ID",
    "Clock",
    "Simulation",
    "SimulationError",
    "SystemClock",
    "Timeline",
    "VirtualClock",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
