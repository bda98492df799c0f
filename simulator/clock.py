"""Time for the whole simulation (DESIGN.md, principle 2).

Every component reads one injected clock. The ``VirtualClock`` runs at real speed, so real network
round-trips take real time, and it can be pushed forward with ``advance()`` so that a scenario covers
270 days of token staleness or an hour of JWT age in milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the UNIX epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once ``seconds`` have passed on this clock."""
        ...


class SystemClock:
    """The machine's own time."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class VirtualClock:
    """Real-speed time that can jump forward, never back.

    ``now()`` is the start time plus the real time elapsed plus every ``advance()``. Sleepers wake
    when their deadline passes, whether real time or an ``advance()`` got them there.
    """

    def __init__(self, start: float | None = None) -> None:
        self._origin = time.time() if start is None else float(start)
        self._started = time.monotonic()
        self._offset = 0.0
        self._advanced = asyncio.Event()

    def now(self) -> float:
        return self._origin + (time.monotonic() - self._started) + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (≥ 0) and wake sleepers that are now due."""
        if seconds < 0:
            raise ValueError(f"the clock never goes backwards (advance({seconds}))")
        self._offset += seconds
        # Wake every sleeper; each re-checks its own deadline against the new time.
        self._advanced.set()
        self._advanced = asyncio.Event()
        return self.now()

    async def sleep(self, seconds: float) -> None:
        deadline = self.now() + max(0.0, seconds)
        while (remaining := deadline - self.now()) > 0:
            advanced = self._advanced
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(advanced.wait(), timeout=remaining)
