"""Work shared between sender instances, in SQL both engines run: claims with leases on
queued notifications, on batches of their audience (see ``protocol`` for the contract) and on
the card pushes of the outbox (``card_outbox``).

Claims lock the rows they read with the engine's ``LOCK`` clause (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's write transactions already serialize), and judge leases on the database's
clock (``NOW``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..models import Batch, Notification
from .base import SqlBase, Tx, notification_of, with_outcome


class WorkQueries(SqlBase):
    """The shared-work half of ``SqlStore``."""

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
        return notification_of(rows[0])

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
            notification = notification_of(
                tx.query("SELECT * FROM notifications WHERE id = ?", (row["notification_id"],))[0]
            )
            tokens: list[str] = json.loads(row["tokens"])
            if row["claims"]:
                # Claimed before: an instance died or stopped with it. Skip what has an outcome.
                done = with_outcome(tx, notification.id, tokens)
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
                f"UPDATE card_pushes SET lease_until = {self.NOW} + ? WHERE owner = ?",
                (lease, owner),
            )

    def release_claims(self, owner: str) -> None:
        with self._tx() as tx:
            self._release(tx, "owner = ?", (owner,))

    @staticmethod
    def _release(tx: Tx, where: str, params: Sequence[Any]) -> None:
        tx.execute(f"UPDATE batches SET owner = NULL WHERE done = 0 AND {where}", params)
        tx.execute(f"UPDATE notifications SET owner = NULL WHERE {where}", params)
        tx.execute(f"UPDATE card_pushes SET owner = NULL WHERE {where}", params)
