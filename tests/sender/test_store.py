"""SqliteStore: schema migrations, WAL, and durability across reopen."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sender import SqliteStore
from sender.models import Delivery, Device, EngagementEvent, Notification, NotificationRequest
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


def test_everything_survives_reopen(tmp_path: Path) -> None:
    """Devices, notifications, deliveries and engagement are committed and read back."""
    store = SqliteStore(tmp_path / "s.db")
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

    reopened = SqliteStore(tmp_path / "s.db")
    assert reopened.get_device("ab" * 32) == _device()
    assert reopened.get_notification("n1") == _notification()
    assert reopened.deliveries("n1") == [delivery]
    assert reopened.engagements("n1") == [engagement]
    reopened.close()


def test_upsert_reports_new_and_known_tokens(store: SqliteStore) -> None:
    """upsert_device returns True for a new token and False for a known one, which it updates."""
    assert store.upsert_device(_device()) is True
    assert store.upsert_device(_device(user="u2", at=5.0)) is False
    assert store.get_device("ab" * 32) == _device(user="u2", at=5.0)


def test_inactive_devices_are_not_listed(store: SqliteStore) -> None:
    """active_devices omits deactivated tokens; deactivating an unknown token reports False."""
    store.upsert_device(_device("aa" * 32))
    store.upsert_device(_device("bb" * 32))
    assert store.deactivate_device("aa" * 32) is True
    assert store.deactivate_device("cc" * 32) is False
    assert [d.token for d in store.active_devices("u1")] == ["bb" * 32]


def test_unfinished_notifications_exclude_done(store: SqliteStore) -> None:
    """Queued and sending notifications are unfinished, oldest first; done ones are not."""
    store.add_notification(_notification("n1", 1.0))
    store.add_notification(_notification("n2", 2.0))
    store.add_notification(_notification("n3", 3.0))
    store.set_status("n1", "done")
    store.set_status("n3", "sending")
    assert [n.id for n in store.unfinished_notifications()] == ["n2", "n3"]
