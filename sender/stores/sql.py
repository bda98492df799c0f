"""``SqlStore``: the ``Store`` in SQL that SQLite and PostgreSQL both run.

Statements use ``?`` placeholders and the subset of SQL both engines share (``ON CONFLICT``,
``RETURNING``-free updates, ``CASE`` sums); the few differences are class attributes that each
engine's subclass sets: the database clock as epoch seconds (leases are judged on the database's
clock, so instances on machines whose clocks disagree still agree on who holds what) and the row
locks of claims (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write transactions already
serialize). Subclasses provide ``_tx``: a transaction (or, for reads, a plain connection).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol

from ..models import (
    Batch,
    Delivery,
    Device,
    EngagementEvent,
    Notification,
    NotificationRequest,
    Segment,
    Status,
)
from .cards import SqlCardStore
from .stats import StatsQueries

# SQLite allows 999 host parameters in old builds: stay well below for IN (...) lists.
_CHUNK = 500
_DELIVERY_COLUMNS = (
    "notification_id, token, platform, outcome, push_id, http_status, reason, at, attempts"
)


class Tx(Protocol):
    """One open transaction: ``?`` placeholders, rows as dicts."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...


class SqlStore(StatsQueries, SqlCardStore):
    """Everything but connections, transactions and migrations, which subclasses own."""

    NOW: ClassVar[str]
    """SQL for the database's clock in epoch seconds."""
    LOCK: ClassVar[str] = ""
    """Appended to a claim's SELECT: lock the rows, skip those another transaction holds."""
    BAD_KEY: ClassVar[tuple[type[Exception], ...]] = (UnicodeEncodeError,)
    """Errors a lookup key no row can hold raises (a lone surrogate, a NUL)."""

    def _tx(self, write: bool = True) -> AbstractContextManager[Tx]:
        raise NotImplementedError

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            with self._tx(write=False) as tx:
                return tx.query(sql, params)
        except self.BAD_KEY:
            return []  # a key no row can have matches nothing

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        with self._tx() as tx:
            return tx.execute(sql, params)

    # -- devices ------------------------------------------------------------------------------

    def upsert_device(self, device: Device) -> bool:
        with self._tx() as tx:
            known = tx.query("SELECT 1 AS known FROM devices WHERE token = ?", (device.token,))
            tx.execute(
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
        return not known

    def replace_installation(self, device: Device) -> list[Device]:
        if device.installation_id is None:
            return []
        with self._tx() as tx:
            rows = tx.query(
                "SELECT * FROM devices WHERE installation_id = ? AND app_id = ? AND active = 1"
                " AND token != ?",
                (device.installation_id, device.app_id, device.token),
            )
            tx.executemany(
                "UPDATE devices SET active = 0, inactive_reason = 'replaced' WHERE token = ?",
                [(row["token"],) for row in rows],
            )
        return [_device(row) for row in rows]

    def get_device(self, token: str) -> Device | None:
        rows = self._read("SELECT * FROM devices WHERE token = ?", (token,))
        return _device(rows[0]) if rows else None

    def active_devices_for(self, tokens: Sequence[str]) -> list[Device]:
        found: dict[str, Device] = {}
        for chunk in _chunks(list(dict.fromkeys(tokens))):
            marks = ", ".join("?" * len(chunk))
            for row in self._read(
                f"SELECT * FROM devices WHERE active = 1 AND token IN ({marks})", chunk
            ):
                found[row["token"]] = _device(row)
        return [found[t] for t in tokens if t in found]

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
        for chunk in _chunks(list(dict.fromkeys(user_ids))):
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
        return [_segment(row) for row in self._read("SELECT * FROM segments ORDER BY name")]

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
            "SELECT * FROM notifications WHERE status != 'done' ORDER BY created_at, rowid"
        )
        return [_notification(row) for row in rows]

    # -- shared work --------------------------------------------------------------------------

    def claim_notification(self, owner: str, lease: float) -> Notification | None:
        with self._tx() as tx:
            rows = tx.query(
                "SELECT * FROM notifications WHERE status = 'queued' AND"
                f" (owner IS NULL OR lease_until < {self.NOW}) ORDER BY created_at, rowid"
                f" LIMIT 1{self.LOCK}"
            )
            if not rows:
                return None
            tx.execute(
                f"UPDATE notifications SET owner = ?, lease_until = {self.NOW} + ? WHERE id = ?",
                (owner, lease, rows[0]["id"]),
            )
        return _notification(rows[0])

    def add_batches(self, notification_id: str, batches: Sequence[Sequence[str]]) -> bool:
        status = "sending" if batches else "done"
        with self._tx() as tx:
            # Only the first to resolve the audience stores it, even if a lease ran out meanwhile.
            if not tx.execute(
                "UPDATE notifications SET status = ?, owner = NULL, lease_until = NULL"
                " WHERE id = ? AND status = 'queued'",
                (status, notification_id),
            ):
                return False
            tx.executemany(
                "INSERT INTO batches (notification_id, seq, tokens) VALUES (?, ?, ?)",
                [
                    (notification_id, seq, json.dumps(list(tokens), separators=(",", ":")))
                    for seq, tokens in enumerate(batches)
                ],
            )
        return True

    def claim_batch(self, owner: str, lease: float) -> Batch | None:
        with self._tx() as tx:
            rows = tx.query(
                "SELECT notification_id, seq, tokens, owner, claims FROM batches WHERE done = 0"
                f" AND (owner IS NULL OR lease_until < {self.NOW}) ORDER BY rowid"
                f" LIMIT 1{self.LOCK}"
            )
            if not rows:
                return None
            row = rows[0]
            tx.execute(
                f"UPDATE batches SET owner = ?, lease_until = {self.NOW} + ?,"
                " claims = claims + 1 WHERE notification_id = ? AND seq = ?",
                (owner, lease, row["notification_id"], row["seq"]),
            )
            notification = _notification(
                tx.query("SELECT * FROM notifications WHERE id = ?", (row["notification_id"],))[0]
            )
            tokens: list[str] = json.loads(row["tokens"])
            if row["claims"]:
                # Claimed before: an instance died or stopped with it. Skip what has an outcome.
                done = _tokens(tx, notification.id, tokens)
                tokens = [t for t in tokens if t not in done]
        return Batch(
            notification=notification,
            seq=row["seq"],
            tokens=tokens,
            taken_over_from=row["owner"],
        )

    def finish_batch(self, notification_id: str, seq: int) -> bool:
        with self._tx() as tx:
            # Lock the notification first: two instances finishing its last two batches at once
            # must not each see the other's batch unfinished.
            tx.query(f"SELECT id FROM notifications WHERE id = ?{self.LOCK}", (notification_id,))
            tx.execute(
                "UPDATE batches SET done = 1, owner = NULL, tokens = '[]'"
                " WHERE notification_id = ? AND seq = ?",
                (notification_id, seq),
            )
            if tx.query(
                "SELECT seq FROM batches WHERE notification_id = ? AND done = 0 LIMIT 1",
                (notification_id,),
            ):
                return False
            return (
                tx.execute(
                    "UPDATE notifications SET status = 'done' WHERE id = ? AND status != 'done'",
                    (notification_id,),
                )
                > 0
            )

    def renew_claims(self, owner: str, lease: float) -> int:
        with self._tx() as tx:
            return tx.execute(
                f"UPDATE batches SET lease_until = {self.NOW} + ? WHERE owner = ? AND done = 0",
                (lease, owner),
            ) + tx.execute(
                f"UPDATE notifications SET lease_until = {self.NOW} + ?"
                " WHERE owner = ? AND status = 'queued'",
                (lease, owner),
            )

    def release_claims(self, owner: str) -> None:
        with self._tx() as tx:
            self._release(tx, "owner = ?", (owner,))

    @staticmethod
    def _release(tx: Tx, where: str, params: Sequence[Any]) -> None:
        tx.execute(f"UPDATE batches SET owner = NULL WHERE done = 0 AND {where}", params)
        tx.execute(f"UPDATE notifications SET owner = NULL WHERE {where}", params)

    # -- deliveries and engagement ------------------------------------------------------------

    def add_delivery(self, delivery: Delivery) -> None:
        self.add_deliveries([delivery])

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        with self._tx() as tx:
            tx.executemany(
                f"INSERT INTO deliveries ({_DELIVERY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE notification_id = ? ORDER BY rowid",
            (notification_id,),
        )
        return [Delivery(**row) for row in rows]

    def delivered_tokens(self, notification_id: str) -> set[str]:
        rows = self._read(
            "SELECT token FROM deliveries WHERE notification_id = ?", (notification_id,)
        )
        return {row["token"] for row in rows}

    def add_engagement(self, event: EngagementEvent) -> None:
        self._write(
            "INSERT INTO engagement_events (notification_id, token, event, at) VALUES (?, ?, ?, ?)",
            (event.notification_id, event.token, event.event, event.at),
        )

    def engagements(self, notification_id: str) -> list[EngagementEvent]:
        rows = self._read(
            "SELECT notification_id, token, event, at FROM engagement_events"
            " WHERE notification_id = ? ORDER BY rowid",
            (notification_id,),
        )
        return [EngagementEvent(**row) for row in rows]


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _tokens(tx: Tx, notification_id: str, tokens: list[str]) -> set[str]:
    """Which of ``tokens`` already have an outcome for the notification."""
    done: set[str] = set()
    for chunk in _chunks(tokens):
        marks = ", ".join("?" * len(chunk))
        done.update(
            row["token"]
            for row in tx.query(
                f"SELECT token FROM deliveries WHERE notification_id = ? AND token IN ({marks})",
                (notification_id, *chunk),
            )
        )
    return done


def _device(row: dict[str, Any]) -> Device:
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


def _segment(row: dict[str, Any]) -> Segment:
    return Segment(name=row["name"], **json.loads(row["definition"]))


def _notification(row: dict[str, Any]) -> Notification:
    return Notification(
        id=row["id"],
        request=NotificationRequest.from_json(json.loads(row["request"])),
        status=row["status"],
        created_at=row["created_at"],
    )
