"""Which phones hold which passes, and handing them changes (sans-IO).

Google has no device registration: it syncs an object's changes to every device that saved it
(reference/wallet.md §7). A phone that is offline gets the latest data when it reconnects, with
the notifications it missed (how Google treats those is [U]; each is shown once, late).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class PassNotice:
    """A notification Google Wallet shows for a pass: a message, or updated fields."""

    notice_id: str
    kind: str
    """``"message"`` (a ``TEXT_AND_NOTIFY`` message) or ``"update"`` (``NOTIFY_ON_UPDATE``)."""
    header: str | None = None
    body: str | None = None
    fields: tuple[str, ...] = ()
    """For an update: the allowlisted fields that changed."""


class WalletInbox(Protocol):
    """A phone's Wallet, as the fake sees it (``devices.google_wallet`` declares the same)."""

    def pass_synced(
        self, object_id: str, data: Mapping[str, Any], notice: PassNotice | None
    ) -> None: ...


View = Callable[[str], Mapping[str, Any] | None]
"""The current ``{"object", "class"}`` view of a pass, or None once it is gone."""


class Holders:
    """Phones holding each object, the connected phones' inboxes, and what waits for the others."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._holders: dict[str, set[str]] = {}
        self._inboxes: dict[str, WalletInbox] = {}
        self._pending: dict[str, dict[str, list[PassNotice]]] = {}

    def add(self, phone_id: str, object_id: str) -> None:
        self._holders.setdefault(object_id, set()).add(phone_id)

    def remove(self, phone_id: str, object_id: str) -> None:
        self._holders.get(object_id, set()).discard(phone_id)
        self._pending.get(phone_id, {}).pop(object_id, None)

    def holding(self, object_id: str) -> set[str]:
        """The phones that saved ``object_id``."""
        return set(self._holders.get(object_id, ()))

    def connect(self, phone_id: str, inbox: WalletInbox) -> None:
        """The phone is online: it gets what changed meanwhile, then every change as it happens."""
        self._inboxes[phone_id] = inbox
        for object_id, notices in self._pending.pop(phone_id, {}).items():
            view = self._view(object_id)
            if view is None:
                continue
            if not notices:
                inbox.pass_synced(object_id, view, None)
            for notice in notices:
                inbox.pass_synced(object_id, view, notice)

    def disconnect(self, phone_id: str) -> None:
        self._inboxes.pop(phone_id, None)

    def changed(self, object_id: str, notice: PassNotice | None) -> None:
        """``object_id`` (or its class) changed: sync every phone holding it."""
        view = self._view(object_id)
        if view is None:
            return
        for phone_id in sorted(self._holders.get(object_id, ())):
            inbox = self._inboxes.get(phone_id)
            if inbox is not None:
                inbox.pass_synced(object_id, view, notice)
                continue
            waiting = self._pending.setdefault(phone_id, {}).setdefault(object_id, [])
            if notice is not None:
                waiting.append(notice)
