"""Validation of ``messages:send`` request bodies (sans-IO): bytes in, a decision out.

The decision is a :class:`SendRequest` (valid: who to send to, and what to deliver) or an
:class:`~fakeproviders.fcm.errors.ErrorResponse` with the body Google would answer. Checks that
need the token registry (well-formedness, UNREGISTERED, package name) are the server's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fakeproviders.fcm import errors, schema
from fakeproviders.fcm.errors import ErrorResponse, FcmErrorCode, FieldViolation
from fakeproviders.fcm.schema import Rejected

#: reference/fcm.md §1.3: payload limits, "includes both the keys and the values".
MAX_MESSAGE_BYTES = 4096
MAX_TOPIC_MESSAGE_BYTES = 2048
#: reference/fcm.md §0.7: android.ttl range, 28 days.
MAX_TTL_SECONDS = 2_419_200
DEFAULT_TTL_SECONDS = MAX_TTL_SECONDS
MAX_CONDITION_TOPICS = 5
_TOPIC = re.compile(r"[a-zA-Z0-9\-_.~%]{1,900}")
_RESERVED_KEYS = frozenset({"from", "message_type"})
_RESERVED_PREFIXES = ("google.", "gcm.notification.")
_CONDITION_TOKEN = re.compile(
    r"\s*(?:(?P<topic>'[^']*'|\"[^\"]*\")\s+in\s+topics\b|(?P<op>&&|\|\|)|(?P<paren>[()])"
    r"|(?P<not>!))"
)


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A valid send: the normalized message (snake_case keys) and its single target."""

    message: Mapping[str, Any]
    validate_only: bool
    target_kind: str
    """``"token"``, ``"topic"``, ``"condition"`` or ``"fid"``."""
    target: str

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


def parse_send_request(raw: bytes) -> SendRequest | ErrorResponse:
    """Decode a request body and validate it."""
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return errors.invalid_json(raw)
    return validate_send_request(body)


def validate_send_request(body: Any) -> SendRequest | ErrorResponse:
    """Validate a decoded ``SendMessageRequest``."""
    if not isinstance(body, dict):
        return errors.bad_request(
            'Invalid JSON payload received. Unknown name "": Root element must be a message.'
        )
    try:
        request = schema.read(body, schema.SEND_REQUEST, "")
        message: dict[str, Any] = request.get("message", {})
        target_kind, target = _target(message)
        _check_data(message)
        _check_android(message)
        _check_size(message, target_kind)
    except Rejected as rejected:
        return rejected.response
    return SendRequest(message, bool(request.get("validate_only", False)), target_kind, target)


def _target(message: Mapping[str, Any]) -> tuple[str, str]:
    for kind in schema.TARGETS:
        if message.get(kind):
            value: str = message[kind]
            if kind == "topic":
                _check_topic(value)
            elif kind == "condition":
                condition_topics(value)
            return kind, value
    # reference/fcm.md §1.3: BadRequest on "message" first, then FcmError.
    text = "Recipient of the message is not set."
    raise Rejected(
        errors.fcm_error(
            FcmErrorCode.INVALID_ARGUMENT, text, violations=[FieldViolation("message", text)]
        )
    )


def _check_topic(topic: str) -> None:
    # reference/fcm.md §1.3: [a-zA-Z0-9-_.~%]{1,900}, no "/topics/" prefix [U exact text].
    if _TOPIC.fullmatch(topic) is None:
        raise Rejected(_invalid_argument("message.topic", "Invalid topic name."))


def condition_topics(condition: str, *, allow_not: bool = False) -> list[str]:
    """The topics a condition names, after checking its syntax (reference/fcm.md §1.3).

    ``'A' in topics && ('B' in topics || 'C' in topics)``: ``&&``, ``||``, parentheses, at most
    five topics; ``!`` only when ``allow_not`` (v1 rejected it in 2018 [S]).
    """
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = condition.rstrip()
    while pos < len(text):
        match = _CONDITION_TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise _bad_condition()
        group = match.lastgroup or ""
        tokens.append((group, match.group(group)))
        pos = match.end()
    topics: list[str] = []
    if not _parse_expression(tokens, 0, topics, allow_not) == len(tokens):
        raise _bad_condition()
    if len(topics) > MAX_CONDITION_TOPICS or any(_TOPIC.fullmatch(t) is None for t in topics):
        raise _bad_condition()
    return topics


def _parse_expression(
    tokens: list[tuple[str, str]], i: int, topics: list[str], allow_not: bool
) -> int:
    """expr := term (op term)*; term := ['!'] (topic | '(' expr ')'). Returns the next index."""
    i = _parse_term(tokens, i, topics, allow_not)
    while i < len(tokens) and tokens[i][0] == "op":
        i = _parse_term(tokens, i + 1, topics, allow_not)
    return i


def _parse_term(tokens: list[tuple[str, str]], i: int, topics: list[str], allow_not: bool) -> int:
    if i < len(tokens) and tokens[i][0] == "not":
        if not allow_not:
            raise _bad_condition()
        i += 1
    if i >= len(tokens):
        raise _bad_condition()
    kind, value = tokens[i]
    if kind == "topic":
        topics.append(value[1:-1])
        return i + 1
    if kind == "paren" and value == "(":
        i = _parse_expression(tokens, i + 1, topics, allow_not)
        if i < len(tokens) and tokens[i] == ("paren", ")"):
            return i + 1
    raise _bad_condition()


def _bad_condition() -> Rejected:
    # Seen as a 400 with fieldViolation message.condition (reference/fcm.md §1.3) [S].
    return Rejected(
        _invalid_argument("message.condition", "Invalid condition expression provided.")
    )


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
    ttl = message.get("android", {}).get("ttl")
    if ttl is not None and not 0 <= _duration_seconds(ttl) <= MAX_TTL_SECONDS:
        # reference/fcm.md §0.7: 0..2,419,200 s, else INVALID_ARGUMENT [U exact text].
        raise Rejected(
            _invalid_argument(
                "message.android.ttl",
                f"TTL must be between 0 and {MAX_TTL_SECONDS} seconds: {ttl}",
            )
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
