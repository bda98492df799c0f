"""The store contract on SQLite and PostgreSQL; SQLite's migrations and WAL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sender import SqliteStore, Store
from sender.models import (
    Delivery,
    Device,
    EngagementEvent,
    Notification,
    NotificationRequest,
    Segment,
)
from sender.store import MIGRATIONS


def _device(token: str = "ab" * 32, user: str = "u1", at: float = 1.0) -> Device:
    return Device(token=token, platform="ios", app_id="com.example", user_id=user, registered_at=at)


def _notification(nid: str = "n1", at: float = 1.0) -> Notification:
    request = NotificationRequest(user_id="u1", title="Hi", data={"k": "v"}, ttl=60)
    return Notification(id=nid, request=request, status="queued", created_at=at)


def test_new_file_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    """A fresh store applies every migration and records the version."""
    store = SqliteStore(tmp_path / "s.db")
    assert store.schema_version == len(MIGRATIONS)
    store.close()


def test_reopening_does_not_reapply_migrations(tmp_path: Path) -> None:
    """Opening an up-to-date file leaves its schema_version history unchanged."""
    SqliteStore(tmp_path / "s.db").close()
    SqliteStore(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    versions = [row[0] for row in db.execute("SELECT version FROM schema_version")]
    db.close()
    assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_store_uses_wal(tmp_path: Path) -> None:
    """The store runs SQLite in WAL mode."""
    store = SqliteStore(tmp_path / "s.db")
    assert store.journal_mode == "wal"
    store.close()


def test_everything_survives_reopen(open_any_store: Callable[[], Store]) -> None:
    """Devices, notifications, deliveries and engagement are committed and read back."""
    store = open_any_store()
    store.upsert_device(_device())
    store.add_notification(_notification())
    delivery = Delivery(
        notification_id="n1",
        token="ab" * 32,
        platform="ios",
        outcome="accepted",
        push_id="p",
        http_status=200,
        reason=None,
        at=2.0,
    )
    store.add_delivery(delivery)
    engagement = EngagementEvent(notification_id="n1", token="ab" * 32, event="opened", at=3.0)
    store.add_engagement(engagement)
    store.close()

    reopened = open_any_store()
    assert reopened.get_device("ab" * 32) == _device()
    assert reopened.get_notification("n1") == _notification()
    assert reopened.deliveries("n1") == [delivery]
    assert reopened.engagements("n1") == [engagement]


def test_upsert_reports_new_and_known_tokens(any_store: Store) -> None:
    """upsert_device returns True for a new token and False for a known one, which it updates."""
    assert any_store.upsert_device(_device()) is True
    assert any_store.upsert_device(_device(user="u2", at=5.0)) is False
    assert any_store.get_device("ab" * 32) == _device(user="u2", at=5.0)


def test_inactive_devices_are_not_listed(any_store: Store) -> None:
    """active_devices omits deactivated tokens; deactivating an unknown token reports False."""
    any_store.upsert_device(_device("aa" * 32))
    any_store.upsert_device(_device("bb" * 32))
    assert any_store.deactivate_device("aa" * 32) is True
    assert any_store.deactivate_device("cc" * 32) is False
    assert [d.token for d in any_store.active_devices("u1")] == ["bb" * 32]
    assert [d.token for d in any_store.active_devices_for(["bb" * 32, "aa" * 32])] == ["bb" * 32]


def test_unfinished_notifications_exclude_done(any_store: Store) -> None:
    """Queued and sending notifications are unfinished, oldest first; done ones are not."""
    any_store.add_notification(_notification("n1", 1.0))
    any_store.add_notification(_notification("n2", 2.0))
    any_store.add_notification(_notification("n3", 3.0))
    any_store.set_status("n1", "done")
    any_store.set_status("n3", "sending")
    assert [n.id for n in any_store.unfinished_notifications()] == ["n2", "n3"]


def test_lookups_with_impossible_keys_find_nothing(any_store: Store) -> None:
    """A lone surrogate or a NUL in a looked-up key matches nothing instead of raising."""
    assert any_store.get_device("\ud800") is None
    assert any_store.get_device("a\x00b") is None
    assert any_store.get_notification("\x00") is None


def test_segments_round_trip(any_store: Store) -> None:
    """A saved segment reads back equal; saving the same name replaces it."""
    any_store.save_segment(Segment(name="s", user_ids=["u1"], platform="ios"))
    any_store.save_segment(Segment(name="s", app_id="com.example"))
    assert any_store.get_segment("s") == Segment(name="s", app_id="com.example")
    assert any_store.segments() == [Segment(name="s", app_id="com.example")]


def test_stats_count_outcomes_duplicates_and_engagement(any_store: Store) -> None:
    """stats() counts outcomes, failures by reason, retries, duplicates and distinct engagement."""
    any_store.add_notification(_notification())

    def outcome(token: str, ok: bool = True, attempts: int = 1) -> Delivery:
        return Delivery(
            notification_id="n1",
            token=token,
            platform="ios",
            outcome="accepted" if ok else "failed",
            push_id=None,
            http_status=200 if ok else 410,
            reason=None if ok else "Unregistered",
            at=1.0,
            attempts=attempts,
        )

    any_store.add_deliveries([outcome("a", attempts=3), outcome("a"), outcome("b", ok=False)])
    for event in ("opened", "opened", "received"):
        any_store.add_engagement(
            EngagementEvent(notification_id="n1", token="a", event=event, at=2)
        )
    stats = any_store.stats("n1")
    assert (stats["requested"], stats["sent"], stats["accepted"]) == (1, 3, 2)
    assert (stats["failed"], stats["retries"], stats["duplicates"]) == ({"Unregistered": 1}, 2, 1)
    assert (stats["opened"], stats["received"], stats["open_rate"]) == (1, 1, 0.5)
