"""User behaviour models for load: what a user does with a shown notification, and when.

Sans-IO and seeded: :meth:`UserBehaviour.react` turns a displayed notification into an
``(action, after_seconds)`` decision; the simulator schedules it on its clock. The decision for one
notification depends only on the seed, the phone and the tray entry, so a run is reproducible
whatever order the notifications arrive in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal, Protocol

from devices.errors import DeviceError

Action = Literal["tap", "dismiss", "ignore"]


class Displayed(Protocol):
    """What the model reads from a ``NotificationDisplayed`` event (or a tray entry + phone)."""

    @property
    def phone_id(self) -> str: ...

    @property
    def entry_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Delay:
    """A reaction-delay distribution in seconds: ``fixed``, ``uniform``, ``exponential`` (by its
    mean) or ``lognormal`` (by its median and sigma)."""

    kind: str
    a: float
    b: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("fixed", "uniform", "exponential", "lognormal"):
            raise DeviceError(
                f"unknown delay {self.kind!r}: use fixed, uniform, exponential or lognormal"
            )
        if not all(math.isfinite(x) and x >= 0 for x in (self.a, self.b)):
            raise DeviceError(f"delay parameters must be finite and ≥ 0, got {self.a}, {self.b}")
        if self.kind == "uniform" and self.b < self.a:
            raise DeviceError(f"uniform delay needs low ≤ high, got {self.a} > {self.b}")
        if self.kind in ("exponential", "lognormal") and self.a <= 0:
            raise DeviceError(f"{self.kind} delay needs a positive mean/median, got {self.a}")

    @classmethod
    def fixed(cls, seconds: float) -> Delay:
        return cls("fixed", seconds)

    @classmethod
    def uniform(cls, low: float, high: float) -> Delay:
        return cls("uniform", low, high)

    @classmethod
    def exponential(cls, mean: float) -> Delay:
        return cls("exponential", mean)

    @classmethod
    def lognormal(cls, median: float, sigma: float = 1.0) -> Delay:
        return cls("lognormal", median, sigma)

    def sample(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            return self.a
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        if self.kind == "exponential":
            return rng.expovariate(1.0 / self.a)
        return rng.lognormvariate(math.log(self.a), self.b)


#: Most taps come within a minute, a long tail later; dismissals when the user next looks [U].
DEFAULT_TAP_DELAY = Delay("lognormal", 30.0, 1.0)
DEFAULT_DISMISS_DELAY = Delay("lognormal", 120.0, 1.0)


@dataclass(frozen=True, slots=True)
class Reaction:
    """What the user does (``tap``, ``dismiss``, ``ignore``) and how long after the display."""

    action: Action
    after: float


@dataclass(frozen=True, kw_only=True, slots=True)
class UserBehaviour:
    """Probabilities of tap and dismiss (the rest is ignore) and their reaction delays.

    Defaults are a plausible engaged user, not a measured one: tune them for the load you model.
    """

    tap: float = 0.1
    dismiss: float = 0.3
    tap_delay: Delay = DEFAULT_TAP_DELAY
    dismiss_delay: Delay = DEFAULT_DISMISS_DELAY
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("tap", "dismiss"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise DeviceError(f"{name} probability must be within 0..1, got {value!r}")
        if self.tap + self.dismiss > 1.0 + 1e-9:
            raise DeviceError(
                f"tap + dismiss must be ≤ 1 (the rest is ignore), got {self.tap + self.dismiss}"
            )

    @property
    def ignore(self) -> float:
        return max(0.0, 1.0 - self.tap - self.dismiss)

    def react(self, displayed: Displayed) -> Reaction:
        """The user's reaction to one shown notification; the same inputs give the same answer."""
        rng = random.Random(f"{self.seed}/{displayed.phone_id}/{displayed.entry_id}")
        roll = rng.random()
        if roll < self.tap:
            return Reaction("tap", self.tap_delay.sample(rng))
        if roll < self.tap + self.dismiss:
            return Reaction("dismiss", self.dismiss_delay.sample(rng))
        return Reaction("ignore", 0.0)
