"""The outbox of card pushes in the store, on SQLite and PostgreSQL (sender/stores/card_outbox.py):
written with the change, claimed with leases like campaign batches, left only with an outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from sender import SqliteStore, Store
from sender.models import GOOGLE_WALLET_TARGET, CardDelivery, CardPush, LoyaltyCard
from sender.models import PassRegistration as Registration
from sender.stores.cards import CardStore

PASS_TYPE = "pass.com.example.loyalty"
EXPIRED = -1.0
"""A lease that has already run out."""
NOW = 1_000.0


def _issue(store: CardStore, card_id: str, platform: str = "ios", tokens: tuple[str, ...] = ()):
    store.add_card(
        LoyaltyCard(
            card_id=card_id,
            user_id="alice",
            platform=platform,  # type: ignore[arg-type]
            program=PASS_TYPE,
            member_name="Alice",
            points=10,
            tier="Silver",
            created_at=1.0,
        )
    )
    for device, token in enumerate(tokens):
        store.register_pass(
            Registration(
                device_library_id=f"{card_id}-d{device}",
                pass_type_id=PASS_TYPE,
                serial_number=card_id,
                push_token=token,
                registered_at=1.0,
            )
        )


def _change(store: CardStore, card_id: str, owner: str = "a", lease: float = 30) -> list[CardPush]:
    written = store.change_card(card_id, points=20, tier="Silver", at=NOW, owner=owner, lease=lease)
    assert written is not None
    return written[1]


def _accepted(push: CardPush) -> CardDelivery:
    return CardDelivery(
        card_id=push.card_id,
        version=push.version,
        target=push.target,
        device_library_id=push.device_library_id,
        outcome="accepted",
        status=200,
        reason=None,
        push_id="p",
        at=NOW,
    )


def test_a_change_writes_one_push_per_push_token_claimed_by_its_maker(any_store: Store) -> None:
    """Two devices sharing a push token get one push; a Google card owes one push to Google
    Wallet; the pushes are the changer's until its lease runs out, and shown as pending."""
    _issue(any_store, "c1", tokens=("t1", "t1", "t2"))
    _issue(any_store, "g1", platform="android")
    apple = _change(any_store, "c1")
    google = _change(any_store, "g1")
    assert [(p.target, p.version, p.points_changed, p.tier_changed) for p in apple] == [
        ("t1", 2, True, False),
        ("t2", 2, True, False),
    ]
    assert [p.target for p in google] == [GOOGLE_WALLET_TARGET]
    assert any_store.claim_card_pushes("b", 30, NOW, 10) == []
    assert any_store.card_updates("c1")[-1].pending == ("t1", "t2")
    assert any_store.card_stats()["pending"] == 3


def test_a_finished_push_leaves_the_outbox_with_its_outcome(any_store: Store) -> None:
    """finish_card_push records the outcome and removes the push, together."""
    _issue(any_store, "c1", tokens=("t1",))
    (push,) = _change(any_store, "c1")
    any_store.finish_card_push(push, _accepted(push))
    update = any_store.card_updates("c1")[-1]
    assert (update.pending, [o.target for o in update.outcomes]) == ((), ["t1"])
    assert any_store.claim_card_pushes("b", 30, NOW, 10) == []


def test_a_push_whose_lease_ran_out_is_taken_over(any_store: Store) -> None:
    """A push its maker held past the lease (it died) goes to the next instance that claims,
    which learns whose it was; then nobody else gets it."""
    _issue(any_store, "c1", tokens=("t1",))
    _change(any_store, "c1", owner="dead", lease=EXPIRED)
    (taken,) = any_store.claim_card_pushes("b", 30, NOW, 10)
    assert (taken.target, taken.taken_over_from) == ("t1", "dead")
    assert any_store.claim_card_pushes("c", 30, NOW, 10) == []


def test_a_retried_push_waits_for_its_time_and_counts_its_attempts(any_store: Store) -> None:
    """retry_card_push gives the push back unclaimed, due at the time given (sender's clock)."""
    _issue(any_store, "c1", tokens=("t1",))
    (push,) = _change(any_store, "c1")
    any_store.retry_card_push(push, NOW + 60)
    assert any_store.claim_card_pushes("b", 30, NOW + 59, 10) == []
    (again,) = any_store.claim_card_pushes("b", 30, NOW + 60, 10)
    assert (again.attempts, again.taken_over_from) == (1, None)


def test_claims_on_pushes_are_renewed_and_released_with_the_others(any_store: Store) -> None:
    """renew_claims and release_claims cover card pushes: released, any instance takes them."""
    _issue(any_store, "c1", tokens=("t1",))
    _change(any_store, "c1", owner="a")
    assert any_store.renew_claims("a", 30) == 1
    any_store.release_claims("a")
    assert [p.target for p in any_store.claim_card_pushes("b", 30, NOW, 10)] == ["t1"]


def test_a_restarted_sqlite_sender_gets_its_pushes_back_at_once(tmp_path: Path) -> None:
    """Opening the SQLite file again (one process per file: a restart) frees what the previous
    run held, so pushes owed at a crash go out without waiting for the lease."""
    store = SqliteStore(tmp_path / "sender.db")
    _issue(store, "c1", tokens=("t1",))
    _change(store, "c1", owner="crashed", lease=3600)
    store.close()
    reopened = SqliteStore(tmp_path / "sender.db")
    try:
        assert [p.target for p in reopened.claim_card_pushes("b", 30, NOW, 10)] == ["t1"]
    finally:
        reopened.close()


def test_two_instances_claiming_at_once_never_get_the_same_push(
    open_any_store: Callable[[], Store],
) -> None:
    """Two instances (two store handles, two threads) claim the outbox together: each push goes
    to exactly one of them."""
    setup = open_any_store()
    for n in range(30):
        _issue(setup, f"c{n}", tokens=(f"t{n}",))
        _change(setup, f"c{n}", owner="dead", lease=EXPIRED)
    got: dict[str, list[str]] = {"x": [], "y": []}
    start = threading.Barrier(2)

    def claim(owner: str, store: Store) -> None:
        start.wait(timeout=10)
        while pushes := store.claim_card_pushes(owner, 30, NOW, 2):
            got[owner].extend(p.target for p in pushes)

    threads = [
        threading.Thread(target=claim, args=(owner, open_any_store())) for owner in ("x", "y")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not set(got["x"]) & set(got["y"])
    assert sorted(got["x"] + got["y"]) == sorted(f"t{n}" for n in range(30))
