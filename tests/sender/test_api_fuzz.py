"""Fuzzing the sender API: whatever JSON arrives, the answer is a 2xx or a 4xx, never a 5xx."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sender import SenderService, SqliteStore, create_app

from .conftest import ManualClock

# Lone surrogates are valid JSON escapes ("\ud800") but not encodable text: include them.
_special = st.sampled_from(["", " ", "ios", "android", "data", "ab" * 32, "\ud800", "x\u0000"])
_text = st.text(st.characters(exclude_categories=()), max_size=12) | _special
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_VALID: dict[str, dict[str, Any]] = {
    "/v1/devices": {"token": "ab" * 32, "platform": "ios", "app_id": "com.x", "user_id": "u"},
    "/v1/notifications": {"user_id": "u", "title": "t", "data": {"k": "v"}, "ttl": 5},
    "/v1/events": {"notification_id": "n", "token": "ab" * 32, "event": "opened"},
}
_HEADERS = {
    "/v1/devices": {"X-App-Key": "a"},
    "/v1/notifications": {"Authorization": "Bearer k"},
    "/v1/events": {"X-App-Key": "a"},
}


_DEEP = "<3,000 nested arrays>"


@st.composite
def _requests(draw: st.DrawFn) -> tuple[str, Any]:
    """A route and a body: mostly a valid body with a few fields replaced, dropped or added."""
    path = draw(st.sampled_from(sorted(_VALID)))
    if draw(st.integers(0, 9)) == 0:
        return path, draw(_json)
    body = dict(_VALID[path])
    for key in draw(st.lists(st.sampled_from([*body, "kind", "priority", "extra"]), max_size=3)):
        if draw(st.booleans()):
            body[key] = draw(_special | _text | _json)
        else:
            body.pop(key, None)
    return path, body


def _dumps(body: Any) -> bytes:
    if body == _DEEP:  # deeper than json.dumps (or a repr of the example) can go
        return b'{"data": ' + b"[" * 3000 + b"1" + b"]" * 3000 + b"}"
    return json.dumps(body).encode()


def test_no_input_causes_a_server_error(tmp_path: Path) -> None:
    """Arbitrary JSON bodies on every write route get a 2xx or 4xx in the error shape."""
    store = SqliteStore(tmp_path / "fuzz.db")
    app = create_app(SenderService(store, None, None, ManualClock()), api_key="k", app_key="a")

    async def post(path: str, headers: dict[str, str], body: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://sender") as client:
            return await client.post(
                path,
                content=_dumps(body),
                headers=headers | {"content-type": "application/json"},
            )

    @settings(max_examples=200, deadline=None)
    @given(request=_requests())
    @example(request=("/v1/devices", _VALID["/v1/devices"] | {"app_id": "\ud800"}))
    @example(request=("/v1/notifications", _VALID["/v1/notifications"] | {"data": {"k": "\udfff"}}))
    @example(request=("/v1/notifications", _VALID["/v1/notifications"] | {"ttl": float("nan")}))
    @example(request=("/v1/notifications", _DEEP))
    def check(request: tuple[str, Any]) -> None:
        path, body = request
        response = asyncio.run(post(path, _HEADERS[path], body))
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.json()["error"]["code"] == response.status_code

    try:
        check()
    finally:
        store.close()
