"""The notification tray (iOS Notification Center / lock screen, Android notification shade)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devices.errors import DeviceError


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


class TrayError(DeviceError):
    """No such notification on the tray."""


class Tray:
    """Shown notifications, newest last."""

    def __init__(self) -> None:
        self._entries: dict[str, TrayEntry] = {}
        self._next = 1

    def new_entry_id(self) -> str:
        entry_id = f"n{self._next}"
        self._next += 1
        return entry_id

    def show(self, entry: TrayEntry) -> None:
        self._entries[entry.entry_id] = entry

    def take(self, entry_id: str) -> TrayEntry:
        """Remove and return an entry (the user tapped or dismissed it)."""
        try:
            return self._entries.pop(entry_id)
        except KeyError:
            raise TrayError(f"no notification {entry_id!r} on the tray") from None

    def clear_app(self, app_id: str) -> None:
        for entry_id in [e.entry_id for e in self._entries.values() if e.app_id == app_id]:
            del self._entries[entry_id]

    def entries(self, app_id: str | None = None) -> list[TrayEntry]:
        return [e for e in self._entries.values() if app_id is None or e.app_id == app_id]
