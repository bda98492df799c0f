"""Faults in a ``Simulation``: make a fake answer as the real service does when things go wrong.

    sim.fault("apns", status=429, reason="TooManyRequests", times=2)
    sim.fault("fcm", status=503, retry_after=30)
    sim.clear_faults()

A mixin of ``Simulation``; the fakes apply the faults (:mod:`fakeproviders.faults`).
"""

from __future__ import annotations

from typing import Any

from fakeproviders.apns import FakeApns
from fakeproviders.faults import Fault, FaultInjector
from fakeproviders.fcm import FakeFcm
from fakeproviders.gwallet import FakeGoogleWallet
from simulator.errors import SimulationError


class FaultsMixin:
    """The fault part of ``Simulation`` (it provides the attributes below)."""

    apns: FakeApns
    fcm: FakeFcm
    google_wallet: FakeGoogleWallet

    @property
    def fault_injectors(self) -> dict[str, FaultInjector]:
        """The fakes whose answers faults can decide, by provider name."""
        return {
            "apns": self.apns.faults,
            "fcm": self.fcm.faults,
            "google_wallet": self.google_wallet.api.faults,
        }

    def fault(self, provider: str, **fields: Any) -> Fault:
        """Inject a fault into ``"apns"``, ``"fcm"`` or ``"google_wallet"``: ``status``,
        ``reason``, ``retry_after``, ``latency``, ``goaway``, ``times``, ``token`` (for the Wallet
        API: a class or object id), ``topic``, ``starts_at``, ``ends_at`` (see
        :class:`fakeproviders.faults.Fault`). Returns it; ``clear_faults()`` removes all."""
        faults = self.fault_injectors
        if provider not in faults:
            raise SimulationError(f"no provider {provider!r}: use {', '.join(faults)}")
        try:
            return faults[provider].add(Fault(**fields))
        except (TypeError, ValueError) as exc:
            raise SimulationError(f"bad fault: {exc}") from None

    def clear_faults(self) -> None:
        for injector in self.fault_injectors.values():
            injector.clear()
