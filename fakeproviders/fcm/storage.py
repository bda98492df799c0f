"""What FCM keeps for an offline app instance, and what it drops (sans-IO).

Android (reference/fcm.md §5, devices.md §2.7): at most 100 pending non-collapsible messages,
then everything stored is dropped and the app is told (``onDeletedMessages``); same
``collapse_key`` replaces; at most 4 collapse keys. iOS apps registered with FCM are reached
through APNs, which keeps one notification per app (the newest) until ``apns-expiration``
(reference/apns.md, store-and-forward; FCM relays through APNs, fcm.md §1.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: reference/fcm.md §0.13.
MAX_PENDING = 100
MAX_COLLAPSE_KEYS = 4


@dataclass(frozen=True, slots=True)
class Pending:
    """A push waiting for its phone."""

    push_id: str
    headers: Mapping[str, str]
    payload: Mapping[str, Any]
    stored_at: float
    expires_at: float
    collapse_key: str | None = None


Dropped = tuple[str, str]
"""(push_id, reason) of a push that will never be delivered."""


@dataclass(slots=True)
class StoreOutcome:
    stored: bool
    dropped: list[Dropped] = field(default_factory=list)


@dataclass(slots=True)
class AndroidQueue:
    """FCM's store for one Android app instance."""

    items: list[Pending] = field(default_factory=list)
    deleted_messages: bool = False
    """Set when the queue overflowed: the app gets the deleted-messages signal on reconnect."""

    def add(self, item: Pending) -> StoreOutcome:
        outcome = StoreOutcome(stored=True)
        key = item.collapse_key
        if key is not None:
            # Same collapse_key: the newer message replaces the stored one (§5).
            for old in [p for p in self.items if p.collapse_key == key]:
                self.items.remove(old)
                outcome.dropped.append((old.push_id, "collapsed"))
            keyed = [p for p in self.items if p.collapse_key is not None]
            if len(keyed) >= MAX_COLLAPSE_KEYS:
                # FCM keeps 4 keys "with no determining factor"; we drop the oldest [U].
                self.items.remove(keyed[0])
                outcome.dropped.append((keyed[0].push_id, "too_many_collapse_keys"))
        elif sum(1 for p in self.items if p.collapse_key is None) >= MAX_PENDING:
            # Over 100 pending: FCM drops everything stored and tells the app on reconnect
            # (onDeletedMessages, reference/fcm.md §5). The new message goes too [U].
            outcome.dropped.extend((p.push_id, "too_many_pending") for p in self.items)
            outcome.dropped.append((item.push_id, "too_many_pending"))
            self.items.clear()
            self.deleted_messages = True
            outcome.stored = False
            return outcome
        self.items.append(item)
        return outcome

    def take(self, now: float) -> tuple[bool, list[Pending], list[Dropped]]:
        """Empty the queue: (deleted-messages signal due, live pushes, expired ones)."""
        signal, self.deleted_messages = self.deleted_messages, False
        live, expired = _split(self.items, now)
        self.items = []
        return signal, live, expired

    def clear(self) -> list[str]:
        ids = [p.push_id for p in self.items]
        self.items = []
        self.deleted_messages = False
        return ids

    def __len__(self) -> int:
        return len(self.items)


@dataclass(slots=True)
class ApnsQueue:
    """APNs' store for one iOS app: the newest notification only."""

    items: list[Pending] = field(default_factory=list)
    deleted_messages: bool = False  # APNs has no such signal; kept for a common interface

    def add(self, item: Pending) -> StoreOutcome:
        outcome = StoreOutcome(stored=True)
        outcome.dropped.extend((p.push_id, "replaced") for p in self.items)
        self.items = [item]
        return outcome

    def take(self, now: float) -> tuple[bool, list[Pending], list[Dropped]]:
        live, expired = _split(self.items, now)
        self.items = []
        return False, live, expired

    def clear(self) -> list[str]:
        ids = [p.push_id for p in self.items]
        self.items = []
        return ids

    def __len__(self) -> int:
        return len(self.items)


def _split(items: list[Pending], now: float) -> tuple[list[Pending], list[Dropped]]:
    live = [p for p in items if now <= p.expires_at]
    expired = [(p.push_id, "expired") for p in items if now > p.expires_at]
    return live, expired
