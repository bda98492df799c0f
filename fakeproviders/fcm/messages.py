"""Validation of ``messages:send`` request bodies (sans-IO): bytes in, a decision out.

The decision is a :class:`SendRequest` (valid: who to send to, and what to deliver) or an
:class:`~fakeproviders.fcm.errors.ErrorResponse` with the body Google would answer. Checks that
need the token registry (well-formedness, UNREGISTERED, package name) are the server's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fakeproviders import strict_json
from fakeproviders.fcm import errors, schema
from fakeproviders.fcm.conditions import (
    MAX_CONDITION_TOPICS,
    TOPIC_PATTERN,
    Condition,
    ConditionError,
    parse_condition,
)
from fakeproviders.fcm.errors import ErrorResponse, FcmErrorCode, FieldViolation
from fakeproviders.fcm.schema import Rejected

__all__ = [
    "MAX_CONDITION_TOPICS",
    "SendRequest",
    "condition_topics",
    "parse_send_request",
    "validate_send_request",
]

#: reference/fcm.md §1.3: payload limits, "includes both the keys and the values".
MAX_MESSAGE_BYTES = 4096
MAX_TOPIC_MESSAGE_BYTES = 2048
#: reference/fcm.md §0.7: android.ttl range, 28 days.
MAX_TTL_SECONDS = 2_419_200
DEFAULT_TTL_SECONDS = MAX_TTL_SECONDS
_RESERVED_KEYS = frozenset({"from", "message_type"})
_RESERVED_PREFIXES = ("google.", "gcm.notification.")
#: reference/fcm.md §1.3: analytics labels (SDK regex [C]; the server's own check [U]).
_ANALYTICS_LABEL = re.compile(r"[a-zA-Z0-9\-_.~%]{1,50}")
#: reference/fcm.md §1.3: notification colors are #rrggbb (SDK check [C], server [U]).
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
#: APNs header values FCM passes through (reference/apns.md §1.4) [U which ones FCM checks].
_APNS_PRIORITIES = frozenset({"1", "5", "10"})
_APNS_PUSH_TYPES = frozenset(
    {"alert", "background", "voip", "complication", "fileprovider", "mdm", "liveactivity",
     "location", "pushtotalk", "widgets", "controls"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A valid send: the normalized message (snake_case keys) and its single target."""

    message: Mapping[str, Any]
    validate_only: bool
    target_kind: str
    """``"token"``, ``"topic"``, ``"condition"`` or ``"fid"``."""
    target: str
    condition: Condition | None = None
    """The parsed condition of a ``condition`` send."""

    @property
    def android(self) -> Mapping[str, Any]:
        return self.message.get("android", {})  # type: ignore[no-any-return]

    @property
    def restricted_package_name(self) -> str | None:
        return self.android.get("restricted_package_name") or None

    def delivery_headers(self) -> dict[str, str]:
        """The delivery attributes a phone gets: ``priority``, ``ttl`` and ``collapse_key``."""
        headers = {"priority": self._priority(), "ttl": str(self.ttl_seconds())}
        if self.android.get("collapse_key"):
            headers["collapse_key"] = self.android["collapse_key"]
        return headers

    def delivery_payload(self) -> dict[str, Any]:
        """What reaches the Android app: ``notification``, ``data`` and the ``android`` block."""
        payload: dict[str, Any] = {}
        if "notification" in self.message:
            payload["notification"] = dict(self.message["notification"])
        data = self.effective_data()
        if data:
            payload["data"] = data
        if self.android:
            payload["android"] = dict(self.android)
        return payload

    def effective_data(self) -> dict[str, str]:
        """``android.data`` replaces ``message.data`` for Android when present (§1.2)."""
        return dict(self.android.get("data", self.message.get("data", {})))

    def ttl_seconds(self) -> int:
        raw = self.android.get("ttl")
        return DEFAULT_TTL_SECONDS if raw is None else int(_duration_seconds(raw))

    def _priority(self) -> str:
        if "priority" in self.android:
            return str(self.android["priority"]).lower()
        # Notification messages default to high, data messages to normal; the docs disagree on
        # the former (reference/fcm.md §5) [U].
        has_notification = "notification" in self.message or "notification" in self.android
        return "high" if has_notification else "normal"


