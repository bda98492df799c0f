"""How the harness tells that a backend other than pushsim's sender has finished sending
(simulator/observe.py wait_until_quiet): quiet after its pushes, a longer wait for the first."""

from __future__ import annotations

import asyncio

from fakeproviders.events import NotificationAccepted, TokenIssued
from simulator.observe import wait_until_quiet
from simulator.timeline import Timeline

#: Long enough that a test returning well before it proves the wait was not used.
FIRST = 30.0


def push(at: float = 1.0) -> NotificationAccepted:
    return NotificationAccepted(
        at=at, provider="apns", push_id="p", token="t", app_id="a", phone_id="ph"
    )


async def test_a_push_answered_before_the_wait_began_counts_as_the_first():
    """A backend that sent before the wait started is waited on for quiet, not for ``first``."""
    timeline = Timeline()
    asked = timeline.last_seq
    timeline.record(push())
    async with asyncio.timeout(FIRST / 2):
        await wait_until_quiet(timeline, quiet=0.05, first=FIRST, timeout=FIRST, since=asked)


async def test_without_a_push_since_the_ask_the_first_wait_applies():
    """Pushes before the ask, and other events after it, do not shorten the wait for the first."""
    timeline = Timeline()
    timeline.record(push())
    asked = timeline.last_seq
    timeline.record(TokenIssued(at=2.0, provider="apns", token="t", app_id="a", phone_id="ph"))
    waiting = asyncio.ensure_future(
        wait_until_quiet(timeline, quiet=0.05, first=FIRST, timeout=FIRST, since=asked)
    )
    done, _ = await asyncio.wait({waiting}, timeout=0.3)
    assert not done
    timeline.record(push(3.0))  # the first push since the ask: now quiet ends it
    async with asyncio.timeout(FIRST / 2):
        await waiting
