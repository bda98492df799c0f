from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeproviders.fcm.errors import ErrorResponse
from fakeproviders.fcm.messages import (
    SendRequest,
    condition_topics,
    parse_send_request,
    validate_send_request,
)
from fakeproviders.fcm.schema import Rejected

TOKEN = "fGw0qy4TGgk:APA91bGtWGjuhp4WRhHXgbabIYp1jxEKI08ofj_v1bKhWAGJQ4e3arRCWzeTfHaLz83mBnDh0a"


def ok(body: Any) -> SendRequest:
    decision = validate_send_request(body)
    assert isinstance(decision, SendRequest), decision
    return decision


def error(body: Any) -> dict[str, Any]:
    decision = validate_send_request(body)
    assert isinstance(decision, ErrorResponse), decision
    return dict(decision.body["error"])


def test_token_message_is_valid() -> None:
    """A message with a token, a notification and string data is accepted."""
    decision = ok({"message": {"token": TOKEN, "notification": {"title": "t", "body": "b"},
                               "data": {"k": "v"}}})  # fmt: skip
    assert (decision.target_kind, decision.target, decision.validate_only) == (
        "token", TOKEN, False
    )  # fmt: skip


@pytest.mark.parametrize("key", ["validate_only", "validateOnly"])
def test_validate_only_in_both_spellings(key: str) -> None:
    """validate_only and validateOnly both ask for a dry run (reference §0.2)."""
    assert ok({key: True, "message": {"token": TOKEN}}).validate_only


def test_camel_case_fields_are_normalized_to_snake_case() -> None:
    """lowerCamelCase names are accepted and read as the proto's snake_case names."""
    decision = ok(
        {"message": {"token": TOKEN, "fcmOptions": {"analyticsLabel": "x"},
                     "android": {"collapseKey": "score", "restrictedPackageName": "com.a",
                                 "notification": {"clickAction": "OPEN", "channelId": "c"}}}}
    )  # fmt: skip
    assert decision.message["fcm_options"] == {"analytics_label": "x"}
    assert decision.android["collapse_key"] == "score"
    assert decision.android["notification"] == {"click_action": "OPEN", "channel_id": "c"}
    assert decision.restricted_package_name == "com.a"


def test_no_target_is_recipient_not_set() -> None:
    """No target answers reference §1.3's "Recipient of the message is not set." body."""
    text = "Recipient of the message is not set."
    assert error({"message": {"notification": {"title": "t"}}}) == {
        "code": 400,
        "message": text,
        "status": "INVALID_ARGUMENT",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.BadRequest",
             "fieldViolations": [{"field": "message", "description": text}]},
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
             "errorCode": "INVALID_ARGUMENT"},
        ],
    }  # fmt: skip


def test_empty_body_is_recipient_not_set() -> None:
    """An empty body is an empty request, hence a message without a recipient."""
    decision = parse_send_request(b"")
    assert isinstance(decision, ErrorResponse)
    assert decision.message == "Recipient of the message is not set."


def test_two_targets_are_refused() -> None:
    """The target is a oneof: a second one is a JSON-level error."""
    body = error({"message": {"token": TOKEN, "topic": "news"}})
    assert body["message"] == (
        "Invalid value at 'message' (oneof), oneof field 'target' is already set. "
        "Cannot set 'topic'"
    )


def test_unknown_field_error_is_exact() -> None:
    """An unknown name gets Google's "Cannot find field." with only a BadRequest (§1.3)."""
    text = "Invalid JSON payload received. Unknown name \"x\" at 'message': Cannot find field."
    assert error({"message": {"token": TOKEN, "x": 1}}) == {
        "code": 400,
        "message": text,
        "status": "INVALID_ARGUMENT",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.BadRequest",
             "fieldViolations": [{"field": "message", "description": text}]}
        ],
    }  # fmt: skip


def test_unknown_nested_field_names_its_parent() -> None:
    """An unknown name inside android is reported at 'message.android'."""
    body = error({"message": {"token": TOKEN, "android": {"prio": "high"}}})
    assert body["message"].endswith(
        "Unknown name \"prio\" at 'message.android': Cannot find field."
    )


