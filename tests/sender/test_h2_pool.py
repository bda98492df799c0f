"""``H2Pool``'s slot keeping, without sockets: connections come from its ``connect`` seam.

The rule these pin: a request either gets a stream or an error within its timeout. Before, the
pool could wait for ever: a connection that died between its SETTINGS and joining the pool, or
that was closed before its socket reported the loss, kept a place among ``max_connections``
while taking no stream, so every request queued behind it with no one left to wake it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence

import pytest

from sender.errors import ProviderUnreachable
from sender.h2_connection import H2Connection, H2Response
from sender.h2_pool import H2Pool

ANSWER = H2Response(200, {}, b"")
LONG = 30.0
"""A request timeout no test should reach: a test that waits this long has found a stall."""


class Connection(H2Connection):
    """A connection whose SETTINGS arrived, without a socket; it answers once ``open`` is set."""

    def __init__(self, on_change: Callable[[H2Connection], None], max_streams: int) -> None:
        super().__init__("push.test", on_change)
        self.max_streams = max_streams
        self.open = asyncio.Event()
        self.open.set()
        self.answered: Callable[[], object] = lambda: None

    async def request(
        self, method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> H2Response:
        await self.open.wait()
        self.answered()
        return ANSWER


class Connector:
    """The pool's ``connect``: makes ``Connection``s, the first ``dead`` ones gone at once."""

    def __init__(self, *, max_streams: int = 10, dead: int = 0) -> None:
        self.max_streams = max_streams
        self.dead = dead
        self.made: list[Connection] = []

    async def __call__(self, on_change: Callable[[H2Connection], None]) -> H2Connection:
        connection = Connection(on_change, self.max_streams)
        if len(self.made) < self.dead:
            connection.going_away = True  # GOAWAY came in the same read as SETTINGS
        self.made.append(connection)
        return connection


def _pool(connector: Connector, max_connections: int = 1) -> H2Pool:
    return H2Pool("https://push.test", None, max_connections=max_connections, connect=connector)  # type: ignore[arg-type]


async def _post(pool: H2Pool, timeout: float = LONG) -> H2Response:
    return await pool.request("POST", "/", [], b"{}", timeout=timeout)


async def test_a_connection_dead_on_arrival_never_takes_a_place() -> None:
    """A connection that went away between its SETTINGS and joining the pool is not kept: that
    request fails (to be retried) and the next one opens a fresh connection."""
    connector = Connector(dead=1)
    pool = _pool(connector)
    async with asyncio.timeout(5):
        with pytest.raises(ProviderUnreachable, match="closed a new connection"):
            await _post(pool)
        assert await _post(pool) == ANSWER
    assert len(connector.made) == 2 and pool.connections == [connector.made[1]]


async def test_a_connection_closed_before_its_loss_is_reported_frees_its_place() -> None:
    """A connection closed on our side (its socket not yet reported lost) stops counting toward
    ``max_connections`` at once: the next request opens another instead of waiting."""
    connector = Connector()
    pool = _pool(connector)
    async with asyncio.timeout(5):
        assert await _post(pool) == ANSWER
        connector.made[0].close()
        assert await _post(pool) == ANSWER
    assert len(connector.made) == 2


async def test_no_free_stream_within_the_timeout_is_an_error() -> None:
    """When every stream stays busy, a request gets ``ProviderUnreachable`` after its timeout
    instead of waiting for ever."""
    connector = Connector(max_streams=1)
    pool = _pool(connector)
    async with asyncio.timeout(5):
        assert await _post(pool) == ANSWER  # the connection is open, its stream free
        connector.made[0].open.clear()
        holder = asyncio.create_task(_post(pool))
        await asyncio.sleep(0)  # the holder takes the only stream
        with pytest.raises(ProviderUnreachable, match="no free stream"):
            await _post(pool, timeout=0.05)
        connector.made[0].open.set()
        assert await holder == ANSWER
    assert pool._waiters == deque(), "the timed-out waiter left the queue"


async def test_a_woken_waiter_that_is_cancelled_hands_the_slot_on() -> None:
    """A waiter that a freed stream woke, but that is cancelled before it could take the stream,
    wakes the next waiter: that one is not left waiting for a wake-up already spent."""
    connector = Connector(max_streams=1)
    pool = _pool(connector)
    async with asyncio.timeout(5):
        assert await _post(pool) == ANSWER  # the connection is open, its stream free
        connection = connector.made[0]
        connection.open.clear()
        holder = asyncio.create_task(_post(pool))
        await asyncio.sleep(0)
        woken = asyncio.create_task(_post(pool))
        behind = asyncio.create_task(_post(pool))
        await asyncio.sleep(0)
        assert len(pool._waiters) == 2
        # The holder's answer frees the stream and wakes ``woken``; the cancel is queued before
        # ``woken`` runs, so it lands on a waiter that was woken but never looked.
        connection.answered = lambda: asyncio.get_running_loop().call_soon(woken.cancel)
        connection.open.set()
        assert await holder == ANSWER
        connection.answered = lambda: None
        with pytest.raises(asyncio.CancelledError):
            await woken
        assert await behind == ANSWER
