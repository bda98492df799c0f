"""What goes on the wire for one notification to one device: pure builders, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .models import Device, NotificationRequest

APNS_MAX_PAYLOAD = 4096
"""Bytes of an APNs payload (reference/apns.md §1.5; VoIP's 5120 does not apply here)."""
FCM_MAX_PAYLOAD = 4096
"""Bytes of an FCM message's keys and values; 2048 for topic messages (reference/fcm.md §1.3)."""
FCM_MAX_TOPIC_PAYLOAD = 2048


@dataclass(frozen=True, slots=True)
class ApnsPush:
    """The parts of an APNs request the sender decides (the client adds auth and ``apns-id``)."""

    topic: str
    headers: dict[str, str]
    payload: dict[str, Any]

    def encoded(self) -> bytes:
        return encode(self.payload)


def encode(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _aps(request: NotificationRequest) -> dict[str, Any]:
    """The ``aps`` dictionary (reference/apns.md §1.6)."""
    if request.kind != "alert":
        # A background push carries only content-available: no alert, badge or sound (§1.5).
        return {"content-available": 1}
    alert: dict[str, str] = {}
    if request.title:
        alert["title"] = request.title
    if request.body:
        alert["body"] = request.body
    aps: dict[str, Any] = {"alert": alert}
    if request.badge is not None:
        aps["badge"] = request.badge
    if request.sound is not None:
        aps["sound"] = request.sound
    if request.thread_id is not None:
        aps["thread-id"] = request.thread_id
    if request.category is not None:
        aps["category"] = request.category
    return aps


def _apns_headers(request: NotificationRequest, now: float) -> dict[str, str]:
    if request.kind == "alert":
        # Priority 10 = deliver now; 5 = power-aware (reference/apns.md §1.3).
        headers = {
            "apns-push-type": "alert",
            "apns-priority": "5" if request.priority == "normal" else "10",
        }
    else:
        # "Always use priority 5. Using priority 10 is an error" (reference/apns.md §1.4).
        headers = {"apns-push-type": "background", "apns-priority": "5"}
    if request.collapse_key:
        headers["apns-collapse-id"] = request.collapse_key
    if request.ttl is not None:
        # apns-expiration is an absolute UNIX time; 0 means "one attempt, not stored" (§1.3).
        headers["apns-expiration"] = "0" if request.ttl == 0 else str(int(now) + request.ttl)
    return headers


def apns_push(
    notification_id: str, request: NotificationRequest, device: Device, now: float
) -> ApnsPush:
    """Build the APNs request for ``device`` (reference/apns.md §1.3-§1.6)."""
    # Custom keys go beside "aps", never inside it (reference/apns.md §1.5).
    payload: dict[str, Any] = {
        "aps": _aps(request),
        "notification_id": notification_id,
        **request.data,
    }
    return ApnsPush(topic=device.app_id, headers=_apns_headers(request, now), payload=payload)


def fcm_message(
    notification_id: str,
    request: NotificationRequest,
    device: Device | None,
    *,
    topic: str | None = None,
    condition: str | None = None,
    now: float = 0.0,
) -> dict[str, Any]:
    """Build the FCM v1 ``Message`` for ``device`` (or ``topic``, or ``condition``), reference/fcm.md §1.2.

    It carries an ``android`` block and an ``apns`` block, so the same message suits an app that
    reaches iOS through FCM too (a topic may have both).
    """
    high = request.priority == "high" or (request.priority is None and request.kind == "alert")
    android: dict[str, Any] = {"priority": "high" if high else "normal"}
    if request.collapse_key:
        android["collapse_key"] = request.collapse_key
    if request.ttl is not None:
        # android.ttl is a google.protobuf.Duration string (reference/fcm.md §1.2).
        android["ttl"] = f"{request.ttl}s"
    message: dict[str, Any] = (
        {"token": device.token}
        if device is not None
        else {"condition": condition}
        if condition is not None
        else {"topic": topic}
    )
    if request.kind == "alert":
        notification: dict[str, str] = {}
        if request.title:
            notification["title"] = request.title
        if request.body:
            notification["body"] = request.body
        message["notification"] = notification
        extras: dict[str, Any] = {}
        if request.sound is not None:
            extras["sound"] = request.sound
        if request.thread_id is not None:
            extras["tag"] = request.thread_id
        if request.category is not None:
            extras["click_action"] = request.category
        if request.badge is not None:
            extras["notification_count"] = request.badge
        if extras:
            android["notification"] = extras
    # Data values must be strings (reference/fcm.md §0 fact 6).
    message["data"] = {**request.data, "notification_id": notification_id}
    message["android"] = android
    # Data-only messages to iOS must use apns-priority 5 (reference/fcm.md §1.2, ApnsConfig).
    message["apns"] = {"headers": _apns_headers(request, now), "payload": {"aps": _aps(request)}}
    return message


def fcm_payload_bytes(message: dict[str, Any]) -> int:
    """FCM's size rule counts "both the keys and the values" of what reaches the app (§1.3)."""
    total = 0
    for key, value in message.get("data", {}).items():
        total += len(key.encode()) + len(value.encode())
    for key, value in message.get("notification", {}).items():
        total += len(key.encode()) + len(value.encode())
    return total
