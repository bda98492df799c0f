"""The outbox of card pushes, in SQL both engines run: claimed like campaign batches (``claims``).

``change_card`` (``cards``) writes a change's pushes already claimed by the instance that made
it, which sends them at once. A push leaves the outbox only with its outcome
(``finish_card_push``, one transaction); one worth another try goes back unclaimed with its next
attempt time (``retry_card_push``). So a push survives a crash at any point: its lease runs out
(or, on SQLite, the restarted sender releases it on opening) and any instance claims it again.
Claims lock the rows they read with the engine's ``LOCK`` clause (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``), so two instances never claim the same push.
"""

from __future__ import annotations

from typing import Any

from ..models import CardDelivery, CardPush
from .base import SqlBase


class CardOutboxQueries(SqlBase):
    """The card-outbox half of ``SqlStore``."""

    def claim_card_pushes(self, owner: str, lease: float, now: float, limit: int) -> list[CardPush]:
        with self._tx() as tx:
            rows = tx.query(
                "SELECT card_id, version, target, device_library_id, points_changed,"
                " tier_changed, attempts, owner FROM card_pushes"
                f" WHERE (owner IS NULL OR lease_until < {self.NOW})"
                " AND (not_before IS NULL OR not_before <= ?)"
                f" ORDER BY rowid LIMIT ?{self.LOCK}",
                (now, limit),
            )
            tx.executemany(
                f"UPDATE card_pushes SET owner = ?, lease_until = {self.NOW} + ?"
                " WHERE card_id = ? AND version = ? AND target = ?",
                [(owner, lease, *_key(row)) for row in rows],
            )
        return [_push(row) for row in rows]

    def finish_card_push(self, push: CardPush, outcome: CardDelivery) -> None:
        o = outcome
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO card_deliveries (card_id, version, target, device_library_id,"
                " outcome, status, reason, push_id, at, attempts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    o.card_id,
                    o.version,
                    o.target,
                    o.device_library_id,
                    o.outcome,
                    o.status,
                    o.reason,
                    o.push_id,
                    o.at,
                    o.attempts,
                ),
            )
            tx.execute(
                "DELETE FROM card_pushes WHERE card_id = ? AND version = ? AND target = ?",
                (push.card_id, push.version, push.target),
            )

    def retry_card_push(self, push: CardPush, not_before: float) -> None:
        self._write(
            "UPDATE card_pushes SET owner = NULL, lease_until = NULL, attempts = ?,"
            " not_before = ? WHERE card_id = ? AND version = ? AND target = ?",
            (push.attempts + 1, not_before, push.card_id, push.version, push.target),
        )


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["card_id"], row["version"], row["target"]


def _push(row: dict[str, Any]) -> CardPush:
    return CardPush(
        card_id=row["card_id"],
        version=row["version"],
        target=row["target"],
        device_library_id=row["device_library_id"],
        points_changed=bool(row["points_changed"]),
        tier_changed=bool(row["tier_changed"]),
        attempts=row["attempts"],
        # Still owned when claimed: its owner's lease ran out with the push in hand.
        taken_over_from=row["owner"],
    )
