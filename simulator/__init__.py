"""Composition: the simulation, its clock and timeline, scenarios, the pytest plugin and the CLI.

The public API scenario scripts and tests use (scenarios import nothing else of pushsim)::

    from simulator import Simulation, VirtualClock, Timeline, ApnsOptions, FcmOptions, UserBehaviour

Names are imported on first use, so that loading the pytest plugin (which lives in this package)
does not start importing servers in every test run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devices.app_server import WebhookTemplate
    from devices.behaviour import Delay, UserBehaviour
    from devices.wallet import WalletRetry
    from fakeproviders.apns import ApnsOptions
    from fakeproviders.fcm import FcmOptions
    from fakeproviders.gwallet import WalletOptions
    from sender import WalletApiError
    from simulator.backend import BackendCommand, SendHook
    from simulator.clock import Clock, SystemClock, VirtualClock
    from simulator.simulation import DEFAULT_APP_ID, Simulation, SimulationError
    from simulator.timeline import Timeline

_EXPORTS = {
    "ApnsOptions": "fakeproviders.apns",
    "WalletOptions": "fakeproviders.gwallet",
    "WalletRetry": "devices.wallet",
    "WalletApiError": "sender",
    "FcmOptions": "fakeproviders.fcm",
    "UserBehaviour": "devices.behaviour",
    "Delay": "devices.behaviour",
    "WebhookTemplate": "devices.app_server",
    "SendHook": "simulator.backend",
    "BackendCommand": "simulator.backend",
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
    "ApnsOptions",
    "BackendCommand",
    "Clock",
    "Delay",
    "FcmOptions",
    "SendHook",
    "Simulation",
    "SimulationError",
    "SystemClock",
    "Timeline",
    "UserBehaviour",
    "VirtualClock",
    "WalletApiError",
    "WalletOptions",
    "WalletRetry",
    "WebhookTemplate",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
