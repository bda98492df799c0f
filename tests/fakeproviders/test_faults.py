from __future__ import annotations

import pytest

from fakeproviders.faults import Fault, FaultInjector


def test_no_fault_means_no_answer_change():
    """With nothing injected, pick() returns None."""
    assert FaultInjector().pick(token="t", topic=None, now=0) is None


def test_fail_n_times_then_succeed():
    """A fault with times=2 applies to two requests, then is gone."""
    faults = FaultInjector()
    faults.add(Fault(status=503, reason="ServiceUnavailable", times=2))
    picked = [faults.pick(token="t", topic=None, now=0) for _ in range(3)]
    assert [p.status if p else None for p in picked] == [503, 503, None]
    assert faults.active() == []


def test_scope_by_token_and_topic():
    """A token- or topic-scoped fault leaves other requests alone."""
    faults = FaultInjector()
    faults.add(Fault(status=410, reason="Unregistered", token="dead"))
    faults.add(Fault(status=429, reason="QUOTA_EXCEEDED", topic="news"))
    assert faults.pick(token="alive", topic=None, now=0) is None
    assert faults.pick(token="dead", topic=None, now=0).status == 410
    assert faults.pick(token=None, topic="news", now=0).status == 429


def test_outage_window_on_the_clock():
    """A fault with a window applies only between starts_at and ends_at."""
    faults = FaultInjector()
    faults.add(Fault(status=503, reason="UNAVAILABLE", starts_at=100, ends_at=200))
    assert faults.pick(token="t", topic=None, now=99) is None
    assert faults.pick(token="t", topic=None, now=150) is not None
    assert faults.pick(token="t", topic=None, now=200) is None


def test_clear_one_or_all():
    """clear(id) removes that fault, clear() all; an unknown id raises KeyError."""
    faults = FaultInjector()
    first = faults.add(Fault(status=500))
    faults.add(Fault(status=503))
    faults.clear(first.fault_id)
    assert [f.status for f in faults.active()] == [503]
    faults.clear()
    assert faults.active() == []
    with pytest.raises(KeyError):
        faults.clear("fault-99")


def test_bad_faults_are_refused():
    """times below 1, negative latency and a 410 timestamp on another status are refused with a
    clear message."""
    with pytest.raises(ValueError, match="times"):
        FaultInjector().add(Fault(status=500, times=0))
    with pytest.raises(ValueError, match="latency"):
        FaultInjector().add(Fault(latency=-1))
    with pytest.raises(ValueError, match="invalidated_at is for 410 answers only"):
        FaultInjector().add(Fault(status=404, invalidated_at=1.0))
