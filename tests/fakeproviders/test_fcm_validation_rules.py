"""Message validation rules added for issue 4 (reference §1.3), one per test."""

from __future__ import annotations

from typing import Any

import pytest

from fakeproviders.fcm.errors import ErrorResponse
from fakeproviders.fcm.messages import SendRequest, validate_send_request

TOPIC = {"topic": "news"}


def error(message: dict[str, Any], **options: Any) -> dict[str, Any]:
    decision = validate_send_request({"message": message}, **options)
    assert isinstance(decision, ErrorResponse), decision
    return dict(decision.body["error"])


def ok(message: dict[str, Any], **options: Any) -> SendRequest:
    decision = validate_send_request({"message": message}, **options)
    assert isinstance(decision, SendRequest), decision
    return decision


def violation_field(err: dict[str, Any]) -> str:
    return str(err["details"][0]["fieldViolations"][0]["field"])


@pytest.mark.parametrize("where", ["fcm_options", "android", "apns", "webpush"])
def test_analytics_label_must_match_the_pattern(where: str) -> None:
    """analytics_label is [a-zA-Z0-9-_.~%]{1,50} in every fcm_options block."""
    label = {"fcm_options": {"analytics_label": "bad label!"}}
    message = {**TOPIC, **(label if where == "fcm_options" else {where: label})}
    err = error(message)
    assert err["status"] == "INVALID_ARGUMENT"
    assert violation_field(err).endswith("fcm_options.analytics_label")


def test_analytics_label_of_50_allowed_chars_is_accepted() -> None:
    """A 50-character label from the allowed set is fine; 51 is not."""
    ok({**TOPIC, "fcm_options": {"analytics_label": "a-_.~%" + "b" * 44}})
    assert error({**TOPIC, "fcm_options": {"analytics_label": "b" * 51}})["code"] == 400


@pytest.mark.parametrize("color", ["red", "#fff", "#12345g", "123456", "#1234567"])
def test_notification_color_must_be_rrggbb(color: str) -> None:
    """android.notification.color must be #rrggbb."""
    err = error({**TOPIC, "android": {"notification": {"color": color}}})
    assert violation_field(err) == "message.android.notification.color"


def test_valid_color_is_accepted() -> None:
    """#a1B2c3 is a color."""
    ok({**TOPIC, "android": {"notification": {"color": "#a1B2c3"}}})


def test_light_color_channels_are_fractions() -> None:
    """light_settings.color channels must lie in [0, 1]."""
    light = {"light_settings": {"color": {"red": 2.0}}}
    err = error({**TOPIC, "android": {"notification": light}})
    assert violation_field(err) == "message.android.notification.light_settings.color.red"


def test_webpush_link_must_be_https() -> None:
    """webpush.fcm_options.link must be an HTTPS URL."""
    err = error({**TOPIC, "webpush": {"fcm_options": {"link": "http://example.com"}}})
    assert violation_field(err) == "message.webpush.fcm_options.link"


@pytest.mark.parametrize(
    ("header", "value"),
    [("apns-priority", "7"), ("apns-expiration", "soon"), ("apns-push-type", "shout"),
     ("apns-collapse-id", "x" * 65)],
)  # fmt: skip
def test_apns_headers_must_be_valid_for_apns(header: str, value: str) -> None:
    """apns headers FCM relays must meet APNs' rules."""
    err = error({**TOPIC, "apns": {"headers": {header: value}}})
    assert violation_field(err) == f"message.apns.headers[{header}]"


def test_newer_fields_are_accepted() -> None:
    """bandwidth_constrained_ok, restricted_satellite_ok and live_activity_token are known."""
    ok({**TOPIC, "android": {"bandwidth_constrained_ok": True, "restricted_satellite_ok": True,
                             "direct_boot_ok": True},
        "apns": {"live_activity_token": "abc"}})  # fmt: skip


def test_not_in_condition_follows_the_switch() -> None:
    """! in a condition is refused unless allow_not is set."""
    condition = {"condition": "!('a' in topics)"}
    assert error(condition)["message"] == "Invalid condition expression provided."
    assert ok(condition, allow_not=True).condition is not None


def test_camel_case_nested_fields_are_accepted() -> None:
    """lowerCamelCase works at any depth (restrictedPackageName, analyticsLabel)."""
    decision = ok({**TOPIC, "android": {"restrictedPackageName": "com.x",
                                        "fcmOptions": {"analyticsLabel": "l1"}}})  # fmt: skip
    assert decision.restricted_package_name == "com.x"
