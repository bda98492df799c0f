"""The catalogue of event kinds the timeline can hold, for documents and for checking names.

The kinds are the event classes of the three packages (devices, fake providers, sender), found by
walking their base classes, so a new event is listed as soon as it is defined in a module the
simulation uses (importing :mod:`simulator.simulation` loads them all), and the simulator's own
(an app that could not reach its server).
"""

from __future__ import annotations

import simulator.simulation  # noqa: F401  (loads every module whose events a simulation records)
from devices.events import DeviceEvent
from fakeproviders.events import ProviderEvent
from sender.events import SenderEvent
from simulator.app_link import AppServerCallFailed


def event_kinds() -> dict[str, str]:
    """``{kind: the first line of its docstring}``, every kind the timeline may record, by name."""
    kinds: dict[str, str] = {}
    pending: list[type] = [DeviceEvent, ProviderEvent, SenderEvent]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls not in (DeviceEvent, ProviderEvent, SenderEvent):
            kinds[cls.__name__] = _summary(cls)
    kinds[AppServerCallFailed.__name__] = _summary(AppServerCallFailed)
    return dict(sorted(kinds.items()))


def _summary(cls: type) -> str:
    # A dataclass without a docstring gets its signature as one: that says nothing to a reader.
    lines = (cls.__doc__ or "").strip().splitlines()
    return "" if not lines or lines[0].startswith(f"{cls.__name__}(") else lines[0]
