"""The ``Store`` protocol: everything the sender keeps, whatever the database.

``SqliteStore`` (one process, embedded) and ``PostgresStore`` (several instances on one database)
implement it; callers never see SQL. Every write is committed before the method returns, so a
notification the API accepted survives a crash; deliveries are written in batches
(``add_deliveries``), one transaction each.

Sending is shared out as *work*: a queued notification is claimed by one instance, which resolves
its audience into batches of tokens (``add_batches``); any instance then claims a batch
(``claim_batch``), sends to its tokens and marks it finished (``finish_batch``). Claims carry a
lease on the database's clock: the owner renews it while it works (``renew_claims``), and when an
instance dies its claims are taken over once the lease has run out. The pushes a loyalty-card
change owes are shared the same way (``CardStore``: an outbox written with the change).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..models import (
    Batch,
    Delivery,
    Device,
    EngagementEvent,
    Notification,
    Segment,
    Status,
)
from .cards import CardStore


class Store(CardStore, Protocol):
    """The sender's persistent state (loyalty cards: ``CardStore``)."""

    def upsert_device(self, device: Device) -> bool:
        """Save ``device`` (re-registration replaces user, app, time, active); True if new."""
        ...

    def replace_installation(self, device: Device) -> list[Device]:
        """Deactivate the other active tokens of ``device``'s installation; returns them."""
        ...

    def get_device(self, token: str) -> Device | None: ...

    def active_devices_for(self, tokens: Sequence[str]) -> list[Device]:
        """The active devices among ``tokens``, in the order given."""
        ...

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
        """Notifications still queued or sending, oldest first."""
        ...

    # -- shared work --------------------------------------------------------------------------

    def claim_notification(self, owner: str, lease: float) -> Notification | None:
        """Claim the oldest queued notification nobody holds (or whose lease ran out) for
        ``lease`` seconds, to resolve its audience; None when there is none."""
        ...

    def add_batches(self, notification_id: str, batches: Sequence[Sequence[str]]) -> bool:
        """Store the audience of a claimed notification as batches of tokens (none: it is done
        at once) and release the claim; False, storing nothing, if it was no longer queued."""
        ...

    def claim_batch(self, owner: str, lease: float) -> Batch | None:
        """Claim the oldest unfinished batch nobody holds (or whose lease ran out) for
        ``lease`` seconds; its tokens omit those that already have an outcome."""
        ...

    def finish_batch(self, notification_id: str, seq: int) -> bool:
        """Mark a batch finished; True if that finished its notification (now ``done``)."""
        ...

    def renew_claims(self, owner: str, lease: float) -> int:
        """Extend the lease of every unfinished batch and card push ``owner`` holds by
        ``lease`` seconds from now; how many. (A notification's claim lasts only while its
        audience is resolved, in one step: it is never renewed.)"""
        ...

    def release_claims(self, owner: str) -> None:
        """Give up ``owner``'s claims so that any instance may take them at once."""
        ...

    # -- outcomes -----------------------------------------------------------------------------

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
        """Counters over everything, or over one notification (see ``SqlStore.stats``)."""
        ...

    def close(self) -> None: ...
