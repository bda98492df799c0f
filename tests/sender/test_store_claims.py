"""Shared work in the store, on SQLite and PostgreSQL: claims, leases, batches, take-over."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sender import SqliteStore, Store
from sender.models import Delivery, Notification, NotificationRequest

EXPIRED = -1.0
"""A lease that has already run out."""


def _queue(store: Store, nid: str, at: float = 1.0) -> None:
    request = NotificationRequest(everyone=True, title="Hi")
    store.add_notification(Notification(id=nid, request=request, status="queued", created_at=at))


def _accepted(nid: str, token: str) -> Delivery:
    return Delivery(
        notification_id=nid,
        token=token,
        platform="android",
        outcome="accepted",
        push_id="p",
        http_status=200,
        reason=None,
        at=1.0,
    )


def test_a_queued_notification_is_claimed_by_one_owner_at_a_time(any_store: Store) -> None:
    """The oldest queued notification goes to one owner; others get the next or nothing."""
    _queue(any_store, "n1", 1.0)
    _queue(any_store, "n2", 2.0)
    first = any_store.claim_notification("a", 30)
    second = any_store.claim_notification("b", 30)
    assert (first and first.id, second and second.id) == ("n1", "n2")
    assert any_store.claim_notification("c", 30) is None


def test_a_lapsed_notification_claim_is_taken_over(any_store: Store) -> None:
    """A claim whose lease ran out can be taken by another owner."""
    _queue(any_store, "n1")
    assert any_store.claim_notification("a", EXPIRED) is not None
    taken = any_store.claim_notification("b", 30)
    assert taken is not None and taken.id == "n1"


def test_an_audience_is_stored_once(any_store: Store) -> None:
    """add_batches stores batches and marks the notification sending; a second call is refused."""
    _queue(any_store, "n1")
    assert any_store.add_batches("n1", [["t1", "t2"], ["t3"]]) is True
    assert any_store.add_batches("n1", [["t9"]]) is False
    notification = any_store.get_notification("n1")
    assert notification is not None and notification.status == "sending"


def test_an_empty_audience_is_done_at_once(any_store: Store) -> None:
    """A notification with nobody to send to is done as soon as its (empty) audience is stored."""
    _queue(any_store, "n1")
    assert any_store.add_batches("n1", []) is True
    notification = any_store.get_notification("n1")
    assert notification is not None and notification.status == "done"


def test_batches_go_to_different_owners_and_finish_the_notification(any_store: Store) -> None:
    """Each batch is claimed once; finishing the last one makes the notification done."""
    _queue(any_store, "n1")
    any_store.add_batches("n1", [["t1", "t2"], ["t3"]])
    a = any_store.claim_batch("a", 30)
    b = any_store.claim_batch("b", 30)
    assert a is not None and b is not None
    assert (a.seq, a.tokens, b.seq, b.tokens) == (0, ["t1", "t2"], 1, ["t3"])
    assert a.taken_over_from is None
    assert any_store.claim_batch("c", 30) is None
    assert any_store.finish_batch("n1", 1) is False
    assert any_store.finish_batch("n1", 0) is True
    notification = any_store.get_notification("n1")
    assert notification is not None and notification.status == "done"


def test_a_lapsed_batch_is_taken_over_without_its_recorded_tokens(any_store: Store) -> None:
    """A batch whose lease ran out goes to another owner, who is told whose it was and gets
    only the tokens that have no outcome yet; a renewed lease keeps it."""
    _queue(any_store, "n1")
    any_store.add_batches("n1", [["t1", "t2", "t3"]])
    assert any_store.claim_batch("a", 30) is not None
    assert any_store.renew_claims("a", 30) == 1
    assert any_store.claim_batch("b", 30) is None
    any_store.add_deliveries([_accepted("n1", "t2")])
    any_store.renew_claims("a", EXPIRED)
    taken = any_store.claim_batch("b", 30)
    assert taken is not None
    assert (taken.taken_over_from, taken.tokens) == ("a", ["t1", "t3"])


def test_released_claims_are_free_at_once(any_store: Store) -> None:
    """release_claims lets another owner take a batch without waiting for the lease."""
    _queue(any_store, "n1")
    any_store.add_batches("n1", [["t1"]])
    assert any_store.claim_batch("a", 30) is not None
    any_store.release_claims("a")
    taken = any_store.claim_batch("b", 30)
    assert taken is not None and taken.tokens == ["t1"]


def test_two_handles_share_the_same_work(open_any_store: Callable[[], Store]) -> None:
    """Two store handles on one database (two instances) never claim the same batch."""
    one, two = open_any_store(), open_any_store()
    _queue(one, "n1")
    one.add_batches("n1", [[f"t{i}"] for i in range(6)])
    claimed = []
    for store, owner in [(one, "a"), (two, "b")] * 3:
        batch = store.claim_batch(owner, 30)
        assert batch is not None
        claimed.append(batch.seq)
    assert sorted(claimed) == list(range(6))
    assert two.claim_batch("b", 30) is None


def test_opening_sqlite_releases_the_previous_runs_claims(tmp_path: Path) -> None:
    """One process per SQLite file: a restart takes back what the killed run held, at once."""
    store = SqliteStore(tmp_path / "s.db")
    _queue(store, "n1")
    store.add_batches("n1", [["t1"]])
    assert store.claim_batch("killed-run", 30) is not None
    store.close()
    reopened = SqliteStore(tmp_path / "s.db")
    batch = reopened.claim_batch("restarted", 30)
    reopened.close()
    assert batch is not None and batch.tokens == ["t1"]
