"""Loyalty classes and objects: what the Wallet API accepts, and how a PATCH merges (sans-IO).

reference/wallet.md §6: ids are ``<issuerId>.<suffix>``, the suffix in ``[A-Za-z0-9._-]``; a
class needs ``id``, ``issuerName``, ``reviewStatus``, ``programName`` and ``programLogo``; an
object names an existing ``classId``, a ``state``, and points whose ``balance`` holds exactly one
of ``string``, ``int``, ``double`` or ``money``. Fields the fake does not know are kept as sent
(Google's schema has many more; rejecting them would refuse real requests).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from fakeproviders.gwallet import errors
from fakeproviders.gwallet.errors import WalletError

_ID = re.compile(r"(\d+)\.([A-Za-z0-9._-]+)")
# Enum values are accepted in both spellings proto3 JSON allows (the brief's notifyOnUpdate too).
REVIEW_STATUSES_ON_INSERT = frozenset({"UNDER_REVIEW", "underReview", "DRAFT", "draft"})
REVIEW_STATUSES = REVIEW_STATUSES_ON_INSERT | {"APPROVED", "approved", "REJECTED", "rejected"}
STATES = frozenset(
    {"ACTIVE", "COMPLETED", "EXPIRED", "INACTIVE", "STATE_UNSPECIFIED"}
    | {"active", "completed", "expired", "inactive"}
)
MESSAGE_TYPES = frozenset(
    {"TEXT", "TEXT_AND_NOTIFY", "EXPIRATION_NOTIFICATION", "MESSAGE_TYPE_UNSPECIFIED"}
    | {"text", "textAndNotify", "expirationNotification"}
)
NOTIFYING_MESSAGE_TYPES = frozenset({"TEXT_AND_NOTIFY", "textAndNotify"})
NOTIFY_PREFERENCES = frozenset(
    {"NOTIFICATION_SETTINGS_FOR_UPDATES_UNSPECIFIED", "NOTIFY_ON_UPDATE", "notifyOnUpdate"}
)
NOTIFY_ON_UPDATE = frozenset({"NOTIFY_ON_UPDATE", "notifyOnUpdate"})
_BALANCE_KINDS = ("string", "int", "double", "money")


class Refused(Exception):
    """A request the Wallet API answers with ``error``."""

    def __init__(self, error: WalletError) -> None:
        super().__init__(error.message)
        self.error = error


def issuer_of(resource_id: str) -> str:
    """The issuer id of a valid resource id (raises :class:`Refused` for an invalid one)."""
    match = _ID.fullmatch(resource_id)
    if match is None:
        raise Refused(errors.invalid_resource_id(resource_id))
    return match.group(1)


def check_class(resource: Any, *, inserting: bool) -> dict[str, Any]:
    """A whole ``LoyaltyClass`` as sent to insert or update; returns it as a dict."""
    body = _object(resource, "resource")
    issuer_of(_string(body, "id", required=True))
    for name in ("issuerName", "programName"):
        _string(body, name, required=True)
    logo = body.get("programLogo")
    uri = logo.get("sourceUri") if isinstance(logo, dict) else None
    if not (isinstance(uri, dict) and isinstance(uri.get("uri"), str) and uri["uri"]):
        raise Refused(errors.invalid_argument("programLogo.sourceUri.uri is required."))
    status = _string(body, "reviewStatus", required=True)
    # "This field can be set to draft or underReview using the insert, patch, or update API
    # calls" (Google's LoyaltyClass page); approval is Google's to give [U exact enforcement].
    allowed = REVIEW_STATUSES_ON_INSERT if inserting else REVIEW_STATUSES
    if status not in allowed:
        raise Refused(errors.invalid_argument(f"Invalid review status: {status}."))
    _messages(body)
    _enum(body, "notifyPreference", NOTIFY_PREFERENCES)
    return body


def check_object(resource: Any, *, require_state: bool) -> dict[str, Any]:
    """A whole ``LoyaltyObject`` as sent to insert or update; returns it as a dict."""
    body = _object(resource, "resource")
    issuer_of(_string(body, "id", required=True))
    issuer_of(_string(body, "classId", required=True))
    state = _enum(body, "state", STATES)
    if state is None and require_state:
        raise Refused(errors.invalid_argument("state is required."))
    for name in ("accountId", "accountName"):
        _string(body, name, required=False)
    for name in ("loyaltyPoints", "secondaryLoyaltyPoints"):
        if name in body:
            _points(body[name], name)
    _messages(body)
    _enum(body, "notifyPreference", NOTIFY_PREFERENCES)
    return body


def check_message(message: Any, at: str = "message") -> dict[str, Any]:
    """One ``Message``: a header or a body, a known ``messageType`` (§6)."""
    body = _object(message, at)
    header = _string(body, "header", required=False, at=at)
    text = _string(body, "body", required=False, at=at)
    if not header and not text:
        raise Refused(errors.invalid_argument(f"{at} needs a header or a body."))
    _string(body, "id", required=False, at=at)
    _enum(body, "messageType", MESSAGE_TYPES, at=at)
    return body


def merge(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """PATCH semantics: nested objects merge field by field, anything else is replaced."""
    merged = copy.deepcopy(dict(current))
    for key, value in patch.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = merge(old, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any], paths: tuple[str, ...]
) -> list[str]:
    """Which dotted ``paths`` differ between two versions of a resource."""
    return [p for p in paths if _at(before, p) != _at(after, p)]


def wants_notification(resource: Mapping[str, Any]) -> bool:
    """``notifyPreference: NOTIFY_ON_UPDATE`` (ephemeral: read per request, never stored, §7)."""
    preference = resource.get("notifyPreference")
    return isinstance(preference, str) and preference in NOTIFY_ON_UPDATE


def _at(resource: Mapping[str, Any], path: str) -> Any:
    value: Any = resource
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _object(value: Any, at: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refused(errors.invalid_argument(f"{at} must be a JSON object."))
    return value


def _string(body: Mapping[str, Any], name: str, *, required: bool, at: str = "") -> str:
    value = body.get(name)
    where = f"{at}.{name}" if at else name
    if value is None:
        if required:
            raise Refused(errors.invalid_argument(f"{where} is required."))
        return ""
    if not isinstance(value, str) or (required and not value):
        raise Refused(errors.invalid_argument(f"Invalid value at '{where}': expected a string."))
    return value


def _enum(body: Mapping[str, Any], name: str, allowed: frozenset[str], at: str = "") -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        where = f"{at}.{name}" if at else name
        # proto3 JSON parsing's wording for an unknown enum value.
        raise Refused(
            errors.invalid_argument(f"Invalid value at '{where}', \"{value}\" is not a valid enum.")
        )
    return value


def _messages(body: Mapping[str, Any]) -> None:
    messages = body.get("messages")
    if messages is None:
        return
    if not isinstance(messages, list):
        raise Refused(errors.invalid_argument("messages must be a list."))
    for i, message in enumerate(messages):
        check_message(message, f"messages[{i}]")


def _points(points: Any, name: str) -> None:
    block = _object(points, name)
    _string(block, "label", required=False, at=name)
    balance = block.get("balance")
    if balance is None:
        return
    balance = _object(balance, f"{name}.balance")
    kinds = [k for k in _BALANCE_KINDS if k in balance]
    if len(kinds) != 1:
        raise Refused(
            errors.invalid_argument(
                f"{name}.balance must set exactly one of string, int, double or money."
            )
        )
    value = balance[kinds[0]]
    valid = {
        "string": isinstance(value, str),
        # int32 and double: JSON numbers, or strings holding them (proto3 JSON).
        "int": (isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31)
        or (isinstance(value, str) and re.fullmatch(r"-?\d{1,10}", value) is not None),
        "double": isinstance(value, int | float) and not isinstance(value, bool),
        "money": isinstance(value, dict)
        and isinstance(value.get("currencyCode"), str)
        and isinstance(value.get("micros"), int | str),
    }[kinds[0]]
    if not valid:
        raise Refused(errors.invalid_argument(f"Invalid value at '{name}.balance.{kinds[0]}'."))
