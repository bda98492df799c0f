"""Where the sender keeps loyalty cards, the devices registered for their passes, their changes,
the outcome of each update push and the devices' web-service logs.

A change and the pushes it owes are one transaction (``change_card`` writes the outbox,
``card_pushes``, claimed by the caller); the outbox's claims are in ``card_outbox``.

``CardStore`` is the part of the ``Store`` protocol about cards; ``SqlCardStore`` implements it in
the SQL both engines run (``SqlStore`` provides the transactions; tables: the cards migration of
each engine). The only subtle rule is the update tag: each
new or changed card takes the next value of one sequence over all cards (``tag``), so "serials
changed since tag T" never misses a change made in the same second as another
(reference/wallet.md §1: django-walletpass loses updates that way). ``modified_at`` is the pass's
``Last-Modified`` in whole seconds, strictly increasing per card for the same reason. The tag is
taken under the engine's ``CARD_TAG_LOCK`` (PostgreSQL: an advisory lock; SQLite's write
transactions already serialize), so tags are handed out in commit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol

from ..models import (
    GOOGLE_WALLET_TARGET,
    CardDelivery,
    CardPush,
    CardUpdate,
    LoyaltyCard,
    PassRegistration,
)


class CardStore(Protocol):
    """Loyalty cards and their passes' registrations."""

    def add_card(self, card: LoyaltyCard) -> LoyaltyCard:
        """Save a new card (version 1) with the next update tag; returns it as stored."""
        ...

    def get_card(self, card_id: str) -> LoyaltyCard | None: ...

    def cards(self, user_id: str | None = None) -> list[LoyaltyCard]:
        """Every card (of one user), oldest first."""
        ...

    def change_card(
        self, card_id: str, *, points: int, tier: str, at: float, owner: str, lease: float
    ) -> tuple[LoyaltyCard, list[CardPush]] | None:
        """Set points and tier as the next version, with the next update tag and a later
        ``modified_at``, and put the pushes it owes in the outbox (one per push token registered
        for an Apple pass, one for a Google card) claimed by ``owner`` for ``lease`` seconds,
        all in one transaction; None for an unknown card."""
        ...

    def card_updates(self, card_id: str, version: int | None = None) -> list[CardUpdate]:
        """Every version of the card (or only ``version``), oldest first, each with its delivery
        outcomes and the targets still in the outbox."""
        ...

    def claim_card_pushes(self, owner: str, lease: float, now: float, limit: int) -> list[CardPush]:
        """Claim up to ``limit`` outbox pushes nobody holds (or whose lease ran out) and whose
        retry time (on the sender's clock, ``now``) has come, for ``lease`` seconds."""
        ...

    def finish_card_push(self, push: CardPush, outcome: CardDelivery) -> None:
        """Record the push's outcome and take it out of the outbox, in one transaction."""
        ...

    def retry_card_push(self, push: CardPush, not_before: float) -> None:
        """Give the push back to the outbox with one more attempt counted, to be sent again
        from ``not_before`` (the sender's clock) by whichever instance claims it."""
        ...

    def register_pass(self, registration: PassRegistration) -> bool:
        """Save a device's registration for a pass; True if new. A known one takes the new
        push token (reference/wallet.md §1: "replace a changed pushToken")."""
        ...

    def unregister_pass(self, device_library_id: str, pass_type_id: str, serial: str) -> bool:
        """Forget a registration; False when there was none."""
        ...

    def pass_registrations(self, pass_type_id: str, serial: str) -> list[PassRegistration]:
        """The devices registered for one pass."""
        ...

    def updated_serials(
        self, device_library_id: str, pass_type_id: str, since_tag: int | None
    ) -> list[tuple[str, int]]:
        """``(serial, tag)`` of the device's passes of that type whose tag is above
        ``since_tag`` (all of them when None), by tag."""
        ...

    def device_known(self, device_library_id: str) -> bool:
        """Whether the device has any registration."""
        ...

    def drop_push_token(self, push_token: str) -> list[PassRegistration]:
        """Delete every registration using a dead push token; returns them."""
        ...

    def add_pass_log(self, at: float, messages: Sequence[str], keep: int) -> None:
        """Store ``messages``, keeping only the newest ``keep`` of all stored."""
        ...

    def pass_logs(self) -> list[tuple[float, str]]:
        """The logged device messages kept, oldest first."""
        ...

    def card_stats(self) -> dict[str, Any]:
        """Counters over cards (see ``SqlCardStore.card_stats``)."""
        ...


