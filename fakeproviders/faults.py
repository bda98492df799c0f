"""Injected faults: make a fake answer as Apple or Google do on a bad day (sans-IO).

A test or the control API adds a :class:`Fault`; the server asks :meth:`FaultInjector.pick` for
each request, before its own validation, and answers with the fault instead when one applies.
Faults are scoped (everything, one token, one topic), may be limited to ``times`` requests ("fail N
times then succeed") and to a window on the clock (an outage), and may add latency.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, kw_only=True)
class Fault:
    status: int | None = None
    """The HTTP status to answer with (``None``: no error, only ``latency``)."""
    reason: str | None = None
    """The wire reason: an APNs ``reason`` or an FCM ``errorCode``; the server fills in the rest."""
    retry_after: int | None = None
    """Integer seconds for a ``Retry-After`` header (429, 503)."""
    latency: float = 0.0
    """Seconds to wait before answering (real seconds; the server awaits them)."""
    invalidated_at: float | None = None
    """APNs 410 only: when the token became invalid (UNIX seconds), the body's ``timestamp``
    (in milliseconds); default the time of the request. One before the token's registration
    makes a stale 410 that a sender must not prune on (reference/sender-rules.md APNS-410-TS)."""
    goaway: bool = False
    """HTTP/2 only: after answering, end the connection with GOAWAY (APNs: JSON ``reason``)."""
    times: int | None = None
    """How many requests it applies to; ``None`` until cleared."""
    token: str | None = None
    """Only requests to this device token."""
    topic: str | None = None
    """Only requests to this topic (APNs ``apns-topic``; FCM topic)."""
    starts_at: float | None = None
    ends_at: float | None = None
    """A window on the clock (UNIX seconds) outside which the fault does not apply."""
    fault_id: str = ""
    """Set by the injector."""

    def applies(self, *, token: str | None, topic: str | None, now: float) -> bool:
        return (
            (self.token is None or self.token == token)
            and (self.topic is None or self.topic == topic)
            and (self.starts_at is None or now >= self.starts_at)
            and (self.ends_at is None or now < self.ends_at)
            and (self.times is None or self.times > 0)
        )


@dataclass
class FaultInjector:
    """The faults in force on one fake; the first added that applies wins."""

    _faults: list[Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, fault: Fault) -> Fault:
        """Put ``fault`` in force; returns it with its ``fault_id``."""
        if fault.times is not None and fault.times < 1:
            raise ValueError(f"times must be at least 1 (got {fault.times})")
        if fault.latency < 0:
            raise ValueError(f"latency must not be negative (got {fault.latency})")
        if fault.invalidated_at is not None and fault.status != 410:
            raise ValueError(f"invalidated_at is for 410 answers only (got status {fault.status})")
        added = replace(fault, fault_id=f"fault-{next(self._ids)}")
        self._faults.append(added)
        return added

    def clear(self, fault_id: str | None = None) -> None:
        """Remove one fault, or all of them."""
        if fault_id is None:
            self._faults.clear()
            return
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.fault_id != fault_id]
        if len(self._faults) == before:
            raise KeyError(f"no fault {fault_id!r}")

    def active(self) -> list[Fault]:
        return list(self._faults)

    def pick(self, *, token: str | None, topic: str | None, now: float) -> Fault | None:
        """The fault for this request, counting it against ``times``; ``None`` when none applies."""
        for index, fault in enumerate(self._faults):
            if fault.applies(token=token, topic=topic, now=now):
                if fault.times is not None:
                    left = fault.times - 1
                    if left:
                        self._faults[index] = replace(fault, times=left)
                    else:
                        del self._faults[index]
                return fault
        return None
