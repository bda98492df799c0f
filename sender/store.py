"""Where the sender keeps devices, notifications, deliveries, segments and engagement.

``Store`` is the interface the service uses; ``SqliteStore`` is the embedded default (a PostgreSQL
store can implement the same protocol later, see DESIGN.md "Growing past one process"). Callers
never see SQL. Every write is committed before the method returns, so a notification the API
accepted survives a crash; deliveries are written in batches (``add_deliveries``), one
transaction each.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from .migrations import MIGRATIONS
from .models import (
    Delivery,
    Device,
    EngagementEvent,
    Notification,
    NotificationRequest,
    Segment,
    Status,
)

__all__ = ["MIGRATIONS", "SqliteStore", "Store"]

# SQLite allows 999 host parameters in old builds: stay well below for IN (...) lists.
_CHUNK = 500


class Store(Protocol):
    """The sender's persistent state."""

    def upsert_device(self, device: Device) -> bool:
        """Save ``device`` (re-registration replaces user, app, time, active); True if new."""
        ...

    def replace_installation(self, device: Device) -> list[Device]:
        """Deactivate the other active tokens of ``device``'s installation; returns them."""
        ...

    def get_device(self, token: str) -> Device | None: ...

    def deactivate_device(self, token: str, reason: str | None = None) -> bool:
        """Mark a token inactive; False when the token is unknown."""
        ...

    def active_devices(self, user_id: str) -> list[Device]: ...

    def find_devices(
        self,
        *,
        user_ids: Sequence[str] | None = None,
        platform: str | None = None,
        app_id: str | None = None,
    ) -> list[Device]:
        """Active devices matching every filter given (none: every active device)."""
        ...

    def save_segment(self, segment: Segment) -> None: ...

    def get_segment(self, name: str) -> Segment | None: ...

    def segments(self) -> list[Segment]: ...

    def add_notification(self, notification: Notification) -> None: ...

    def set_status(self, notification_id: str, status: Status) -> None: ...

    def get_notification(self, notification_id: str) -> Notification | None: ...

    def unfinished_notifications(self) -> list[Notification]:
        """Notifications still queued or sending, oldest first (to resume after a restart)."""
        ...

    def add_delivery(self, delivery: Delivery) -> None: ...

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Save many outcomes in one transaction."""
        ...

    def deliveries(self, notification_id: str) -> list[Delivery]: ...

    def delivered_tokens(self, notification_id: str) -> set[str]:
        """Tokens that already have an outcome for this notification."""
        ...

    def add_engagement(self, event: EngagementEvent) -> None: ...

    def engagements(self, notification_id: str) -> list[EngagementEvent]: ...

    def stats(self, notification_id: str | None = None) -> dict[str, Any]:
        """Counters over everything, or over one notification (see ``SqliteStore.stats``)."""
        ...

    def close(self) -> None: ...


class SqliteStore:
    """``Store`` on one SQLite file in WAL mode; ``":memory:"`` works for throwaway use."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        # One connection, guarded by a lock: the service runs on one event loop, but uvicorn or
        # a test may touch the store from another thread.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (not a power cut).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
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

    def _read(self, sql: str, params: Iterable[Any]) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except UnicodeEncodeError:
                return []  # a key no row can have (a lone surrogate) matches nothing

    # -- devices ------------------------------------------------------------------------------

    def upsert_device(self, device: Device) -> bool:
        with self._lock, self._transaction():
            known = self._db.execute(
                "SELECT 1 FROM devices WHERE token = ?", (device.token,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO devices (token, user_id, platform, app_id, registered_at, active,"
                " installation_id, inactive_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (token) DO UPDATE SET"
                " user_id = excluded.user_id, platform = excluded.platform,"
                " app_id = excluded.app_id, registered_at = excluded.registered_at,"
                " active = excluded.active, installation_id = excluded.installation_id,"
                " inactive_reason = excluded.inactive_reason",
                (
                    device.token,
                    device.user_id,
                    device.platform,
                    device.app_id,
                    device.registered_at,
                    int(device.active),
                    device.installation_id,
                    device.inactive_reason,
                ),
            )
        return known is None

    def replace_installation(self, device: Device) -> list[Device]:
        if device.installation_id is None:
            return []
        with self._lock, self._transaction():
            rows = self._db.execute(
                "SELECT * FROM devices WHERE installation_id = ? AND app_id = ? AND active = 1"
                " AND token != ?",
                (device.installation_id, device.app_id, device.token),
            ).fetchall()
            self._db.executemany(
                "UPDATE devices SET active = 0, inactive_reason = 'replaced' WHERE token = ?",
                [(row["token"],) for row in rows],
            )
        return [_device(row) for row in rows]

    def get_device(self, token: str) -> Device | None:
        rows = self._read("SELECT * FROM devices WHERE token = ?", (token,))
        return _device(rows[0]) if rows else None

    def deactivate_device(self, token: str, reason: str | None = None) -> bool:
        return (
            self._write(
                "UPDATE devices SET active = 0, inactive_reason = ? WHERE token = ?",
                (reason, token),
            )
            > 0
        )

    def active_devices(self, user_id: str) -> list[Device]:
        return self.find_devices(user_ids=[user_id])

    def find_devices(
        self,
        *,
        user_ids: Sequence[str] | None = None,
        platform: str | None = None,
        app_id: str | None = None,
    ) -> list[Device]:
        where, params = ["active = 1"], []
        if platform is not None:
            where.append("platform = ?")
            params.append(platform)
        if app_id is not None:
            where.append("app_id = ?")
            params.append(app_id)
        sql = f"SELECT * FROM devices WHERE {' AND '.join(where)}"
        if user_ids is None:
            rows = self._read(sql + " ORDER BY registered_at, token", params)
            return [_device(row) for row in rows]
        found: list[Device] = []
        unique = list(dict.fromkeys(user_ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = self._read(
                f"{sql} AND user_id IN ({marks}) ORDER BY registered_at, token", [*params, *chunk]
            )
            found.extend(_device(row) for row in rows)
        return found

    # -- segments -----------------------------------------------------------------------------

    def save_segment(self, segment: Segment) -> None:
        definition = {k: v for k, v in segment.to_json().items() if k != "name"}
        self._write(
            "INSERT INTO segments (name, definition) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET definition = excluded.definition",
            (segment.name, json.dumps(definition)),
        )

    def get_segment(self, name: str) -> Segment | None:
        rows = self._read("SELECT * FROM segments WHERE name = ?", (name,))
        return _segment(rows[0]) if rows else None

    def segments(self) -> list[Segment]:
        return [_segment(row) for row in self._read("SELECT * FROM segments ORDER BY name", ())]

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
        self.add_deliveries([delivery])

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        with self._lock, self._transaction():
            self._db.executemany(
                "INSERT INTO deliveries (notification_id, token, platform, outcome, push_id,"
                " http_status, reason, at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d.notification_id,
                        d.token,
                        d.platform,
                        d.outcome,
                        d.push_id,
                        d.http_status,
                        d.reason,
                        d.at,
                        d.attempts,
                    )
                    for d in deliveries
                ],
            )

    def deliveries(self, notification_id: str) -> list[Delivery]:
        rows = self._read(
            "SELECT * FROM deliveries WHERE notification_id = ? ORDER BY rowid", (notification_id,)
        )
        return [Delivery(**dict(row)) for row in rows]

    def delivered_tokens(self, notification_id: str) -> set[str]:
        rows = self._read(
            "SELECT token FROM deliveries WHERE notification_id = ?", (notification_id,)
        )
        return {row[0] for row in rows}

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

    # -- stats --------------------------------------------------------------------------------

    def stats(self, notification_id: str | None = None) -> dict[str, Any]:
        """``requested``, ``sent``, ``accepted``, ``failed`` (by reason), ``retries``,
        ``tokens_pruned`` (by reason; only without ``notification_id``), ``received``,
        ``opened``, ``dismissed`` (distinct devices) and ``open_rate`` (opened / accepted)."""
        scope, params = (
            ("WHERE notification_id = ?", (notification_id,)) if notification_id else ("", ())
        )
        and_scope = f"{scope} AND" if scope else "WHERE"
        if notification_id:
            requested = len(self._read("SELECT 1 FROM notifications WHERE id = ?", params))
        else:
            requested = self._read("SELECT count(*) FROM notifications", ())[0][0]
        sent, accepted, retries = self._read(
            "SELECT count(*), coalesce(sum(outcome = 'accepted'), 0),"
            f" coalesce(sum(attempts - 1), 0) FROM deliveries {scope}",
            params,
        )[0]
        failed = {
            row[0] or "unknown": row[1]
            for row in self._read(
                f"SELECT reason, count(*) FROM deliveries {and_scope} outcome = 'failed'"
                " GROUP BY reason ORDER BY reason",
                params,
            )
        }
        engaged = {
            row[0]: row[1]
            for row in self._read(
                "SELECT event, count(*) FROM (SELECT DISTINCT notification_id, token, event"
                f" FROM engagement_events {scope}) GROUP BY event",
                params,
            )
        }
        result: dict[str, Any] = {
            "requested": requested,
            "sent": sent,
            "accepted": accepted,
            "failed": failed,
            "retries": retries,
            "received": engaged.get("received", 0),
            "opened": engaged.get("opened", 0),
            "dismissed": engaged.get("dismissed", 0),
            "open_rate": engaged.get("opened", 0) / accepted if accepted else 0.0,
        }
        if not notification_id:
            pruned = {
                row[0]: row[1]
                for row in self._read(
                    "SELECT inactive_reason, count(*) FROM devices WHERE active = 0 AND"
                    " inactive_reason IS NOT NULL AND inactive_reason NOT IN"
                    " ('unregistered', 'replaced') GROUP BY inactive_reason",
                    (),
                )
            }
            result["tokens_pruned"] = sum(pruned.values())
            result["tokens_pruned_by_reason"] = pruned
        return result

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
        installation_id=row["installation_id"],
        inactive_reason=row["inactive_reason"],
    )


def _segment(row: sqlite3.Row) -> Segment:
    return Segment(name=row["name"], **json.loads(row["definition"]))


def _notification(row: sqlite3.Row) -> Notification:
    return Notification(
        id=row["id"],
        request=NotificationRequest.from_json(json.loads(row["request"])),
        status=row["status"],
        created_at=row["created_at"],
    )
