"""``IdleTimer``: a connection's idle timeout, in real seconds (a socket timeout, not the clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class IdleTimer:
    """Calls ``on_idle`` once ``timeout`` seconds pass without :meth:`touch`; None never fires."""

    def __init__(self, timeout: float | None, on_idle: Callable[[], None]) -> None:
        self._timeout = timeout
        self._on_idle = on_idle
        self._handle: asyncio.TimerHandle | None = None

    def touch(self) -> None:
        """Traffic: start the wait again."""
        if self._timeout is None:
            return
        self.cancel()
        self._handle = asyncio.get_running_loop().call_later(self._timeout, self._fire)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        self._on_idle()