def test_unknown_top_level_field() -> None:
    """An unknown name beside message has no 'at' part."""
    body = error({"message": {"token": TOKEN}, "dry_run": True})
    assert (
        body["message"]
        == 'Invalid JSON payload received. Unknown name "dry_run": Cannot find field.'
    )


def test_non_string_data_value_is_refused() -> None:
    """Data values must be strings; the error names the map entry (reference §1.3)."""
    body = error({"message": {"token": TOKEN, "data": {"a": "1", "b": 21465}}})
    assert body["message"] == "Invalid value at 'message.data[1].value' (TYPE_STRING), 21465"
    assert [d["@type"].rsplit(".", 1)[1] for d in body["details"]] == ["BadRequest"]


@pytest.mark.parametrize("key", ["from", "message_type", "google.x", "gcm.notification.title"])
def test_reserved_data_keys_are_refused(key: str) -> None:
    """Reserved data keys get "Invalid data payload key" (reference §1.3)."""
    body = error({"message": {"token": TOKEN, "data": {key: "v"}}})
    assert body["message"] == f"Invalid data payload key: {key}"
    assert body["details"][-1]["errorCode"] == "INVALID_ARGUMENT"


def test_reserved_keys_in_android_data_are_refused() -> None:
    """android.data is checked like message.data."""
    assert error({"message": {"token": TOKEN, "android": {"data": {"from": "x"}}}})["code"] == 400


@pytest.mark.parametrize("key", ["notification", "collapse_key", "gcm", "googlex"])
def test_keys_that_look_reserved_but_are_not_are_accepted(key: str) -> None:
    """Only from, message_type and the google./gcm.notification. prefixes are reserved."""
    ok({"message": {"token": TOKEN, "data": {key: "v"}}})


def test_message_of_exactly_4096_bytes_is_accepted() -> None:
    """The limit is 4096 bytes of keys and values (reference §1.3)."""
    ok({"message": {"token": TOKEN, "data": {"k": "v" * 4095}}})


def test_message_over_4096_bytes_is_too_big() -> None:
    """Over the limit: "Android message is too big", empty BadRequest then FcmError."""
    body = error({"message": {"token": TOKEN, "data": {"k": "v" * 4096}}})
    assert body["message"] == "Android message is too big"
    assert body["details"] == [
        {"@type": "type.googleapis.com/google.rpc.BadRequest"},
        {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
         "errorCode": "INVALID_ARGUMENT"},
    ]  # fmt: skip


def test_topic_messages_are_limited_to_2048_bytes() -> None:
    """Topic messages have half the limit (reference §1.3)."""
    assert error({"message": {"topic": "news", "data": {"k": "v" * 2048}}})["code"] == 400


@pytest.mark.parametrize(("ttl", "seconds"), [("0s", 0), ("3.5s", 3), ("2419200s", 2419200)])
def test_ttl_in_range_is_accepted(ttl: str, seconds: int) -> None:
    """android.ttl is a duration string 0..2419200 s, rounded down (reference §1.2)."""
    assert ok({"message": {"token": TOKEN, "android": {"ttl": ttl}}}).ttl_seconds() == seconds


