"""What answers before the Wallet API's own checks: injected faults and the 20 requests/s limit."""

from __future__ import annotations

from fakeproviders.faults import Fault

from .gwallet_support import OBJECT_ID, Harness


def test_rate_limit_allows_20_a_second() -> None:
    """Twenty requests in one instant pass, the 21st is 429 rateLimitExceeded; a second later
    there is room again (on the injected clock)."""
    wallet = Harness()
    answers = [wallet.api.gate(OBJECT_ID)[0] for _ in range(21)]
    assert answers[:20] == [None] * 20
    limited = answers[20]
    assert limited is not None
    assert (limited.status, limited.reason, limited.rpc_status) == (
        429,
        "rateLimitExceeded",
        "RESOURCE_EXHAUSTED",
    )
    wallet.clock.advance(1.0)
    assert wallet.api.gate(OBJECT_ID)[0] is None


def test_rate_limit_can_be_turned_off() -> None:
    """requests_per_second=None: no limit."""
    wallet = Harness(requests_per_second=None)
    assert all(wallet.api.gate(None)[0] is None for _ in range(100))


def test_injected_fault_answers_in_googles_shape() -> None:
    """A fault answers Google's body for its status, with Retry-After, for its resource only,
    as many times as asked."""
    wallet = Harness()
    wallet.api.faults.add(Fault(status=503, retry_after=3, token=OBJECT_ID, times=1))
    assert wallet.api.gate("3388000000022000001.bob")[0] is None
    error, _ = wallet.api.gate(OBJECT_ID)
    assert error is not None
    assert error.body()["error"]["status"] == "UNAVAILABLE"
    assert error.headers == {"retry-after": "3"}
    assert wallet.api.gate(OBJECT_ID)[0] is None


def test_latency_only_fault() -> None:
    """A fault without a status only delays the answer."""
    wallet = Harness()
    wallet.api.faults.add(Fault(latency=0.2))
    assert wallet.api.gate(OBJECT_ID) == (None, 0.2)


def test_rate_limit_below_one_a_second() -> None:
    """requests_per_second=0.5: one request passes, the next is 429 until two seconds have
    passed (a bucket smaller than one request never let any through)."""
    wallet = Harness(requests_per_second=0.5)
    assert wallet.api.gate(OBJECT_ID)[0] is None
    wallet.clock.advance(1.0)
    assert wallet.api.gate(OBJECT_ID)[0] is not None
    wallet.clock.advance(1.0)
    assert wallet.api.gate(OBJECT_ID)[0] is None
