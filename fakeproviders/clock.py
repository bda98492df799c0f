"""The time source the fakes read. Any object with ``now()`` fits (the simulator's clocks do)."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the UNIX epoch."""
        ...


class WallClock:
    """The real time, for a fake run on its own."""

    def now(self) -> float:
        return time.time()
