"""Input rules for devices and notification requests: pure functions that raise ``InvalidInput``."""

from __future__ import annotations

import re

from .errors import InvalidInput
from .models import ENGAGEMENTS, KINDS, PLATFORMS, PRIORITIES, NotificationRequest

# Apple: "Don't make assumptions about device token size" (reference/apns.md §1.2); tokens of 64,
# 100, 108 and 160 hex characters are seen, so only the alphabet and byte pairs are checked.
_APNS_TOKEN = re.compile(r"[0-9a-fA-F]+")
# FCM tokens look like "<id>:APA91b..." (reference/fcm.md §1.3): URL-safe base64 plus ':'.
_FCM_TOKEN = re.compile(r"[A-Za-z0-9_\-:.]+")
_MAX_TOKEN_LENGTH = 4096
# FCM rejects these data keys (reference/fcm.md §1.3); "aps" and "notification_id" would clash
# with the payload the sender builds itself.
_RESERVED_KEYS = frozenset({"from", "message_type", "aps", "notification_id"})
_RESERVED_PREFIXES = ("google.", "gcm.")
# apns-collapse-id must not exceed 64 bytes (reference/apns.md §1.3).
_MAX_COLLAPSE_BYTES = 64
# FCM's android.ttl maximum is 28 days (reference/fcm.md §0 fact 7).
_MAX_TTL = 2_419_200


def check_device(token: str, platform: str, app_id: str, user_id: str) -> None:
    """Raise ``InvalidInput`` unless the registration is well-formed for its platform."""
    if platform not in PLATFORMS:
        raise InvalidInput("platform", f"must be one of {', '.join(PLATFORMS)}")
    _utf8("token", token)
    _non_empty("app_id", app_id)
    _non_empty("user_id", user_id)
    _non_empty("token", token)
    if len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidInput("token", f"longer than {_MAX_TOKEN_LENGTH} characters")
    if platform == "ios":
        if not _APNS_TOKEN.fullmatch(token):
            raise InvalidInput("token", "an APNs device token is hexadecimal")
        if len(token) % 2:
            raise InvalidInput("token", "an APNs device token is whole bytes (even length)")
    elif not _FCM_TOKEN.fullmatch(token):
        raise InvalidInput("token", "an FCM token holds only letters, digits and '-_:.'")


def check_request(request: NotificationRequest) -> None:
    """Raise ``InvalidInput`` unless the notification request can be sent."""
    _non_empty("user_id", request.user_id)
    for name in ("title", "body", "collapse_key"):
        value = getattr(request, name)
        if value is not None:
            _utf8(name, value)
    if request.kind not in KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}")
    if request.kind == "alert" and not (request.title or request.body):
        raise InvalidInput("title", "an alert needs a title or a body")
    if request.priority is not None and request.priority not in PRIORITIES:
        raise InvalidInput("priority", f"must be one of {', '.join(PRIORITIES)}")
    if request.ttl is not None and not 0 <= request.ttl <= _MAX_TTL:
        raise InvalidInput("ttl", f"must be between 0 and {_MAX_TTL} seconds")
    if request.collapse_key is not None:
        if not request.collapse_key:
            raise InvalidInput("collapse_key", "must not be empty")
        if len(request.collapse_key.encode()) > _MAX_COLLAPSE_BYTES:
            raise InvalidInput("collapse_key", f"at most {_MAX_COLLAPSE_BYTES} bytes")
    for key, value in request.data.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidInput(f"data.{key}", "keys and values must be strings")
        if key in _RESERVED_KEYS or key.startswith(_RESERVED_PREFIXES):
            raise InvalidInput(f"data.{key}", "reserved key")
        _utf8(f"data.{key}", key + value)


def check_engagement(token: str, event: str) -> None:
    """Raise ``InvalidInput`` unless ``event`` is a known engagement and ``token`` is text."""
    if event not in ENGAGEMENTS:
        raise InvalidInput("event", f"must be one of {', '.join(ENGAGEMENTS)}")
    _non_empty("token", token)


def _non_empty(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(name, "must be a non-empty string")
    _utf8(name, value)


def _utf8(name: str, value: str) -> None:
    # JSON can carry lone surrogates ("\ud800") that no store or provider can encode.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(name, "must be valid Unicode text") from None
