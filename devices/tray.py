"""The notification tray (iOS Notification Center / lock screen, Android notification shade).

Entries with the same replacement key (``apns-collapse-id`` on iOS, the notification ``tag`` on
Android) replace each other; ``thread_id`` groups them (reference/devices.md §1.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devices.errors import NotFound


@dataclass(frozen=True, kw_only=True, slots=True)
class TrayEntry:
    entry_id: str
    app_id: str
    token: str
    push_id: str
    notification_id: str | None
    title: str | None
    body: str | None
    shown_at: float
    data: Mapping[str, Any] = field(default_factory=dict)
    """Custom data the app gets when the user taps (APNs keys beside ``aps``; FCM ``data``)."""
    collapse_id: str | None = None
    """Replacement key: ``apns-collapse-id`` (iOS) or ``android.notification.tag``."""
    thread_id: str | None = None
    """iOS ``thread-id``: entries with the same one are grouped."""
    channel_id: str | None = None
    category: str | None = None
    """iOS ``category`` (its action set), Android ``click_action``."""
    interruption_level: str | None = None
    banner: bool = True
    sound: bool = False
    posted_by: str = "system"
    """``"system"`` (the OS or the FCM SDK posted it) or ``"app"`` (the app's own code did)."""


class TrayError(NotFound):
    """No such notification on the tray."""


class Tray:
    """Shown notifications, newest last."""

    __slots__ = ("_entries", "_next")

    def __init__(self) -> None:
        self._entries: dict[str, TrayEntry] = {}
        self._next = 1

    def new_entry_id(self) -> str:
        entry_id = f"n{self._next}"
        self._next += 1
        return entry_id

    def show(self, entry: TrayEntry) -> TrayEntry | None:
        """Add ``entry``; returns the entry it replaced (same app and replacement key), if any."""
        replaced = None
        if entry.collapse_id is not None:
            replaced = next(
                (
                    e
                    for e in self._entries.values()
                    if e.app_id == entry.app_id and e.collapse_id == entry.collapse_id
                ),
                None,
            )
            if replaced is not None:
                del self._entries[replaced.entry_id]
        self._entries[entry.entry_id] = entry
        return replaced

    def take(self, entry_id: str) -> TrayEntry:
        """Remove and return an entry (the user tapped or dismissed it)."""
        try:
            return self._entries.pop(entry_id)
        except KeyError:
            raise TrayError(f"no notification {entry_id!r} on the tray") from None

    def get(self, entry_id: str) -> TrayEntry:
        try:
            return self._entries[entry_id]
        except KeyError:
            raise TrayError(f"no notification {entry_id!r} on the tray") from None

    def clear_app(self, app_id: str) -> None:
        for entry_id in [e.entry_id for e in self._entries.values() if e.app_id == app_id]:
            del self._entries[entry_id]

    def clear(self) -> None:
        self._entries.clear()

    def entries(self, app_id: str | None = None) -> list[TrayEntry]:
        return [e for e in self._entries.values() if app_id is None or e.app_id == app_id]

    def groups(self, app_id: str) -> dict[str | None, list[TrayEntry]]:
        """The app's entries grouped by ``thread_id`` (``None``: the app's default group)."""
        grouped: dict[str | None, list[TrayEntry]] = {}
        for entry in self.entries(app_id):
            grouped.setdefault(entry.thread_id, []).append(entry)
        return grouped

    def __len__(self) -> int:
        return len(self._entries)
