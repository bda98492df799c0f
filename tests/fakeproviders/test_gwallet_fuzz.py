"""Fuzzing the fake Wallet API: any body, id or message gets Google's JSON error or a success,
never a crash; nothing refused is stored."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .gwallet_support import BEARER, OBJECT_ID, Harness, loyalty_object

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_FIELDS = ("id", "classId", "state", "loyaltyPoints", "messages", "notifyPreference", "accountId")
_OBJECTS = st.fixed_dictionaries({}, optional={k: _JSON for k in _FIELDS}).map(
    lambda extra: {**loyalty_object(), **extra}
)
_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _google_error_or_ok(status: int, raw: bytes) -> Any:
    data = json.loads(raw)
    if status == 200:
        return data
    assert 400 <= status < 500, (status, raw)
    error = data["error"]
    assert error["code"] == status and isinstance(error["message"], str)
    assert error["errors"][0]["reason"]
    return data


@_SETTINGS
@given(raw=st.binary(max_size=64) | _JSON.map(lambda v: json.dumps(v).encode()))
def test_any_insert_body(raw: bytes) -> None:
    """Any bytes as an insert body: 200 or a Google 4xx body."""
    wallet = Harness()
    for kind in ("loyaltyClass", "loyaltyObject"):
        reply = wallet.api.insert(kind, BEARER, raw)  # type: ignore[arg-type]
        _google_error_or_ok(reply.status, reply.body)


@_SETTINGS
@given(resource=_OBJECTS)
def test_objects_with_wild_fields(resource: dict[str, Any]) -> None:
    """Objects with arbitrary values in known fields: accepted exactly when stored."""
    wallet = Harness()
    wallet.card()
    resource = (
        {**resource, "id": f"{OBJECT_ID}-2"} if isinstance(resource.get("id"), str) else resource
    )
    reply = wallet.insert("loyaltyObject", resource)
    _google_error_or_ok(reply.status, reply.body)
    stored = isinstance(resource.get("id"), str) and wallet.api.store.exists(
        "loyaltyObject", resource["id"]
    )
    assert stored == (reply.status == 200)


@_SETTINGS
@given(patch=st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=4))
def test_any_patch_keeps_the_object_valid(patch: dict[str, Any]) -> None:
    """A refused PATCH changes nothing; an accepted one leaves a valid object."""
    wallet = Harness()
    wallet.card()
    before = wallet.api.store.get("loyaltyObject", OBJECT_ID)
    reply = wallet.patch(OBJECT_ID, patch)
    _google_error_or_ok(reply.status, reply.body)
    after = wallet.api.store.get("loyaltyObject", OBJECT_ID)
    if reply.status != 200:
        assert after == before
    else:
        assert (
            after is not None
            and wallet.insert("loyaltyObject", {**after, "id": f"{OBJECT_ID}-c"}).status == 200
        )


@_SETTINGS
@given(message=_JSON, resource_id=st.text(max_size=20))
def test_any_message_and_id(message: Any, resource_id: str) -> None:
    """addMessage with any message to any id: 200 or a Google 4xx body."""
    wallet = Harness()
    wallet.card()
    raw = json.dumps({"message": message}).encode()
    for target in (resource_id, OBJECT_ID):
        reply = wallet.api.add_message("loyaltyObject", target, BEARER, raw)
        _google_error_or_ok(reply.status, reply.body)


@_SETTINGS
@given(
    link=st.text(max_size=80)
    | st.builds(lambda t: "https://pay.google.com/gp/v/save/" + t, st.text(max_size=80))
)
def test_any_save_link(link: str) -> None:
    """Any string as a save link is refused with a reason, never a crash."""
    wallet = Harness()
    assert wallet.api.save("pixel-1", link).error
