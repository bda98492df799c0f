"""Android notification channels (API 26+; reference/devices.md §2.2).

Every notification goes to a channel. The app creates its channels with an importance; from then on
only the user changes them (importance, blocking); the app can still rename one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

from devices.errors import DeviceError, NotFound

#: The channel the FCM SDK creates when neither the message nor the manifest names an existing one
#: ("Missing Default Notification Channel metadata…", devices.md §2.2 [S]).
FCM_FALLBACK_CHANNEL = "fcm_fallback_notification_channel"

#: Channels exist from Android 8 (API 26).
CHANNELS_API_LEVEL = 26


class Importance(enum.IntEnum):
    """``NotificationManager.IMPORTANCE_*`` with Android's numbers (§2.2)."""

    NONE = 0
    """Not shown in the shade: the channel is blocked."""
    MIN = 1
    LOW = 2
    DEFAULT = 3
    """Makes a sound, does not peek."""
    HIGH = 4
    """Makes a sound and peeks (heads-up)."""
    MAX = 5

    @classmethod
    def parse(cls, value: Importance | str | int) -> Importance:
        if isinstance(value, Importance):
            return value
        try:
            return cls(value) if isinstance(value, int) else cls[value.upper()]
        except (KeyError, ValueError):
            names = ", ".join(i.name.lower() for i in cls)
            raise DeviceError(f"unknown importance {value!r}: use one of {names}") from None

    @property
    def label(self) -> str:
        return self.name.lower()


class Channel:
    """One notification channel of an app."""

    __slots__ = ("blocked", "channel_id", "importance", "name")

    def __init__(self, channel_id: str, name: str, importance: Importance) -> None:
        self.channel_id = channel_id
        self.name = name
        self.importance = importance
        self.blocked = False

    def blocked_reason(self) -> str | None:
        """Why a post to this channel is dropped, or ``None`` when it may show."""
        if self.blocked or self.importance is Importance.NONE:
            return f"channel {self.channel_id!r} blocked"
        return None

    @property
    def heads_up(self) -> bool:
        """HIGH and above peek on screen (§2.2)."""
        return self.importance >= Importance.HIGH

    @property
    def sound(self) -> bool:
        """DEFAULT and above make a sound (§2.2)."""
        return self.importance >= Importance.DEFAULT


class Channels:
    """An app's channels, by id."""

    __slots__ = ("_by_id",)

    def __init__(self) -> None:
        self._by_id: dict[str, Channel] = {}

    def create(self, channel_id: str, importance: Importance, name: str | None = None) -> bool:
        """``createNotificationChannel``: creates it, or only renames an existing one (the user
        owns its behaviour once it exists, §2.2). Returns whether it was new."""
        existing = self._by_id.get(channel_id)
        if existing is not None:
            if name is not None:
                existing.name = name
            return False
        self._by_id[channel_id] = Channel(channel_id, name or channel_id, importance)
        return True

    def get(self, channel_id: str | None) -> Channel | None:
        return None if channel_id is None else self._by_id.get(channel_id)

    def __getitem__(self, channel_id: str) -> Channel:
        try:
            return self._by_id[channel_id]
        except KeyError:
            raise NotFound(f"no notification channel {channel_id!r}") from None

    def __contains__(self, channel_id: object) -> bool:
        return channel_id in self._by_id

    def __iter__(self) -> Iterator[Channel]:
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)
