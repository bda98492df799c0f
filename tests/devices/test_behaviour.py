"""User behaviour models: seeded, reproducible decisions with the configured probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from devices.behaviour import Delay, Reaction, UserBehaviour
from devices.errors import DeviceError


@dataclass(frozen=True)
class Shown:
    phone_id: str
    entry_id: str


def _shown(n=2000):
    return [Shown(f"phone-{i % 50}", f"n{i}") for i in range(n)]


def test_same_seed_same_reactions():
    """Two models with one seed react identically to the same notifications."""
    a, b = UserBehaviour(seed=7), UserBehaviour(seed=7)
    assert [a.react(s) for s in _shown(200)] == [b.react(s) for s in _shown(200)]


def test_reactions_do_not_depend_on_arrival_order():
    """A notification gets the same reaction whatever was asked before it."""
    model = UserBehaviour(seed=3)
    forward = {s: model.react(s) for s in _shown(100)}
    backward = {s: model.react(s) for s in reversed(_shown(100))}
    assert forward == backward


def test_different_seeds_differ():
    """Another seed gives another run."""
    a, b = UserBehaviour(seed=1), UserBehaviour(seed=2)
    assert [a.react(s) for s in _shown(200)] != [b.react(s) for s in _shown(200)]


def test_action_frequencies_follow_the_probabilities():
    """Over many notifications tap/dismiss/ignore shares approach the configured ones."""
    model = UserBehaviour(tap=0.2, dismiss=0.5, seed=11)
    actions = [model.react(s).action for s in _shown(4000)]
    assert actions.count("tap") / 4000 == pytest.approx(0.2, abs=0.03)
    assert actions.count("dismiss") / 4000 == pytest.approx(0.5, abs=0.03)


def test_ignore_happens_at_once_and_is_the_remainder():
    """Ignore has probability 1 - tap - dismiss and no delay."""
    model = UserBehaviour(tap=0.0, dismiss=0.0)
    assert model.ignore == 1.0
    assert model.react(Shown("p", "n1")) == Reaction("ignore", 0.0)


def test_fixed_delay_is_exact():
    """A fixed delay is always its value."""
    model = UserBehaviour(tap=1.0, dismiss=0.0, tap_delay=Delay.fixed(5.0))
    assert {model.react(s).after for s in _shown(20)} == {5.0}


def test_uniform_delay_stays_in_range():
    """Uniform delays fall within their bounds."""
    model = UserBehaviour(tap=0.0, dismiss=1.0, dismiss_delay=Delay.uniform(2.0, 4.0))
    assert all(2.0 <= model.react(s).after <= 4.0 for s in _shown(200))


def test_exponential_delay_has_its_mean():
    """Exponential delays average to their mean."""
    model = UserBehaviour(tap=1.0, dismiss=0.0, tap_delay=Delay.exponential(10.0))
    delays = [model.react(s).after for s in _shown(4000)]
    assert sum(delays) / len(delays) == pytest.approx(10.0, rel=0.1)


def test_probabilities_over_one_are_refused():
    """tap + dismiss above 1 is an error."""
    with pytest.raises(DeviceError, match="≤ 1"):
        UserBehaviour(tap=0.7, dismiss=0.5)


def test_bad_delays_are_refused():
    """Delays with impossible parameters are errors."""
    with pytest.raises(DeviceError, match="low ≤ high"):
        Delay.uniform(5.0, 1.0)
    with pytest.raises(DeviceError, match="unknown delay"):
        Delay("gaussian", 1.0)
