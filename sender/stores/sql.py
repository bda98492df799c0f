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
from collections.abc import Sequence

from ..models import Delivery, Device, EngagementEvent, Notification, Segment, Status
from .base import chunks, device_of, notification_of, segment_of
from .card_outbox import CardOutboxQueries
from .cards import SqlCardStore
from .claims import WorkQueries
from .stats import StatsQueries

_DELIVERY_COLUMNS = (
    "notification_id, token, platform, outcome, push_id, http_status, reason, at, attempts"
)


class SqlStore(WorkQueries, CardOutboxQueries, StatsQueries, SqlCardStore):
    """Everything but connections, transactions and migrations, which subclasses own."""

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
        return [device_of(row) for row in rows]

    def get_device(self, token: str) -> Device | None:
        rows = self._read("SELECT * FROM devices WHERE token = ?", (token,))
        return device_of(rows[0]) if rows else None

    def active_devices_for(self, tokens: Sequence[str]) -> list[Device]:
        found: dict[str, Device] = {}
        for chunk in chunks(list(dict.fromkeys(tokens))):
            marks = ", ".join("?" * len(chunk))
            for row in self._read(
                f"SELECT * FROM devices WHERE active = 1 AND token IN ({marks})", chunk
            ):
                found[row["token"]] = device_of(row)
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
            return [device_of(row) for row in rows]
        found: list[Device] = []
        for chunk in chunks(list(dict.fromkeys(user_ids))):
            marks = ", ".join("?" * len(chunk))
            rows = self._read(
                f"{sql} AND user_id IN ({marks}) ORDER BY registered_at, token", [*params, *chunk]
            )
            found.extend(device_of(row) for row in rows)
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
        return segment_of(rows[0]) if rows else None

    def segments(self) -> list[Segment]:
        return [segment_of(row) for row in self._read("SELECT * FROM segments ORDER BY name")]

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
        return notification_of(rows[0]) if rows else None

    def unfinished_notifications(self) -> list[Notification]:
        rows = self._read(
            "SELECT * FROM notifications WHERE status != 'done' ORDER BY created_at, rowid"
        )
        return [notification_of(row) for row in rows]

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
