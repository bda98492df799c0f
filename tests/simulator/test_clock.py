from __future__ import annotations

import asyncio

import pytest

from simulator.clock import VirtualClock


def test_virtual_clock_starts_where_told():
    """A VirtualClock given a start time reads that time (plus the little real time elapsed)."""
    clock = VirtualClock(start=1_000_000.0)
    assert 1_000_000.0 <= clock.now() < 1_000_001.0


def test_advance_moves_the_clock_forward():
    """advance() adds exactly its argument to the time."""
    clock = VirtualClock(start=0.0)
    before = clock.now()
    after = clock.advance(86_400 * 271)
    assert after - before >= 86_400 * 271
    assert after - before < 86_400 * 271 + 1


def test_advance_never_goes_backwards():
    """A negative advance is refused and leaves the clock alone."""
    clock = VirtualClock(start=0.0)
    with pytest.raises(ValueError, match="never goes backwards"):
        clock.advance(-1)
    assert clock.now() >= 0.0


async def test_advance_wakes_sleepers_whose_deadline_passed():
    """A sleeper wakes as soon as an advance carries the clock past its deadline."""
    clock = VirtualClock(start=0.0)
    sleeper = asyncio.ensure_future(clock.sleep(3600))
    await asyncio.sleep(0)
    clock.advance(3600)
    await asyncio.wait_for(sleeper, timeout=1.0)


async def test_advance_short_of_the_deadline_keeps_sleepers_asleep():
    """An advance that stops before a sleeper's deadline does not wake it."""
    clock = VirtualClock(start=0.0)
    sleeper = asyncio.ensure_future(clock.sleep(3600))
    await asyncio.sleep(0)
    clock.advance(1800)
    done, _ = await asyncio.wait({sleeper}, timeout=0.05)
    assert not done
    clock.advance(1800)
    await asyncio.wait_for(sleeper, timeout=1.0)


async def test_sleep_runs_at_real_speed():
    """Without any advance, a short sleep ends after about that much real time."""
    clock = VirtualClock()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await clock.sleep(0.05)
    assert loop.time() - started >= 0.04
