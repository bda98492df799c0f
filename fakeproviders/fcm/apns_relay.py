"""How FCM relays a message to an iOS app through APNs (sans-IO).

reference/fcm.md §1.2: the ``apns`` block's ``headers`` are passed to APNs (``apns-priority``,
``apns-expiration``, ``apns-push-type``, ``apns-collapse-id``…), FCM's backend defaults being
``apns-expiration`` = 30 days and ``apns-priority`` = 10; ``apns.payload`` (``aps`` + custom keys)
overrides the generic notification's title and body; data becomes custom payload keys.
The phone gets what APNs would hand it: ``apns-*`` headers and a payload with ``aps``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from fakeproviders.fcm.messages import SendRequest

#: reference/fcm.md §1.2: FCM's default ``apns-expiration``, 30 days.
DEFAULT_EXPIRATION = 30 * 86_400
_VISIBLE = ("alert", "badge", "sound")


def _aps_of(request: SendRequest) -> dict[str, Any]:
    payload = request.message.get("apns", {}).get("payload", {})
    aps = payload.get("aps")
    return dict(aps) if isinstance(aps, dict) else {}


def _headers_of(request: SendRequest) -> dict[str, str]:
    headers = request.message.get("apns", {}).get("headers", {})
    return {str(k).lower(): str(v) for k, v in headers.items()}


def is_background(request: SendRequest) -> bool:
    """No alert, badge or sound once the notification is folded in: a background push."""
    if request.message.get("notification"):
        return False
    return not any(key in _aps_of(request) for key in _VISIBLE)


def explicit_high_priority_background(request: SendRequest) -> bool:
    """A data (background) message to an Apple device with ``apns-priority: 10``.

    devices.md §2.5 [C]: "Sending a data message to an Apple device with high priority gets
    INVALID_ARGUMENT; it must be priority 5". Only an explicit 10 counts: the default is ours.
    """
    return is_background(request) and _headers_of(request).get("apns-priority") == "10"


def apns_delivery(
    request: SendRequest, *, app_id: str, message_id: str, now: float
) -> tuple[dict[str, str], dict[str, Any]]:
    """The ``apns-*`` headers (defaults filled in) and the payload the iOS app gets."""
    payload: dict[str, Any] = copy.deepcopy(
        dict(request.message.get("apns", {}).get("payload", {}))
    )
    aps = _aps_of(request)
    notification: Mapping[str, Any] = request.message.get("notification", {})
    if "alert" not in aps and (notification.get("title") or notification.get("body")):
        aps["alert"] = {k: notification[k] for k in ("title", "body") if notification.get(k)}
    payload["aps"] = aps
    for key, value in request.message.get("data", {}).items():
        payload.setdefault(key, value)
    # FCM tags what it relays with its message id (seen in iOS userInfo dumps) [U exact keys].
    payload.setdefault("gcm.message_id", message_id)

    headers = _headers_of(request)
    background = is_background(request)
    headers.setdefault("apns-push-type", "background" if background else "alert")
    # Priority 5 for background pushes is what APNs requires (devices.md §2.5); 10 else (§1.2).
    headers.setdefault("apns-priority", "5" if background else "10")
    headers.setdefault("apns-expiration", str(int(now) + DEFAULT_EXPIRATION))
    headers.setdefault("apns-topic", app_id)
    return headers, payload