class SqlCardStore:
    """``CardStore`` in shared SQL, for ``SqlStore`` (which provides ``_tx``, ``_read``)."""

    NOW: ClassVar[str]
    CARD_TAG_LOCK: ClassVar[str | None] = None
    """A statement that serializes tag assignment within a transaction, if the engine needs one."""

    def _tx(self, write: bool = True) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        raise NotImplementedError

    # -- cards --------------------------------------------------------------------------------

    def add_card(self, card: LoyaltyCard) -> LoyaltyCard:
        with self._tx() as tx:
            tag = self._next_tag(tx)
            tx.execute(
                "INSERT INTO cards (card_id, user_id, platform, program, member_name, points,"
                " tier, auth_token, version, tag, modified_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                (
                    card.card_id,
                    card.user_id,
                    card.platform,
                    card.program,
                    card.member_name,
                    card.points,
                    card.tier,
                    card.auth_token,
                    tag,
                    int(card.created_at),
                    card.created_at,
                ),
            )
            tx.execute(
                "INSERT INTO card_updates (card_id, version, at, points, tier)"
                " VALUES (?, 1, ?, ?, ?)",
                (card.card_id, card.created_at, card.points, card.tier),
            )
            return _card(tx.query("SELECT * FROM cards WHERE card_id = ?", (card.card_id,))[0])

    def get_card(self, card_id: str) -> LoyaltyCard | None:
        rows = self._read("SELECT * FROM cards WHERE card_id = ?", (card_id,))
        return _card(rows[0]) if rows else None

    def cards(self, user_id: str | None = None) -> list[LoyaltyCard]:
        if user_id is None:
            rows = self._read("SELECT * FROM cards ORDER BY created_at, card_id")
        else:
            rows = self._read(
                "SELECT * FROM cards WHERE user_id = ? ORDER BY created_at, card_id", (user_id,)
            )
        return [_card(row) for row in rows]

    def change_card(
        self, card_id: str, *, points: int, tier: str, at: float, owner: str, lease: float
    ) -> tuple[LoyaltyCard, list[CardPush]] | None:
        with self._tx() as tx:
            tag = self._next_tag(tx)
            rows = tx.query("SELECT * FROM cards WHERE card_id = ?", (card_id,))
            if not rows:
                return None
            before = _card(rows[0])
            version = before.version + 1
            modified = max(int(at), before.modified_at + 1)
            tx.execute(
                "UPDATE cards SET points = ?, tier = ?, version = ?, tag = ?, modified_at = ?"
                " WHERE card_id = ?",
                (points, tier, version, tag, modified, card_id),
            )
            tx.execute(
                "INSERT INTO card_updates (card_id, version, at, points, tier)"
                " VALUES (?, ?, ?, ?, ?)",
                (card_id, version, at, points, tier),
            )
            pushes = [
                CardPush(
                    card_id=card_id,
                    version=version,
                    target=target,
                    device_library_id=dlid,
                    points_changed=points != before.points,
                    tier_changed=tier != before.tier,
                )
                for target, dlid in self._targets(tx, before)
            ]
            tx.executemany(
                "INSERT INTO card_pushes (card_id, version, target, device_library_id,"
                " points_changed, tier_changed, owner, lease_until)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, {self.NOW} + ?)",
                [
                    (
                        p.card_id,
                        p.version,
                        p.target,
                        p.device_library_id,
                        int(p.points_changed),
                        int(p.tier_changed),
                        owner,
                        lease,
                    )
                    for p in pushes
                ],
            )
            card = _card(tx.query("SELECT * FROM cards WHERE card_id = ?", (card_id,))[0])
            return card, pushes

    @staticmethod
    def _targets(tx: Any, card: LoyaltyCard) -> list[tuple[str, str | None]]:
        """Whom a change of ``card`` must tell: each push token registered for the Apple pass,
        once (a device registered under two library ids has one token), or Google Wallet."""
        if card.platform == "android":
            return [(GOOGLE_WALLET_TARGET, None)]
        tokens: dict[str, str] = {}
        for row in tx.query(
            "SELECT push_token, device_library_id FROM pass_registrations"
            " WHERE pass_type_id = ? AND serial_number = ? ORDER BY registered_at,"
            " device_library_id",
            (card.program, card.card_id),
        ):
            tokens.setdefault(row["push_token"], row["device_library_id"])
        return list(tokens.items())

    def card_updates(self, card_id: str, version: int | None = None) -> list[CardUpdate]:
        where = "card_id = ?"
        params: list[Any] = [card_id]
        if version is not None:
            where += " AND version = ?"
            params.append(version)
        outcomes: dict[int, list[CardDelivery]] = {}
        for row in self._read(
            "SELECT card_id, version, target, device_library_id, outcome, status, reason,"
            f" push_id, at, attempts FROM card_deliveries WHERE {where} ORDER BY rowid",
            params,
        ):
            outcomes.setdefault(row["version"], []).append(CardDelivery(**row))
        pending: dict[int, list[str]] = {}
        for row in self._read(
            f"SELECT version, target FROM card_pushes WHERE {where} ORDER BY target", params
        ):
            pending.setdefault(row["version"], []).append(row["target"])
        return [
            CardUpdate(
                **row,
                outcomes=tuple(outcomes.get(row["version"], ())),
                pending=tuple(pending.get(row["version"], ())),
            )
            for row in self._read(
                f"SELECT card_id, version, at, points, tier FROM card_updates WHERE {where}"
                " ORDER BY version",
                params,
            )
        ]

    # -- pass registrations -------------------------------------------------------------------

    def register_pass(self, registration: PassRegistration) -> bool:
        r = registration
        key = (r.device_library_id, r.pass_type_id, r.serial_number)
        with self._tx() as tx:
            known = tx.query(
                "SELECT 1 AS known FROM pass_registrations WHERE device_library_id = ?"
                " AND pass_type_id = ? AND serial_number = ?",
                key,
            )
            tx.execute(
                "INSERT INTO pass_registrations (device_library_id, pass_type_id, serial_number,"
                " push_token, registered_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (device_library_id, pass_type_id, serial_number)"
                " DO UPDATE SET push_token = excluded.push_token",
                (*key, r.push_token, r.registered_at),
            )
        return not known

    def unregister_pass(self, device_library_id: str, pass_type_id: str, serial: str) -> bool:
        try:
            deleted = self._write(
                "DELETE FROM pass_registrations WHERE device_library_id = ? AND pass_type_id = ?"
                " AND serial_number = ?",
                (device_library_id, pass_type_id, serial),
            )
        except (UnicodeEncodeError, ValueError):
            return False  # a key no row can hold
        return deleted > 0

    def pass_registrations(self, pass_type_id: str, serial: str) -> list[PassRegistration]:
        rows = self._read(
            "SELECT * FROM pass_registrations WHERE pass_type_id = ? AND serial_number = ?"
            " ORDER BY registered_at, device_library_id",
            (pass_type_id, serial),
        )
        return [PassRegistration(**row) for row in rows]

    def updated_serials(
        self, device_library_id: str, pass_type_id: str, since_tag: int | None
    ) -> list[tuple[str, int]]:
        rows = self._read(
            "SELECT r.serial_number AS serial, c.tag AS tag FROM pass_registrations r"
            " JOIN cards c ON c.card_id = r.serial_number AND c.program = r.pass_type_id"
            " WHERE r.device_library_id = ? AND r.pass_type_id = ? AND c.tag > ?"
            " ORDER BY c.tag",
            (device_library_id, pass_type_id, -1 if since_tag is None else since_tag),
        )
        return [(row["serial"], row["tag"]) for row in rows]

    def device_known(self, device_library_id: str) -> bool:
        return bool(
            self._read(
                "SELECT 1 AS known FROM pass_registrations WHERE device_library_id = ? LIMIT 1",
                (device_library_id,),
            )
        )

    def drop_push_token(self, push_token: str) -> list[PassRegistration]:
        with self._tx() as tx:
            rows = tx.query("SELECT * FROM pass_registrations WHERE push_token = ?", (push_token,))
            tx.execute("DELETE FROM pass_registrations WHERE push_token = ?", (push_token,))
        return [PassRegistration(**row) for row in rows]

    # -- logs and stats -----------------------------------------------------------------------

    def add_pass_log(self, at: float, messages: Sequence[str], keep: int) -> None:
        with self._tx() as tx:
            tx.executemany(
                "INSERT INTO pass_logs (at, message) VALUES (?, ?)", [(at, m) for m in messages]
            )
            tx.execute(
                "DELETE FROM pass_logs WHERE rowid <= (SELECT rowid FROM pass_logs"
                " ORDER BY rowid DESC LIMIT 1 OFFSET ?)",
                (keep,),
            )

    def pass_logs(self) -> list[tuple[float, str]]:
        rows = self._read("SELECT at, message FROM pass_logs ORDER BY rowid")
        return [(row["at"], row["message"]) for row in rows]

    def card_stats(self) -> dict[str, Any]:
        """``cards``, ``issued`` (by platform), ``updates`` (changes after issue),
        ``registered_devices`` (pass registrations), ``sent`` / ``accepted`` / ``failed`` (by
        reason) update pushes, ``pending`` (still owed: in the outbox) and ``device_logs``."""
        issued = {
            row["platform"]: row["n"]
            for row in self._read("SELECT platform, count(*) AS n FROM cards GROUP BY platform")
        }
        totals = self._read(
            "SELECT count(*) AS sent,"
            " coalesce(sum(CASE WHEN outcome = 'accepted' THEN 1 ELSE 0 END), 0) AS accepted"
            " FROM card_deliveries"
        )[0]
        failed = {
            row["reason"] or "unknown": row["n"]
            for row in self._read(
                "SELECT reason, count(*) AS n FROM card_deliveries WHERE outcome = 'failed'"
                " GROUP BY reason ORDER BY reason"
            )
        }

        def count(sql: str) -> int:
            return int(self._read(sql)[0]["n"])

        return {
            "cards": sum(issued.values()),
            "issued": issued,
            "updates": count("SELECT count(*) AS n FROM card_updates WHERE version > 1"),
            "registered_devices": count("SELECT count(*) AS n FROM pass_registrations"),
            "sent": int(totals["sent"]),
            "accepted": int(totals["accepted"]),
            "failed": failed,
            "pending": count("SELECT count(*) AS n FROM card_pushes"),
            "device_logs": count("SELECT count(*) AS n FROM pass_logs"),
        }

    def _next_tag(self, tx: Any) -> int:
        if self.CARD_TAG_LOCK is not None:
            tx.execute(self.CARD_TAG_LOCK)
        return int(tx.query("SELECT coalesce(max(tag), 0) + 1 AS tag FROM cards")[0]["tag"])


def _card(row: dict[str, Any]) -> LoyaltyCard:
    return LoyaltyCard(**row)
