"""Input rules for devices and notification requests: pure functions that raise ``InvalidInput``."""

from __future__ import annotations

import re

from .errors import InvalidInput
from .models import (
    ENGAGEMENTS,
    KINDS,
    PLATFORMS,
    PRIORITIES,
    TARGETS,
    Device,
    NotificationRequest,
    Segment,
)
from .payloads import (
    APNS_MAX_PAYLOAD,
    FCM_MAX_PAYLOAD,
    FCM_MAX_TOPIC_PAYLOAD,
    apns_push,
    encode,
    fcm_message,
    fcm_payload_bytes,
)

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
# FCM topic names (reference/fcm.md §1.3).
_TOPIC = re.compile(r"[a-zA-Z0-9\-_.~%]{1,900}")
_MAX_USER_IDS = 10_000
# A notification id as the builders see it: sizes are checked with the real id's length.
_SAMPLE_ID = "00000000-0000-0000-0000-000000000000"


def check_device(
    token: str, platform: str, app_id: str, user_id: str, installation_id: str | None = None
) -> None:
    """Raise ``InvalidInput`` unless the registration is well-formed for its platform."""
    if installation_id is not None:
        _non_empty("installation_id", installation_id)
    if platform not in PLATFORMS:
        raise InvalidInput("platform", f"must be one of {', '.join(PLATFORMS)}")
    _text("token", token)
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
    """Raise ``InvalidInput`` unless the notification request can be sent, size included."""
    _check_target(request)
    for name in ("title", "body", "collapse_key", "sound", "thread_id", "category"):
        value = getattr(request, name)
        if value is not None:
            _text(name, value)
    if request.kind not in KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}")
    if request.kind == "alert" and not (request.title or request.body):
        raise InvalidInput("title", "an alert needs a title or a body")
    if request.priority is not None and request.priority not in PRIORITIES:
        raise InvalidInput("priority", f"must be one of {', '.join(PRIORITIES)}")
    if request.badge is not None and (isinstance(request.badge, bool) or request.badge < 0):
        raise InvalidInput("badge", "must be a whole number, 0 or more")
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
        _text(f"data.{key}", key + value)
    _check_size(request)


def _check_target(request: NotificationRequest) -> None:
    targets = request.targets
    if len(targets) != 1:
        raise InvalidInput(
            "target",
            f"give exactly one of {', '.join(TARGETS)} (got {', '.join(targets) or 'none'})",
        )
    if request.user_id is not None:
        _non_empty("user_id", request.user_id)
    if request.user_ids is not None:
        if not request.user_ids:
            raise InvalidInput("user_ids", "must not be empty")
        if len(request.user_ids) > _MAX_USER_IDS:
            raise InvalidInput("user_ids", f"at most {_MAX_USER_IDS} users per request")
        for user_id in request.user_ids:
            _non_empty("user_ids", user_id)
    if request.topic is not None and not _TOPIC.fullmatch(request.topic):
        raise InvalidInput("topic", "an FCM topic name is 1-900 of [a-zA-Z0-9-_.~%]")
    if request.segment is not None:
        _non_empty("segment", request.segment)
    if request.condition is not None:
        _non_empty("condition", request.condition)


def _check_size(request: NotificationRequest) -> None:
    """Refuse at the API what a provider would refuse as too large (413 / INVALID_ARGUMENT)."""
    if request.topic is not None or request.condition is not None:
        message = fcm_message(
            _SAMPLE_ID, request, None, topic=request.topic, condition=request.condition
        )
        if fcm_payload_bytes(message) > FCM_MAX_TOPIC_PAYLOAD:
            raise InvalidInput(
                "payload", f"an FCM topic message is at most {FCM_MAX_TOPIC_PAYLOAD} bytes"
            )
        return
    device = Device(token="", platform="ios", app_id="", user_id="", registered_at=0)
    size = len(encode(apns_push(_SAMPLE_ID, request, device, 0).payload))
    if size > APNS_MAX_PAYLOAD:
        raise InvalidInput(
            "payload", f"the APNs payload would be {size} bytes (max {APNS_MAX_PAYLOAD})"
        )
    fcm_size = fcm_payload_bytes(fcm_message(_SAMPLE_ID, request, device))
    if fcm_size > FCM_MAX_PAYLOAD:
        raise InvalidInput(
            "payload", f"the FCM payload would be {fcm_size} bytes (max {FCM_MAX_PAYLOAD})"
        )


def check_segment(segment: Segment) -> None:
    """Raise ``InvalidInput`` unless the segment is well-formed."""
    _non_empty("name", segment.name)
    if segment.platform is not None and segment.platform not in PLATFORMS:
        raise InvalidInput("platform", f"must be one of {', '.join(PLATFORMS)}")
    if segment.app_id is not None:
        _non_empty("app_id", segment.app_id)
    for user_id in segment.user_ids or ():
        _non_empty("user_ids", user_id)


def check_engagement(notification_id: str, token: str, event: str) -> None:
    """Raise ``InvalidInput`` unless ``event`` is a known engagement and the ids are text."""
    if event not in ENGAGEMENTS:
        raise InvalidInput("event", f"must be one of {', '.join(ENGAGEMENTS)}")
    _non_empty("notification_id", notification_id)
    _non_empty("token", token)


def _non_empty(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(name, "must be a non-empty string")
    _text(name, value)


def _text(name: str, value: str) -> None:
    # JSON can carry lone surrogates ("\ud800") that no store or provider can encode, and NUL
    # ("\u0000"), which PostgreSQL's text cannot hold while SQLite's can: refused before any
    # store sees it, so that both stores take exactly the same strings.
    if "\x00" in value:
        raise InvalidInput(name, "must not contain NUL (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(name, "must be valid Unicode text") from None


def storable(text: str | None) -> str | None:
    """``text`` with any NUL replaced by U+FFFD: for strings a provider gave (an error reason,
    a message id), which are recorded whatever they hold."""
    return text.replace("\x00", "\ufffd") if text is not None else None
