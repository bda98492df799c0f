"""Where the sender keeps devices, notifications, deliveries and engagement.

``Store`` is the interface the service uses; ``SqliteStore`` is the embedded default (a PostgreSQL
store can implement the same protocol later, see DESIGN.md "Growing past one process"). Callers
never see SQL. Every write is committed before the method returns, so a notification the API
accepted survives a crash.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from .models import Delivery, Device, EngagementEvent, Notification, NotificationRequest, Status


class Store(Protocol):
    """The sender's persistent state."""

    def upsert_device(self, device: Device) -> bool:
        """Save ``device`` (re-registration replaces user, app, time, active); True if new."""
        ...

    def get_device(self, token: str) -> Device | None: ...

    def deactivate_device(self, token: str) -> bool:
        """Mark a token inactive; False when the token is unknown."""
        ...

    def active_devices(self, user_id: str) -> list[Device]: ...

    def add_notification(self, notification: Notification) -> None: ...

    def set_status(self, notification_id: str, status: Status) -> None: ...

    def get_notification(self, notification_id: str) -> Notification | None: ...

    def unfinished_notifications(self) -> list[Notification]:
        """Notifications still queued or sending, oldest first (to resume after a restart)."""
        ...

    def add_delivery(self, delivery: Delivery) -> None: ...

    def deliveries(self, notification_id: str) -> list[Delivery]: ...

    def add_engagement(self, event: EngagementEvent) -> None: ...

    def engagements(self, notification_id: str) -> list[EngagementEvent]: ...

    def close(self) -> None: ...


# Each entry upgrades the schema by one version; append, never edit a released entry.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE devices (
        token TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        platform TEXT NOT NULL CHECK (platform IN ('ios', 'android')),
        app_id TEXT NOT NULL,
        registered_at REAL NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX devices_user ON devices (user_id, active);
    CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        request TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'done')),
        created_at REAL NOT NULL
    );
    CREATE INDEX notifications_status ON notifications (status, created_at);
    CREATE TABLE deliveries (
        notification_id TEXT NOT NULL REFERENCES notifications (id),
        token TEXT NOT NULL,
        platform TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'failed')),
        push_id TEXT,
        http_status INTEGER NOT NULL,
        reason TEXT,
        at REAL NOT NULL
    );
    CREATE INDEX deliveries_notification ON deliveries (notification_id);
    CREATE TABLE engagement_events (
        notification_id TEXT NOT NULL REFERENCES notifications (id),
        token TEXT NOT NULL,
        event TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX engagement_notification ON engagement_events (notification_id);
    """,
)


class SqliteStore:
    """``Store`` on one SQLite file in WAL mode; ``":memory:"`` works for throwaway use."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        # One connection, guarded by a lock: the service runs on one event loop, but uvicorn or
        # a test may touch the store from another thread.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    # -- schema -------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """The number of migrations applied to this file."""
        with self._lock:
            return self._version()

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def _version(self) -> int:
        row = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _migrate(self) -> None:
        with self._lock, self._transaction():
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            for version, script in enumerate(MIGRATIONS[self._version() :], self._version() + 1):
                for statement in filter(str.strip, script.split(";")):
                    self._db.execute(statement)
                self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except UnicodeEncodeError:
                return []  # a key no row can have (a lone surrogate) matches nothing

    # -- devices ------------------------------------------------------------------------------

    def upsert_device(self, device: Device) -> bool:
        with self._lock, self._transaction():
            known = self._db.execute(
                "SELECT 1 FROM devices WHERE token = ?", (device.token,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO devices (token, user_id, platform, app_id, registered_at, active)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token) DO UPDATE SET"
                " user_id = excluded.user_id, platform = excluded.platform,"
                " app_id = excluded.app_id, registered_at = excluded.registered_at,"
                " active = excluded.active",
                (
                    device.token,
                    device.user_id,
                    device.platform,
                    device.app_id,
                    device.registered_at,
                    int(device.active),
                ),
            )
        return known is None

    def get_device(self, token: str) -> Device | None:
        rows = self._read("SELECT * FROM devices WHERE token = ?", (token,))
        return _device(rows[0]) if rows else None

    def deactivate_device(self, token: str) -> bool:
        return self._write("UPDATE devices SET active = 0 WHERE token = ?", (token,)) > 0

    def active_devices(self, user_id: str) -> list[Device]:
        rows = self._read(
            "SELECT * FROM devices WHERE user_id = ? AND active = 1 ORDER BY registered_at, token",
            (user_id,),
        )
        return [_device(row) for row in rows]

    # -- notifications ------------------------------------------------------------------------

    def add_notification(self, notification: Notification) -> None:
        self._write(
            "INSERT INTO notifications (id, request, status, created_at) VALUES (?, ?, ?, ?)",
            (
                notification.id,
                json.dumps(notification.request.to_json(), separators=(",", ":")),
                notification.status,
                notification.created_at,
            ),
        )

    def set_status(self, notification_id: str, status: Status) -> None:
        self._write("UPDATE notifications SET status = ? WHERE id = ?", (status, notification_id))

    def get_notification(self, notification_id: str) -> Notification | None:
        rows = self._read("SELECT * FROM notifications WHERE id = ?", (notification_id,))
        return _notification(rows[0]) if rows else None

    def unfinished_notifications(self) -> list[Notification]:
        rows = self._read(
            "SELECT * FROM notifications WHERE status != 'done' ORDER BY created_at, rowid", ()
        )
        return [_notification(row) for row in rows]

    # -- deliveries and engagement ------------------------------------------------------------

    def add_delivery(self, delivery: Delivery) -> None:
        self._write(
            "INSERT INTO deliveries (notification_id, token, platform, outcome, push_id,"
            " http_status, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                delivery.notification_id,
                delivery.token,
                delivery.platform,
                delivery.outcome,
                delivery.push_id,
                delivery.http_status,
                delivery.reason,
                delivery.at,
            ),
        )

    def deliveries(self, notification_id: str) -> list[Delivery]:
        rows = self._read(
            "SELECT * FROM deliveries WHERE notification_id = ? ORDER BY rowid", (notification_id,)
        )
        return [Delivery(**dict(row)) for row in rows]

    def add_engagement(self, event: EngagementEvent) -> None:
        self._write(
            "INSERT INTO engagement_events (notification_id, token, event, at) VALUES (?, ?, ?, ?)",
            (event.notification_id, event.token, event.event, event.at),
        )

    def engagements(self, notification_id: str) -> list[EngagementEvent]:
        rows = self._read(
            "SELECT * FROM engagement_events WHERE notification_id = ? ORDER BY rowid",
            (notification_id,),
        )
        return [EngagementEvent(**dict(row)) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _device(row: sqlite3.Row) -> Device:
    return Device(
        token=row["token"],
        platform=row["platform"],
        app_id=row["app_id"],
        user_id=row["user_id"],
        registered_at=row["registered_at"],
        active=bool(row["active"]),
    )


def _notification(row: sqlite3.Row) -> Notification:
    return Notification(
        id=row["id"],
        request=NotificationRequest.from_json(json.loads(row["request"])),
        status=row["status"],
        created_at=row["created_at"],
    )
