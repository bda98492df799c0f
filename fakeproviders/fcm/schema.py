"""The FCM v1 ``Message`` schema and a proto3-JSON reader for it (sans-IO).

Google maps the request JSON onto protobuf messages before FCM sees it, so JSON-level mistakes
(unknown names, wrong types, two targets) get the front end's BadRequest-only 400s
(reference/fcm.md §1.3). Field names are proto (snake_case); lowerCamelCase is accepted too, as
proto3 JSON requires (reference/fcm.md §0.2). The reader returns the message with snake_case keys.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fakeproviders.fcm import errors
from fakeproviders.fcm.errors import ErrorResponse, FakeFcmError

_PKG = "type.googleapis.com/google.firebase.fcm.v1."
_DURATION = re.compile(r"-?\d+(\.\d{0,9})?s")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")
#: The message's target oneof (reference/fcm.md §1.2).
TARGETS = ("token", "topic", "condition", "fid")


class Rejected(FakeFcmError):
    """Raised inside validation; carries the error answer."""

    def __init__(self, response: ErrorResponse) -> None:
        super().__init__(response.message)
        self.response = response


@dataclass(frozen=True, slots=True)
class Kind:
    """How one field is read: ``scalar`` (string/bool/int32/float/duration/timestamp), ``enum``,
    ``map`` (map<string,string>), ``struct`` (free JSON object), ``object`` or ``list``."""

    kind: str
    type_name: str = ""
    fields: Mapping[str, Kind] | None = None
    values: tuple[str, ...] = ()
    item: Kind | None = None


STRING = Kind("string", "TYPE_STRING")
BOOL = Kind("bool", "TYPE_BOOL")
INT32 = Kind("int", "TYPE_INT32")
FLOAT = Kind("float", "TYPE_FLOAT")
DURATION = Kind("duration", "type.googleapis.com/google.protobuf.Duration")
TIMESTAMP = Kind("timestamp", "type.googleapis.com/google.protobuf.Timestamp")
STRING_MAP = Kind("map")
STRUCT = Kind("struct", "type.googleapis.com/google.protobuf.Struct")


def _obj(type_name: str, **fields: Kind) -> Kind:
    return Kind("object", type_name, fields)


def _enum(type_name: str, *values: str) -> Kind:
    return Kind("enum", _PKG + type_name, values=values)


def _list(item: Kind) -> Kind:
    return Kind("list", item=item)


_NOTIFICATION = _obj(_PKG + "Notification", title=STRING, body=STRING, image=STRING)
_ANDROID_NOTIFICATION = _obj(
    _PKG + "AndroidNotification",
    title=STRING,
    body=STRING,
    icon=STRING,
    color=STRING,
    sound=STRING,
    tag=STRING,
    click_action=STRING,
    body_loc_key=STRING,
    body_loc_args=_list(STRING),
    title_loc_key=STRING,
    title_loc_args=_list(STRING),
    channel_id=STRING,
    ticker=STRING,
    sticky=BOOL,
    event_time=TIMESTAMP,
    local_only=BOOL,
    notification_priority=_enum(
        "AndroidNotification.NotificationPriority",
        "PRIORITY_UNSPECIFIED",
        "PRIORITY_MIN",
        "PRIORITY_LOW",
        "PRIORITY_DEFAULT",
        "PRIORITY_HIGH",
        "PRIORITY_MAX",
    ),
    default_sound=BOOL,
    default_vibrate_timings=BOOL,
    default_light_settings=BOOL,
    vibrate_timings=_list(DURATION),
    visibility=_enum(
        "AndroidNotification.Visibility", "VISIBILITY_UNSPECIFIED", "PRIVATE", "PUBLIC", "SECRET"
    ),
    notification_count=INT32,
    light_settings=_obj(
        _PKG + "LightSettings",
        color=_obj(
            "type.googleapis.com/google.type.Color",
            red=FLOAT,
            green=FLOAT,
            blue=FLOAT,
            alpha=FLOAT,
        ),
        light_on_duration=DURATION,
        light_off_duration=DURATION,
    ),
    image=STRING,
    proxy=_enum(
        "AndroidNotification.Proxy", "PROXY_UNSPECIFIED", "ALLOW", "DENY", "IF_PRIORITY_LOWERED"
    ),
    bypass_proxy_notification=BOOL,
)
_ANDROID = _obj(
    _PKG + "AndroidConfig",
    collapse_key=STRING,
    # Docs and SDKs send lowercase "normal"/"high"; enums are matched case-insensitively (§1.2).
    priority=_enum("AndroidMessagePriority", "NORMAL", "HIGH"),
    ttl=DURATION,
    restricted_package_name=STRING,
    data=STRING_MAP,
    notification=_ANDROID_NOTIFICATION,
    fcm_options=_obj(_PKG + "AndroidFcmOptions", analytics_label=STRING),
    direct_boot_ok=BOOL,
    bandwidth_constrained_ok=BOOL,
    restricted_satellite_ok=BOOL,
)
_APNS = _obj(
    _PKG + "ApnsConfig",
    headers=STRING_MAP,
    payload=STRUCT,
    fcm_options=_obj(_PKG + "ApnsFcmOptions", analytics_label=STRING, image=STRING),
    live_activity_token=STRING,
)
_WEBPUSH = _obj(
    _PKG + "WebpushConfig",
    headers=STRING_MAP,
    data=STRING_MAP,
    notification=STRUCT,
    fcm_options=_obj(_PKG + "WebpushFcmOptions", link=STRING, analytics_label=STRING),
)
MESSAGE = _obj(
    _PKG + "Message",
    name=STRING,
    data=STRING_MAP,
    notification=_NOTIFICATION,
    android=_ANDROID,
    webpush=_WEBPUSH,
    apns=_APNS,
    fcm_options=_obj(_PKG + "FcmOptions", analytics_label=STRING),
    token=STRING,
    topic=STRING,
    condition=STRING,
    fid=STRING,
)
SEND_REQUEST = _obj(_PKG + "SendMessageRequest", message=MESSAGE, validate_only=BOOL)


def read(value: Any, kind: Kind, path: str) -> Any:
    """Read ``value`` as ``kind``; ``path`` names it in errors ('message.android.ttl').

    Raises :class:`Rejected` with Google's JSON-mapping error.
    """
    if kind.kind == "object":
        return _read_object(value, kind, path)
    if kind.kind == "map":
        return _read_map(value, path)
    if kind.kind == "struct":
        if not isinstance(value, dict):
            raise Rejected(_invalid_value(path, kind.type_name, value))
        return value
    if kind.kind == "list":
        if not isinstance(value, list):
            raise Rejected(_invalid_value(path, kind.item.type_name if kind.item else "", value))
        assert kind.item is not None
        return [read(v, kind.item, f"{path}[{i}]") for i, v in enumerate(value)]
    return _read_scalar(value, kind, path)


def _read_object(value: Any, kind: Kind, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Rejected(_invalid_value(path, kind.type_name, value))
    assert kind.fields is not None
    out: dict[str, Any] = {}
    target: str | None = None
    for name, raw in value.items():
        snake = _snake(name)
        field = kind.fields.get(snake)
        if field is None:
            raise Rejected(errors.unknown_field(name, path))
        if raw is None:  # proto3 JSON: null is the default value, i.e. absent
            continue
        if isinstance(raw, list) and field.kind != "list":
            raise Rejected(
                errors.bad_request(
                    f"Invalid JSON payload received. Unknown name \"{name}\" at '{path}': "
                    "Proto field is not repeating, cannot start list.",
                    path or None,
                )
            )
        sub = f"{path}.{snake}" if path else snake
        out[snake] = read(raw, field, sub)
        if kind is MESSAGE and snake in TARGETS and out[snake] != "":
            if target is not None and target != snake:
                raise Rejected(
                    errors.bad_request(
                        f"Invalid value at '{path}' (oneof), oneof field 'target' is already "
                        f"set. Cannot set '{snake}'",
                        path,
                    )
                )
            target = snake
    return out


def _read_map(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Rejected(_invalid_value(path, "type.googleapis.com/google.protobuf.Map", value))
    for index, item in enumerate(value.values()):
        if not isinstance(item, str):
            # reference/fcm.md §1.3: "Invalid value at 'message.data[1].value' (TYPE_STRING), 21465"
            raise Rejected(_invalid_value(f"{path}[{index}].value", "TYPE_STRING", item))
    return dict(value)


def _read_scalar(value: Any, kind: Kind, path: str) -> Any:
    ok: bool
    k = kind.kind
    if k in ("string", "duration", "timestamp", "enum") and isinstance(value, str):
        if k == "duration":
            ok = _DURATION.fullmatch(value) is not None
        elif k == "timestamp":
            ok = _TIMESTAMP.fullmatch(value) is not None
        elif k == "enum":
            upper = value.upper()
            if upper in kind.values:
                return upper
            ok = False
        else:
            return value
        if ok:
            return value
    elif k == "enum" and isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < len(kind.values):
            return kind.values[value]
    elif k == "bool" and isinstance(value, bool):
        return value
    elif k in ("int", "float"):
        number = _number(value, integral=k == "int")
        if number is not None:
            return number
    raise Rejected(_invalid_value(path, kind.type_name, value))


def _number(value: Any, *, integral: bool) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):  # proto3 JSON accepts numbers as strings
        try:
            value = float(value) if not integral else int(value)
        except ValueError:
            return None
    if integral:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value if isinstance(value, int) and -(2**31) <= value < 2**31 else None
    return float(value) if isinstance(value, int | float) else None


def _invalid_value(path: str, type_name: str, value: Any) -> ErrorResponse:
    if isinstance(value, dict):
        shown = "Starting an object on a scalar field"
    else:
        shown = json.dumps(value, ensure_ascii=False)
    return errors.bad_request(f"Invalid value at '{path}' ({type_name}), {shown}", path)


@functools.lru_cache(maxsize=1024)  # the same few field names in every message (profiled)
def _snake(name: str) -> str:
    """lowerCamelCase → snake_case; snake_case stays as it is."""
    return re.sub(r"(?<!^)([A-Z])", lambda m: "_" + m.group(1).lower(), name)
