"""The control API against browsers and hostile input: loopback Host names only, no cross-origin
writes or WebSockets, strict JSON, and no input (however odd) that makes it answer 500."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sender import SenderServer
from simulator import Simulation
from simulator.control import create_control_app
from simulator.control.serialize import json_text


async def test_a_non_loopback_host_name_is_refused(pushsim: Simulation) -> None:
    """DNS rebinding: a page at evil.example resolving to 127.0.0.1 sends ``Host: evil.example``;
    the control API refuses it (403), and still answers its loopback names."""
    transport = httpx.ASGITransport(app=create_control_app(pushsim))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:1") as client:
        refused = await client.get("/endpoints", headers={"host": "evil.example:8080"})
        assert refused.status_code == 403
        assert "loopback" in refused.json()["error"]["message"]
        for host in ("127.0.0.1:8080", "localhost", "[::1]:9"):
            assert (await client.get("/phones", headers={"host": host})).status_code == 200


async def test_cross_origin_writes_are_refused_but_reads_and_same_machine_pages_pass(
    pushsim: Simulation,
) -> None:
    """A POST with another site's Origin is refused (403); GETs, requests without Origin and pages
    served from loopback are served."""
    transport = httpx.ASGITransport(app=create_control_app(pushsim))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        body = {"platform": "ios", "phone_id": "o-1"}
        evil = {"origin": "https://evil.example"}
        assert (await client.post("/phones", json=body, headers=evil)).status_code == 403
        assert (await client.get("/phones", headers=evil)).status_code == 200
        local = {"origin": "http://localhost:5173"}
        assert (await client.post("/phones", json=body, headers=local)).status_code == 201


async def test_a_cross_origin_websocket_is_refused(pushsim: Simulation) -> None:
    """The timeline stream refuses a WebSocket opened by another site's page."""
    server = SenderServer(create_control_app(pushsim))
    await server.start()
    try:
        url = server.url.replace("http://", "ws://") + "/timeline/stream"
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url, origin="https://evil.example")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
        async with websockets.connect(url, origin="http://127.0.0.1") as stream:  # type: ignore[arg-type]
            assert stream is not None
    finally:
        await server.stop()


def test_a_lone_surrogate_in_an_event_renders_as_a_replacement_character() -> None:
    """Strings that UTF-8 cannot encode (a push header decoded with surrogateescape) never break
    the control API's JSON: they become U+FFFD."""
    assert json.loads(json_text({"collapse_id": "a\udcffb"})) == {"collapse_id": "a\ufffdb"}


_text = st.text(max_size=10) | st.sampled_from(["\ud800", "x\u0000", "", "a" * 300, "ios"])
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_ROUTES = [
    ("POST", "/phones"), ("POST", "/phones/fz/apps"), ("PUT", "/phones/fz/network"),
    ("POST", "/faults"), ("POST", "/clock/advance"), ("PUT", "/phones/fz/apps/com.x/settings"),
]  # fmt: skip


async def test_no_json_body_makes_the_control_api_answer_500(pushsim: Simulation) -> None:
    """Arbitrary JSON (NaN, lone surrogates, deep nesting included) on the write routes gets a
    2xx or a 4xx in the error shape, never a 500."""
    app = create_control_app(pushsim)
    loop = asyncio.get_running_loop()

    async def post(method: str, path: str, raw: bytes) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.request(
                method, path, content=raw, headers={"content-type": "application/json"}
            )

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(_ROUTES), _json)
    @example(("POST", "/phones"), "<deep>")
    def check(route: tuple[str, str], body: Any) -> None:
        raw = b"[" * 3000 + b"]" * 3000 if body == "<deep>" else json.dumps(body).encode()
        response = asyncio.run_coroutine_threadsafe(post(*route, raw), loop).result(30)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.json()["error"]["code"] == response.status_code

    await asyncio.to_thread(check)  # hypothesis drives; the simulation serves on this loop
