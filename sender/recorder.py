"""Write-behind for delivery outcomes: many small results, one SQLite transaction per batch.

A campaign to 10,000 devices yields 10,000 outcomes in a few seconds; committing each one would
hold the event loop for most of that time. The recorder buffers them and writes a batch when it
is full or ``delay`` seconds after its first entry, whichever comes first. What is buffered when
the process dies is sent again after a restart (at least once): the buffer size bounds the
duplicates, together with the pushes in flight.
"""

from __future__ import annotations

import asyncio
import logging

from .models import Delivery
from .stores import Store

log = logging.getLogger(__name__)


class DeliveryRecorder:
    """Buffers ``Delivery`` records for ``store``; ``flush()`` writes them now."""

    def __init__(self, store: Store, *, batch: int = 500, delay: float = 0.05) -> None:
        self._store = store
        self.batch = batch
        self.delay = delay
        self._buffer: list[Delivery] = []
        self._timer: asyncio.TimerHandle | None = None
        self.batches = 0

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def add(self, delivery: Delivery) -> None:
        self._buffer.append(delivery)
        if len(self._buffer) >= self.batch:
            self.flush()
        elif self._timer is None:
            # Real time, not the injected clock: this paces disk writes, not protocol logic.
            self._timer = asyncio.get_running_loop().call_later(self.delay, self.flush)

    def flush(self) -> None:
        """Write every buffered record in one transaction."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        buffer, self._buffer = self._buffer, []
        if not buffer:
            return
        try:
            self._store.add_deliveries(buffer)
        except Exception:
            # Keep them for the next flush rather than lose them.
            log.exception("could not save %d delivery outcomes", len(buffer))
            self._buffer = buffer + self._buffer
            raise
        self.batches += 1
