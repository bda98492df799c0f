"""What the fakes observed of a sender, whichever sender it is: for portable scenarios and audits.

Portable assertions rest on the fakes' request logs and the phones' timeline, never on a sender's
own bookkeeping: "after the 410, nothing was sent to that token again" holds or not for any
backend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any, NamedTuple

from fakeproviders.apns import FakeApns
from fakeproviders.events import NotificationAccepted, NotificationRejected
from fakeproviders.fcm import FakeFcm
from simulator.timeline import Timeline


class ProviderRequest(NamedTuple):
    """One push request a fake answered."""

    provider: str
    """``"apns"`` or ``"fcm"``."""
    at: float
    token: str | None
    status: int
    reason: str | None


def observed_requests(
    apns: Iterable[FakeApns],
    fcm: FakeFcm,
    *,
    token: str | None = None,
    since: float | None = None,
) -> list[ProviderRequest]:
    """Device pushes from the request logs (every APNs environment, FCM), oldest first (FCM token
    grants and topic management left out)."""
    found = [
        ProviderRequest("apns", e.at, e.token, e.status, e.reason)
        for fake in apns
        for e in fake.log.entries
        if e.path.startswith("/3/device/")
    ]
    found += [
        ProviderRequest("fcm", e.at, e.token, e.status, e.reason)
        for e in fcm.request_log
        if e.kind == "send"
    ]
    return sorted(
        (
            r
            for r in found
            if (token is None or r.token == token) and (since is None or r.at >= since)
        ),
        key=lambda r: r.at,
    )


_PUSHES = (NotificationAccepted, NotificationRejected)


async def wait_until_quiet(
    timeline: Timeline,
    *,
    quiet: float,
    timeout: float,
    first: float | None = None,
    since: int | None = None,
) -> None:
    """Return once no push was answered for ``quiet`` real seconds (``first`` for the first
    one: a backend may take a while to start sending; a push answered after timeline seq
    ``since`` was that first one); TimeoutError after ``timeout`` (a sender that never stops)."""
    activity = asyncio.Event()

    def on_event(event: Any) -> None:
        if isinstance(event, _PUSHES):
            activity.set()

    unsubscribe = timeline.subscribe(on_event)
    deadline = time.monotonic() + timeout
    started = since is not None and any(timeline.events(kind, since=since) for kind in _PUSHES)
    window = quiet if first is None or started else first
    try:
        while True:
            activity.clear()
            try:
                await asyncio.wait_for(activity.wait(), window)
            except TimeoutError:
                return
            window = quiet
            if time.monotonic() > deadline:
                raise TimeoutError(f"pushes kept coming for {timeout} s")
    finally:
        unsubscribe()
