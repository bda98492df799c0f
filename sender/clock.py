"""The sender's time source: one injected ``Clock`` for JWT ages, OAuth assertions and backoff."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """What the sender needs from time. The simulator's clocks satisfy it."""

    def now(self) -> float:
        """Seconds since the UNIX epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock (a virtual clock may wake earlier in real time)."""
        ...


class SystemClock:
    """The real time, for a sender talking to Apple and Google."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
