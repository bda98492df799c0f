"""Delivery outcomes are written in batches, one transaction each."""

from __future__ import annotations

import asyncio

from sender import SqliteStore
from sender.models import Delivery, Notification, NotificationRequest
from sender.recorder import DeliveryRecorder


def _delivery(i: int) -> Delivery:
    return Delivery(
        notification_id="n",
        token=f"t{i}",
        platform="ios",
        outcome="accepted",
        push_id=None,
        http_status=200,
        reason=None,
        at=0.0,
    )


def _store(store: SqliteStore) -> SqliteStore:
    store.add_notification(
        Notification(
            id="n",
            request=NotificationRequest(user_id="u", title="t"),
            status="sending",
            created_at=0,
        )
    )
    return store


async def test_full_batch_is_written_at_once(store: SqliteStore) -> None:
    """The batch-th outcome writes the whole batch before add() returns."""
    recorder = DeliveryRecorder(_store(store), batch=3, delay=60)
    for i in range(3):
        recorder.add(_delivery(i))
    assert (recorder.pending, recorder.batches) == (0, 1)
    assert len(store.deliveries("n")) == 3


async def test_partial_batch_is_written_after_the_delay(store: SqliteStore) -> None:
    """Fewer outcomes than a batch are written once ``delay`` real seconds have passed."""
    recorder = DeliveryRecorder(_store(store), batch=100, delay=0.01)
    recorder.add(_delivery(1))
    assert store.deliveries("n") == []
    flushed = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_later(0.05, flushed.set_result, None)
    await flushed
    assert [d.token for d in store.deliveries("n")] == ["t1"]


async def test_flush_writes_what_is_buffered(store: SqliteStore) -> None:
    """flush() writes pending outcomes now and cancels the timer."""
    recorder = DeliveryRecorder(_store(store), batch=100, delay=60)
    recorder.add(_delivery(1))
    recorder.add(_delivery(2))
    recorder.flush()
    assert recorder.pending == 0 and len(store.deliveries("n")) == 2
