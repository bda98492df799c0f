"""Fuzzing ``messages:send``: every answer is a success or one of Google's documented errors."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeproviders.fcm.frontend import FcmFrontEnd
from tests.fakeproviders.fcm_support import APP, BEARER, PROJECT, Harness

#: (HTTP status, google.rpc status) pairs Google documents for messages:send (reference §2).
DOCUMENTED = {
    (400, "INVALID_ARGUMENT"),
    (401, "UNAUTHENTICATED"),
    (403, "PERMISSION_DENIED"),
    (404, "NOT_FOUND"),
}
FCM_CODES = {"INVALID_ARGUMENT", "UNREGISTERED", "SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR"}

HARNESS = Harness(allow_not_in_conditions=True)
GOOD_TOKEN = HARNESS.registry.register("phone-1", APP)
IOS_TOKEN = HARNESS.registry.register("phone-2", APP, platform="ios")
OTHER_TOKEN = HARNESS.registry.register("phone-3", APP, project_id="other")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
    st.text(max_size=20), st.sampled_from(["3.5s", "0s", "-1s", "2419201s", "high", "NORMAL",
                                           "#ff0000", "https://x", "10", "5", "alert"]),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=10,
)  # fmt: skip
FIELDS = [
    "data", "notification", "android", "apns", "webpush", "fcm_options", "fcmOptions", "name",
    "priority", "ttl", "collapse_key", "collapseKey", "restricted_package_name", "headers",
    "payload", "aps", "title", "body", "color", "image", "analytics_label", "link",
    "light_settings", "notification_count", "vibrate_timings", "event_time", "visibility",
    "live_activity_token", "direct_boot_ok", "bogus",
]  # fmt: skip
nested = st.recursive(
    json_values,
    lambda inner: st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    max_leaves=12,
)
targets = st.sampled_from([
    {"token": GOOD_TOKEN}, {"token": IOS_TOKEN}, {"token": OTHER_TOKEN},
    {"token": "not-a-token"}, {"token": "abcdefgh:" + "Q" * 40}, {"topic": "news"},
    {"topic": "/topics/x"}, {"condition": "'a' in topics || !('b' in topics)"},
    {"condition": "'a' in topics &&"}, {"fid": "f"}, {}, {"token": GOOD_TOKEN, "topic": "t"},
])  # fmt: skip
messages = st.builds(
    lambda target, extra: {**extra, **target},
    targets,
    st.dictionaries(st.sampled_from(FIELDS), nested, max_size=4),
)
bodies = st.one_of(
    st.builds(lambda m, v: {"message": m, "validate_only": v}, messages, st.booleans()),
    json_values,
)


def check(frontend: FcmFrontEnd, raw: bytes) -> None:
    reply = frontend.send(PROJECT, BEARER, raw)
    answer: Any = json.loads(reply.body)
    if reply.status == 200:
        assert answer["name"].startswith(f"projects/{PROJECT}/messages/")
        return
    error = answer["error"]
    assert (reply.status, error["status"]) in DOCUMENTED, answer
    assert error["code"] == reply.status
    assert isinstance(error["message"], str) and error["message"]
    for detail in error.get("details", []):
        assert detail["@type"].startswith("type.googleapis.com/")
        if detail["@type"].endswith("FcmError"):
            assert detail["errorCode"] in FCM_CODES


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_any_message_json_gets_a_documented_answer(body: Any) -> None:
    """Whatever the JSON, the answer is 200 or a documented google.rpc error, never a 500."""
    check(HARNESS.frontend, json.dumps(body).encode())


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_get_a_documented_answer(raw: bytes) -> None:
    """Even bytes that are not JSON get a documented 400, never a crash."""
    check(HARNESS.frontend, raw)


# Bodies a strict JSON parser refuses, or that cost a careless one its stack.
HOSTILE = [
    b'{"message": {"topic": "news", "data": {"k": NaN}}}',
    b'{"message": {"topic": "news", "ttl": Infinity}}',
    b'{"message": {"topic": "news", "data": {"k": "\\ud800"}}}',
    b'{"message": {"topic": "\\udfff"}}',
    b'{"message": {"topic": "news", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
    b'{"message": ' + b'{"a": ' * 3000 + b"1" + b"}" * 3000 + b"}",
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(HOSTILE), st.integers(0, 16))
def test_hostile_json_gets_googles_invalid_json_400(raw: bytes, cut: int) -> None:
    """NaN/Infinity, lone surrogates and deep nesting: 400 "Invalid JSON payload received."
    (reference/fcm.md §1.3), never a 500; a truncated one too."""
    body = raw[: len(raw) - cut] if cut else raw
    reply = HARNESS.frontend.send(PROJECT, BEARER, body)
    assert reply.status == 400, reply.body
    assert json.loads(reply.body)["error"]["message"].startswith("Invalid JSON payload received.")


def test_a_condition_with_thousands_of_parentheses_is_invalid() -> None:
    """A condition nested far deeper than five topics need gets Google's condition 400."""
    condition = "(" * 5000 + "'a' in topics" + ")" * 5000
    body = json.dumps({"message": {"condition": condition}}).encode()
    reply = HARNESS.frontend.send(PROJECT, BEARER, body)
    assert reply.status == 400
    assert json.loads(reply.body)["error"]["message"] == "Invalid condition expression provided."
