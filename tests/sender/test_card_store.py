"""The card part of the store contract, on SQLite and PostgreSQL (sender/stores/cards.py)."""

from __future__ import annotations

from sender.models import CardDelivery, LoyaltyCard, PassRegistration
from sender.stores import Store

PASS_TYPE = "pass.com.example.loyalty"


def _card(card_id: str = "c1", at: float = 100.25) -> LoyaltyCard:
    return LoyaltyCard(
        card_id=card_id,
        user_id="alice",
        platform="ios",
        program=PASS_TYPE,
        member_name="Alice",
        points=10,
        tier="Silver",
        auth_token="a-secret-of-sixteen-plus",
        created_at=at,
    )


def _registration(device: str, serial: str, token: str = "ab" * 32) -> PassRegistration:
    return PassRegistration(
        device_library_id=device,
        pass_type_id=PASS_TYPE,
        serial_number=serial,
        push_token=token,
        registered_at=1.0,
    )


def _change(store: Store, card_id: str, points: int, tier: str, at: float) -> LoyaltyCard | None:
    written = store.change_card(card_id, points=points, tier=tier, at=at, owner="a", lease=30)
    return None if written is None else written[0]


def test_each_change_takes_the_next_tag_and_a_later_second(any_store):
    """Tags increase over all cards; Last-Modified seconds increase per card even within one
    second (a same-second change is never mistaken for no change)."""
    first = any_store.add_card(_card("c1"))
    second = any_store.add_card(_card("c2"))
    changed = _change(any_store, "c1", 20, "Gold", 100.5)
    assert (first.tag, second.tag, changed.tag) == (1, 2, 3)
    assert (first.version, changed.version) == (1, 2)
    assert changed.modified_at == first.modified_at + 1
    assert (changed.points, changed.tier) == (20, "Gold")
    assert _change(any_store, "nope", 1, "x", 1.0) is None


def test_updated_serials_are_those_of_the_device_changed_since_a_tag(any_store):
    """Only the device's registrations of that pass type, with a tag above the one given."""
    any_store.add_card(_card("c1"))
    any_store.add_card(_card("c2"))
    any_store.register_pass(_registration("d1", "c1"))
    any_store.register_pass(_registration("d1", "c2"))
    any_store.register_pass(_registration("d2", "c2"))
    assert any_store.updated_serials("d1", PASS_TYPE, None) == [("c1", 1), ("c2", 2)]
    _change(any_store, "c1", 1, "t", 200.0)
    assert any_store.updated_serials("d1", PASS_TYPE, 2) == [("c1", 3)]
    assert any_store.updated_serials("d2", PASS_TYPE, 2) == []
    assert any_store.device_known("d2") and not any_store.device_known("d3")


def test_registering_twice_is_one_registration_with_the_newest_token(any_store):
    """True once, then False; the push token is replaced."""
    any_store.add_card(_card())
    assert any_store.register_pass(_registration("d1", "c1", "aa"))
    assert not any_store.register_pass(_registration("d1", "c1", "bb"))
    [only] = any_store.pass_registrations(PASS_TYPE, "c1")
    assert only.push_token == "bb"
    assert any_store.unregister_pass("d1", PASS_TYPE, "c1")
    assert not any_store.unregister_pass("d1", PASS_TYPE, "c1")


def test_a_dead_token_drops_every_registration_using_it(any_store):
    """drop_push_token returns and deletes the registrations of that token only."""
    any_store.add_card(_card("c1"))
    any_store.add_card(_card("c2"))
    any_store.register_pass(_registration("d1", "c1", "dead"))
    any_store.register_pass(_registration("d1", "c2", "dead"))
    any_store.register_pass(_registration("d2", "c2", "alive"))
    dropped = any_store.drop_push_token("dead")
    assert sorted(r.serial_number for r in dropped) == ["c1", "c2"]
    assert [r.push_token for r in any_store.pass_registrations(PASS_TYPE, "c2")] == ["alive"]


def test_updates_carry_their_outcomes_and_stats_count_them(any_store):
    """card_updates lists every version with its deliveries; card_stats adds them up."""
    any_store.add_card(_card())
    any_store.register_pass(_registration("d1", "c1", "t1"))
    any_store.register_pass(_registration("d2", "c1", "t2"))
    written = any_store.change_card("c1", points=30, tier="Silver", at=300.0, owner="a", lease=30)
    assert written is not None
    for push, (outcome, status, reason) in zip(
        written[1], (("accepted", 200, None), ("failed", 410, "Unregistered")), strict=True
    ):
        any_store.finish_card_push(
            push,
            CardDelivery(
                card_id="c1",
                version=2,
                target=push.target,
                device_library_id=push.device_library_id,
                outcome=outcome,  # type: ignore[arg-type]
                status=status,
                reason=reason,
                push_id=None,
                at=300.0,
            ),
        )
    any_store.add_pass_log(301.0, ["a", "b"], keep=100)
    updates = any_store.card_updates("c1")
    assert [(u.version, len(u.outcomes)) for u in updates] == [(1, 0), (2, 2)]
    stats = any_store.card_stats()
    assert stats["issued"] == {"ios": 1} and stats["updates"] == 1
    assert (stats["sent"], stats["accepted"], stats["failed"]) == (2, 1, {"Unregistered": 1})
    assert stats["device_logs"] == 2 and [m for _, m in any_store.pass_logs()] == ["a", "b"]


def test_the_device_log_keeps_only_its_newest_messages(any_store):
    """/v1/log takes posts from anyone: beyond ``keep`` messages the oldest go, oldest first,
    and a single post bigger than ``keep`` keeps its own newest."""
    for n in range(5):
        any_store.add_pass_log(float(n), [f"m{n}a", f"m{n}b"], keep=3)
    assert [m for _, m in any_store.pass_logs()] == ["m3b", "m4a", "m4b"]
    any_store.add_pass_log(9.0, ["x1", "x2", "x3", "x4"], keep=2)
    assert any_store.pass_logs() == [(9.0, "x3"), (9.0, "x4")]
    assert any_store.card_stats()["device_logs"] == 2


def test_card_updates_of_one_version_are_that_version_only(any_store):
    """card_updates(card_id, version) is that version with its own outcomes and pending pushes,
    none of the others'."""
    any_store.add_card(_card())
    any_store.register_pass(_registration("d1", "c1", "t1"))
    _change(any_store, "c1", 20, "Silver", 200.0)
    _change(any_store, "c1", 30, "Gold", 300.0)
    [update] = any_store.card_updates("c1", 2)
    assert (update.version, update.points, update.pending) == (2, 20, ("t1",))
    assert any_store.card_updates("c1", 9) == []
    assert [u.version for u in any_store.card_updates("c1")] == [1, 2, 3]
