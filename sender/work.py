"""Sending shared between sender instances: claim work from the store, send it, finish it.

One claim loop per instance asks the store for an unfinished batch (or, when there is none, for a
queued notification whose audience it then splits into batches) and sends each batch it holds
concurrently. It holds at most ``max_in_flight`` pushes at a time, so the instances that share a
database share a campaign, and a killed instance can only have that many pushes in flight (sent,
but not yet recorded): those, and only those, may go out twice when another instance takes its
batches over after the lease. A heartbeat renews the leases of what this instance holds.

Leases and the polling for work run on real time, not on the injected clock: they pace
cooperation between processes, not protocol rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable

from .delivery import Deliverer, target_of
from .models import Batch, Device, Notification, NotificationRequest
from .recorder import DeliveryRecorder
from .stores import Store

log = logging.getLogger(__name__)


def default_instance_name() -> str:
    """``host-pid-random``: unique per process, and says where a claim's owner ran."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class WorkLoop:
    """Claims and sends work for one sender instance; ``on_done(id)`` when it finishes one."""

    def __init__(
        self,
        store: Store,
        deliverer: Deliverer,
        recorder: DeliveryRecorder,
        audience: Callable[[NotificationRequest], list[Device]],
        on_done: Callable[[str], None],
        *,
        instance: str | None,
        lease: float,
        poll_interval: float,
        batch_size: int,
        max_in_flight: int,
    ) -> None:
        self.store = store
        self.instance = instance or default_instance_name()
        self._deliver = deliverer
        self._recorder = recorder
        self._audience = audience
        self._on_done = on_done
        self._lease = lease
        self._poll = poll_interval
        self._max_held = max_in_flight
        # Several batches in hand at once, so that one batch's slowest push does not idle the rest.
        self._batch_size = max(1, min(batch_size, max_in_flight // 4))
        self._held = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._unfinished: set[tuple[str, int]] = set()
        """Batches sent, not yet marked finished in the store."""
        self.claimed = 0
        """Batches this instance claimed."""
        self.taken_over = 0
        """Of those, batches taken over from an instance whose lease ran out."""

    @property
    def running(self) -> bool:
        return bool(self._loops)

    async def start(self) -> None:
        if not self._loops:
            self._loops = [
                asyncio.create_task(self._claim_loop(), name=f"sender-claims-{self.instance}"),
                asyncio.create_task(self._heartbeat(), name=f"sender-leases-{self.instance}"),
            ]

    async def stop(self) -> None:
        """Stop claiming and sending; write buffered outcomes and give the claims back."""
        tasks = [*self._loops, *self._sending]
        self._loops = []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._held = 0
        self._finish()
        self.store.release_claims(self.instance)

    def wake(self) -> None:
        """Look for work now (a notification was just accepted)."""
        self._wake.set()

    async def _claim_loop(self) -> None:
        while True:
            if self._held and self._held + self._batch_size > self._max_held:
                self._room.clear()
                await self._room.wait()
                continue
            self._wake.clear()
            try:
                claimed = self._claim()
            except Exception:
                # The database may be restarting: try again later, the leases protect the work.
                log.exception("claiming work failed")
                claimed = False
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    def _claim(self) -> bool:
        batch = self.store.claim_batch(self.instance, self._lease)
        if batch is not None:
            self.claimed += 1
            if batch.taken_over_from is not None:
                self.taken_over += 1
                log.warning(
                    "took over batch %d of notification %s from %s (%d pushes left)",
                    batch.seq,
                    batch.notification.id,
                    batch.taken_over_from,
                    len(batch.tokens),
                )
            self._held += len(batch.tokens)
            task = asyncio.create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
            return True
        notification = self.store.claim_notification(self.instance, self._lease)
        if notification is None:
            return False
        self._split(notification)
        return True

    def _split(self, notification: Notification) -> None:
        request = notification.request
        if request.topic is not None or request.condition is not None:
            tokens = [target_of(request)]  # one FCM message; FCM fans it out
        else:
            tokens = [device.token for device in self._audience(request)]
        # Outcomes may exist when a notification is resolved again after an upgrade.
        done = self.store.delivered_tokens(notification.id)
        tokens = [t for t in tokens if t not in done]
        size = self._batch_size
        batches = [tokens[i : i + size] for i in range(0, len(tokens), size)]
        if self.store.add_batches(notification.id, batches) and not batches:
            self._on_done(notification.id)

    async def _send(self, batch: Batch) -> None:
        notification = batch.notification
        unsent = len(batch.tokens)
        try:
            request = notification.request
            if request.topic is not None or request.condition is not None:
                if batch.tokens:
                    await self._deliver.to_topic(notification)
            else:
                devices = self.store.active_devices_for(batch.tokens)
                self._free(unsent - len(devices))
                unsent = len(devices)

                async def push(device: Device) -> None:
                    nonlocal unsent
                    try:
                        await self._deliver.to_device(notification, device)
                    finally:
                        unsent -= 1
                        self._free(1)

                results = await asyncio.gather(
                    *(push(device) for device in devices), return_exceptions=True
                )
                for error in results:
                    if isinstance(error, Exception):
                        log.error("a push of %s failed", notification.id, exc_info=error)
        except Exception:
            # A bug must not leave the batch (and the notification's waiters) hanging forever.
            log.exception("sending batch %d of %s failed", batch.seq, notification.id)
        finally:
            self._free(unsent)
        self._unfinished.add((notification.id, batch.seq))
        self._finish()

    def _finish(self) -> None:
        """Write the outcomes and mark sent batches finished; what fails (the database may be
        restarting) is tried again at the next heartbeat, its lease renewed meanwhile."""
        try:
            self._recorder.flush()
            for notification_id, seq in sorted(self._unfinished):
                if self.store.finish_batch(notification_id, seq):
                    self._on_done(notification_id)
                self._unfinished.discard((notification_id, seq))
        except Exception:
            log.exception("finishing %d sent batches failed", len(self._unfinished))

    def _free(self, pushes: int) -> None:
        self._held = max(0, self._held - pushes)
        if self._held + self._batch_size <= self._max_held or not self._held:
            self._room.set()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            if self._unfinished:
                self._finish()
            try:
                self.store.renew_claims(self.instance, self._lease)
            except Exception:
                log.exception("renewing leases failed")
