"""What goes on the wire for one notification to one device: pure builders, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import Device, NotificationRequest


@dataclass(frozen=True, slots=True)
class ApnsPush:
    """The parts of an APNs request the sender decides (the client adds auth and ``apns-id``)."""

    topic: str
    headers: dict[str, str]
    payload: dict[str, Any]


def apns_push(
    notification_id: str, request: NotificationRequest, device: Device, now: float
) -> ApnsPush:
    """Build the APNs request for ``device`` (reference/apns.md §1.3-§1.5)."""
    if request.kind == "alert":
        alert: dict[str, str] = {}
        if request.title:
            alert["title"] = request.title
        if request.body:
            alert["body"] = request.body
        aps: dict[str, Any] = {"alert": alert}
        push_type = "alert"
        # Priority 10 = deliver now; 5 = power-aware (reference/apns.md §1.3).
        priority = "5" if request.priority == "normal" else "10"
    else:
        # A background push carries only content-available and must use priority 5
        # ("Using priority 10 is an error", reference/apns.md §1.4-§1.5).
        aps = {"content-available": 1}
        push_type = "background"
        priority = "5"
    headers = {"apns-push-type": push_type, "apns-priority": priority}
    if request.collapse_key:
        headers["apns-collapse-id"] = request.collapse_key
    if request.ttl is not None:
        # apns-expiration is an absolute UNIX time; 0 means "one attempt, not stored" (§1.3).
        headers["apns-expiration"] = "0" if request.ttl == 0 else str(int(now) + request.ttl)
    # Custom keys go beside "aps", never inside it (reference/apns.md §1.5).
    payload: dict[str, Any] = {"aps": aps, "notification_id": notification_id, **request.data}
    return ApnsPush(topic=device.app_id, headers=headers, payload=payload)


def fcm_message(
    notification_id: str, request: NotificationRequest, device: Device
) -> dict[str, Any]:
    """Build the FCM v1 ``Message`` resource for ``device`` (reference/fcm.md §1.2)."""
    high = request.priority == "high" or (request.priority is None and request.kind == "alert")
    android: dict[str, Any] = {"priority": "high" if high else "normal"}
    if request.collapse_key:
        android["collapse_key"] = request.collapse_key
    if request.ttl is not None:
        # android.ttl is a google.protobuf.Duration string (reference/fcm.md §1.2).
        android["ttl"] = f"{request.ttl}s"
    message: dict[str, Any] = {"token": device.token}
    if request.kind == "alert":
        notification: dict[str, str] = {}
        if request.title:
            notification["title"] = request.title
        if request.body:
            notification["body"] = request.body
        message["notification"] = notification
    # Data values must be strings (reference/fcm.md §0 fact 6).
    message["data"] = {**request.data, "notification_id": notification_id}
    message["android"] = android
    return message