@pytest.mark.parametrize("ttl", ["2419201s", "-1s"])
def test_ttl_out_of_range_is_refused(ttl: str) -> None:
    """A TTL over four weeks or negative is INVALID_ARGUMENT with the FcmError detail."""
    body = error({"message": {"token": TOKEN, "android": {"ttl": ttl}}})
    assert body["details"][0]["fieldViolations"][0]["field"] == "message.android.ttl"
    assert body["details"][1]["errorCode"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("ttl", ["abc", 3600, "10"])
def test_ttl_that_is_not_a_duration_string_is_refused(ttl: object) -> None:
    """A TTL must be a google.protobuf.Duration string like "3600s"."""
    body = error({"message": {"token": TOKEN, "android": {"ttl": ttl}}})
    assert "(type.googleapis.com/google.protobuf.Duration)" in body["message"]


@pytest.mark.parametrize(
    ("given_", "header"), [("high", "high"), ("HIGH", "high"), ("normal", "normal")]
)
def test_priority_is_read_case_insensitively(given_: str, header: str) -> None:
    """android.priority accepts "high"/"HIGH"/"normal" (reference §1.2)."""
    decision = ok({"message": {"token": TOKEN, "android": {"priority": given_}}})
    assert decision.delivery_headers()["priority"] == header


def test_unknown_priority_is_refused() -> None:
    """A priority outside the enum names the enum type."""
    body = error({"message": {"token": TOKEN, "android": {"priority": "urgent"}}})
    assert body["message"] == (
        "Invalid value at 'message.android.priority' "
        '(type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), "urgent"'
    )


def test_wrong_type_for_a_string_field() -> None:
    """A number where a string belongs is refused with TYPE_STRING."""
    body = error({"message": {"token": TOKEN, "notification": {"title": 5}}})
    assert body["message"] == "Invalid value at 'message.notification.title' (TYPE_STRING), 5"


def test_null_fields_are_absent() -> None:
    """proto3 JSON: null means the field is not set."""
    decision = ok({"message": {"token": TOKEN, "notification": None, "topic": None}})
    assert "notification" not in decision.message


def test_delivery_headers_and_payload() -> None:
    """Delivery attributes default to the 4-week TTL; android.data replaces message.data."""
    decision = ok({"message": {"token": TOKEN, "data": {"a": "1"},
                               "android": {"collapse_key": "k", "data": {"b": "2"}}}})  # fmt: skip
    assert decision.delivery_headers() == {
        "priority": "normal",
        "ttl": "2419200",
        "collapse_key": "k",
    }
    payload = decision.delivery_payload()
    assert payload["data"] == {"b": "2"}
    assert "notification" not in payload


def test_notification_messages_default_to_high_priority() -> None:
    """Without android.priority, a notification message goes out high, a data one normal [U]."""
    decision = ok({"message": {"token": TOKEN, "notification": {"title": "t"}}})
    assert decision.delivery_headers()["priority"] == "high"


def test_topic_and_condition_targets_are_valid() -> None:
    """Topics and conditions are accepted targets (fan-out comes later)."""
    assert ok({"message": {"topic": "news"}}).target_kind == "topic"
    cond = "'a' in topics && ('b' in topics || 'c' in topics)"
    assert ok({"message": {"condition": cond}}).target_kind == "condition"


def test_topic_with_prefix_is_refused() -> None:
    """A topic name must match [a-zA-Z0-9-_.~%]{1,900}: no "/topics/" prefix."""
    assert error({"message": {"topic": "/topics/news"}})["code"] == 400


def test_condition_parser() -> None:
    """A condition lists its topics; at most five, no "!" by default (reference §1.3)."""
    assert condition_topics("'a' in topics && ('b' in topics || 'c' in topics)") == ["a", "b", "c"]
    assert condition_topics("!('a' in topics)", allow_not=True) == ["a"]
    six = " || ".join(f"'t{i}' in topics" for i in range(6))
    for bad in (six, "!('a' in topics)", "'a' in topics &&", "('a' in topics", "a in topics"):
        with pytest.raises(Rejected):
            condition_topics(bad)


def test_fid_target_is_valid() -> None:
    """The new fid target is accepted by validation (reference §0.3)."""
    assert ok({"message": {"fid": "cXk3lPq1Rz2aB4cD5eF6gH"}}).target_kind == "fid"


def test_non_json_body_is_an_invalid_json_payload() -> None:
    """Bytes that are not JSON get Google's "Invalid JSON payload received." 400."""
    decision = parse_send_request(b"not json")
    assert isinstance(decision, ErrorResponse)
    assert decision.status == 400
    assert decision.message.startswith("Invalid JSON payload received.")


def test_root_must_be_an_object() -> None:
    """A JSON array body is refused."""
    decision = parse_send_request(b"[1, 2]")
    assert isinstance(decision, ErrorResponse) and decision.status == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(
        st.sampled_from(["token", "topic", "data", "android", "ttl", "priority", "notification",
                         "title", "x", "message", "validate_only", "apns", "payload"]),
        inner,
        max_size=4,
    ),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(body=json_values)
def test_any_json_gets_a_decision_never_an_exception(body: Any) -> None:
    """Whatever JSON arrives, validation answers with a decision or Google's error."""
    decision = parse_send_request(json.dumps(body).encode())
    assert isinstance(decision, SendRequest | ErrorResponse)
    if isinstance(decision, ErrorResponse):
        assert decision.status in (400,)
        json.loads(decision.content())