def decode_body(raw: bytes) -> Any:
    """The JSON of a request body (empty = ``{}``), or the ErrorResponse for non-JSON."""
    if not raw.strip():
        return {}
    try:
        return strict_json.loads(raw)
    except ValueError:
        return errors.invalid_json(raw)


def parse_send_request(raw: bytes, *, allow_not: bool = False) -> SendRequest | ErrorResponse:
    """Decode a request body and validate it."""
    body = decode_body(raw)
    if isinstance(body, ErrorResponse):
        return body
    return validate_send_request(body, allow_not=allow_not)


def validate_send_request(body: Any, *, allow_not: bool = False) -> SendRequest | ErrorResponse:
    """Validate a decoded ``SendMessageRequest``; ``allow_not`` lets conditions use ``!``."""
    if not isinstance(body, dict):
        return errors.bad_request(
            'Invalid JSON payload received. Unknown name "": Root element must be a message.'
        )
    try:
        request = schema.read(body, schema.SEND_REQUEST, "")
        message: dict[str, Any] = request.get("message", {})
        target_kind, target, condition = _target(message, allow_not)
        _check_data(message)
        _check_android(message)
        _check_apns(message)
        _check_webpush(message)
        _check_analytics_labels(message)
        _check_size(message, target_kind)
    except Rejected as rejected:
        return rejected.response
    return SendRequest(
        message, bool(request.get("validate_only", False)), target_kind, target, condition
    )


def _target(message: Mapping[str, Any], allow_not: bool) -> tuple[str, str, Condition | None]:
    for kind in schema.TARGETS:
        if message.get(kind):
            value: str = message[kind]
            condition = None
            if kind == "topic":
                _check_topic(value)
            elif kind == "condition":
                condition = _parse_condition(value, allow_not)
            return kind, value, condition
    # reference/fcm.md §1.3: BadRequest on "message" first, then FcmError.
    text = "Recipient of the message is not set."
    raise Rejected(
        errors.fcm_error(
            FcmErrorCode.INVALID_ARGUMENT, text, violations=[FieldViolation("message", text)]
        )
    )


def _check_topic(topic: str) -> None:
    # reference/fcm.md §1.3: [a-zA-Z0-9-_.~%]{1,900}, no "/topics/" prefix [U exact text].
    if TOPIC_PATTERN.fullmatch(topic) is None:
        raise Rejected(_invalid_argument("message.topic", "Invalid topic name."))


def _parse_condition(text: str, allow_not: bool) -> Condition:
    try:
        return parse_condition(text, allow_not=allow_not)
    except ConditionError:
        # Seen as a 400 with fieldViolation message.condition (reference/fcm.md §1.3) [S].
        raise Rejected(
            _invalid_argument("message.condition", "Invalid condition expression provided.")
        ) from None


def condition_topics(condition: str, *, allow_not: bool = False) -> list[str]:
    """The topics a condition names, after checking its syntax (see :mod:`.conditions`)."""
    return list(_parse_condition(condition, allow_not).topics)


def _check_data(message: Mapping[str, Any]) -> None:
    # reference/fcm.md §1.3: reserved keys, seen as "Invalid data payload key: from" [S].
    for where, data in (
        ("message.data", message.get("data")),
        ("message.android.data", message.get("android", {}).get("data")),
    ):
        for key in data or {}:
            if key in _RESERVED_KEYS or key.startswith(_RESERVED_PREFIXES):
                raise Rejected(_invalid_argument(where, f"Invalid data payload key: {key}"))


def _check_android(message: Mapping[str, Any]) -> None:
    android = message.get("android", {})
    ttl = android.get("ttl")
    if ttl is not None and not 0 <= _duration_seconds(ttl) <= MAX_TTL_SECONDS:
        # reference/fcm.md §0.7: 0..2,419,200 s, else INVALID_ARGUMENT [U exact text].
        raise Rejected(
            _invalid_argument(
                "message.android.ttl",
                f"TTL must be between 0 and {MAX_TTL_SECONDS} seconds: {ttl}",
            )
        )
    notification = android.get("notification", {})
    color = notification.get("color")
    if color is not None and _COLOR.fullmatch(color) is None:
        # reference/fcm.md §1.3: #rrggbb [U exact text].
        raise Rejected(
            _invalid_argument(
                "message.android.notification.color",
                f"Invalid color format: {color}. Expected #rrggbb.",
            )
        )
    light = notification.get("light_settings", {}).get("color", {})
    for channel, value in light.items():
        if not 0.0 <= value <= 1.0:
            # google.type.Color channels are fractions in [0, 1] (reference/fcm.md §1.2).
            where = f"message.android.notification.light_settings.color.{channel}"
            raise Rejected(_invalid_argument(where, f"Color value must be in [0, 1]: {value}"))


