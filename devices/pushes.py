"""What a push asks the phone to do, read from APNs- or FCM-shaped headers and payload."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class IncomingPush:
    """A push, normalized: what to show (``alert``) and what the app's code gets (``data``)."""

    alert: bool
    """There is something to show (iOS ``aps.alert``, FCM ``notification``)."""
    title: str | None = None
    body: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    """iOS: the keys beside ``aps``; FCM: ``data`` (``android.data`` wins)."""
    content_available: bool = False
    """iOS ``content-available: 1``: wake the app in the background (§1.8)."""
    badge: int | None = None
    sound: bool = False
    collapse_id: str | None = None
    """iOS ``apns-collapse-id``; Android ``android.notification.tag`` (display replacement)."""
    thread_id: str | None = None
    category: str | None = None
    interruption_level: str | None = None
    channel_id: str | None = None
    priority: str | None = None

    @property
    def notification_id(self) -> str | None:
        value = self.data.get("notification_id")
        return None if value is None else str(value)


def read_apns(headers: Mapping[str, str], payload: Mapping[str, Any]) -> IncomingPush:
    """An APNs push: ``aps`` plus custom keys beside it (reference/apns.md §1.5, devices.md §1.7)."""
    aps = payload.get("aps")
    aps = aps if isinstance(aps, Mapping) else {}
    data = {key: value for key, value in payload.items() if key != "aps"}
    alert = aps.get("alert")
    title = body = None
    if isinstance(alert, str):
        body = alert
    elif isinstance(alert, Mapping):
        title, body = _text(alert.get("title")), _text(alert.get("body"))
    badge = aps.get("badge")
    return IncomingPush(
        alert=bool(alert),
        title=title,
        body=body,
        data=data,
        content_available=aps.get("content-available") == 1,
        badge=badge if isinstance(badge, int) and not isinstance(badge, bool) else None,
        sound=bool(aps.get("sound")),
        collapse_id=headers.get("apns-collapse-id") or None,
        thread_id=_text(aps.get("thread-id")),
        category=_text(aps.get("category")),
        interruption_level=_text(aps.get("interruption-level")),
        priority=headers.get("apns-priority"),
    )


def read_fcm(headers: Mapping[str, str], payload: Mapping[str, Any]) -> IncomingPush:
    """An FCM message: ``notification``, ``data`` and the ``android`` block (fcm.md §1.2)."""
    android = payload.get("android")
    android = android if isinstance(android, Mapping) else {}
    # android.data and android.notification override the message-level blocks (fcm.md §1.2).
    data = android.get("data") or payload.get("data") or {}
    top = payload.get("notification")
    specific = android.get("notification")
    notification = {
        **(top if isinstance(top, Mapping) else {}),
        **(specific if isinstance(specific, Mapping) else {}),
    }
    return IncomingPush(
        alert=bool(notification),
        title=_text(notification.get("title")),
        body=_text(notification.get("body")),
        data=data if isinstance(data, Mapping) else {},
        sound=bool(notification.get("sound")),
        collapse_id=_text(notification.get("tag")),
        category=_text(notification.get("click_action") or notification.get("clickAction")),
        channel_id=_text(notification.get("channel_id") or notification.get("channelId")),
        priority=headers.get("priority"),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