def _check_apns(message: Mapping[str, Any]) -> None:
    headers = message.get("apns", {}).get("headers", {})
    lowered = {k.lower(): v for k, v in headers.items()}
    problems: dict[str, Callable[[str], bool]] = {
        "apns-priority": _APNS_PRIORITIES.__contains__,
        "apns-expiration": str.isdigit,
        "apns-push-type": _APNS_PUSH_TYPES.__contains__,
        "apns-collapse-id": lambda v: len(v.encode()) <= 64,
    }
    for name, ok in problems.items():
        value = lowered.get(name)
        if value is not None and not ok(value):
            # FCM relays these to APNs, whose rules they must meet (reference/fcm.md §1.2) [U].
            raise Rejected(
                _invalid_argument(f"message.apns.headers[{name}]", f"Invalid {name}: {value}")
            )
    payload = message.get("apns", {}).get("payload")
    if payload is not None and "aps" in payload and not isinstance(payload["aps"], dict):
        raise Rejected(_invalid_argument("message.apns.payload.aps", "aps must be an object"))


def _check_webpush(message: Mapping[str, Any]) -> None:
    link = message.get("webpush", {}).get("fcm_options", {}).get("link")
    if link is not None and not link.startswith("https://"):
        # reference/fcm.md §1.3: the link must be HTTPS (SDK check [C], server [U]).
        raise Rejected(
            _invalid_argument("message.webpush.fcm_options.link", "Link must be an HTTPS URL.")
        )


def _check_analytics_labels(message: Mapping[str, Any]) -> None:
    blocks = (
        ("message.fcm_options", message.get("fcm_options")),
        ("message.android.fcm_options", message.get("android", {}).get("fcm_options")),
        ("message.apns.fcm_options", message.get("apns", {}).get("fcm_options")),
        ("message.webpush.fcm_options", message.get("webpush", {}).get("fcm_options")),
    )
    for where, block in blocks:
        label = (block or {}).get("analytics_label")
        if label is not None and _ANALYTICS_LABEL.fullmatch(label) is None:
            # reference/fcm.md §1.3: [a-zA-Z0-9-_.~%]{1,50} [U exact text].
            raise Rejected(
                _invalid_argument(f"{where}.analytics_label", "Invalid analytics_label format.")
            )


def _check_size(message: Mapping[str, Any], target_kind: str) -> None:
    limit = MAX_TOPIC_MESSAGE_BYTES if target_kind in ("topic", "condition") else MAX_MESSAGE_BYTES
    if android_size(message) > limit:
        # reference/fcm.md §1.3: an empty BadRequest, then FcmError INVALID_ARGUMENT.
        raise Rejected(
            errors.fcm_error(
                FcmErrorCode.INVALID_ARGUMENT, "Android message is too big", violations=[]
            )
        )


def android_size(message: Mapping[str, Any]) -> int:
    """Bytes counted against the limit: keys and values of the data and notification fields.

    Google's exact accounting is unknown [U]; this counts what the Android app would receive.
    """
    android = message.get("android", {})
    counted: dict[str, Any] = dict(android.get("data", message.get("data", {})))
    for block in (message.get("notification", {}), android.get("notification", {})):
        counted.update({k: v for k, v in block.items() if isinstance(v, str)})
    return sum(len(k.encode()) + len(str(v).encode()) for k, v in counted.items())


def _invalid_argument(field: str, description: str) -> ErrorResponse:
    return errors.fcm_error(
        FcmErrorCode.INVALID_ARGUMENT, description, violations=[FieldViolation(field, description)]
    )


def _duration_seconds(value: str) -> float:
    # Checked by the schema reader already: "-?digits[.fraction]s"; rounded down (§1.2).
    return float(value[:-1])
