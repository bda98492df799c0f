"""The sender's HTTP API through httpx.ASGITransport: auth, validation, error shape, flows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

API = {"Authorization": "Bearer api-secret"}
APP = {"X-App-Key": "app-secret"}
IOS = "ab" * 32
DEVICE = {"token": IOS, "platform": "ios", "app_id": "com.example", "user_id": "u1"}
ALERT = {"user_id": "u1", "title": "Hello", "body": "World"}


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == status
    assert isinstance(error["message"], str) and error["message"]
    return error


async def test_register_device_new_then_known(client: httpx.AsyncClient) -> None:
    """POST /v1/devices answers 201 with the device for a new token, 200 when known."""
    first = await client.post("/v1/devices", json=DEVICE, headers=APP)
    assert first.status_code == 201
    assert first.json() | {"registered_at": 0} == DEVICE | {
        "active": True,
        "registered_at": 0,
        "installation_id": None,
        "inactive_reason": None,
    }
    again = await client.post("/v1/devices", json=DEVICE | {"user_id": "u2"}, headers=APP)
    assert again.status_code == 200
    assert again.json()["user_id"] == "u2"


@pytest.mark.parametrize("headers", [{}, {"X-App-Key": "wrong"}, API])
async def test_device_registration_needs_app_key(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """Registering without the right X-App-Key is 401."""
    _error(await client.post("/v1/devices", json=DEVICE, headers=headers), 401)


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, APP, {"Authorization": "api-secret"}]
)
async def test_notifications_need_api_key(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """Sending without the right bearer API key is 401 with a Bearer challenge."""
    response = await client.post("/v1/notifications", json=ALERT, headers=headers)
    _error(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_schema_errors_name_fields(client: httpx.AsyncClient) -> None:
    """A body that fails the schema is 422 listing each field and its message."""
    response = await client.post(
        "/v1/devices", json={"token": IOS, "platform": "web", "extra": 1}, headers=APP
    )
    fields = {f["field"] for f in _error(response, 422)["fields"]}
    assert fields == {"platform", "app_id", "user_id", "extra"}


async def test_token_shape_error_is_422(client: httpx.AsyncClient) -> None:
    """A token that is not hex for iOS is 422 on the token field."""
    response = await client.post("/v1/devices", json=DEVICE | {"token": "xyz"}, headers=APP)
    assert _error(response, 422)["fields"] == [
        {"field": "token", "message": "an APNs device token is hexadecimal"}
    ]


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    """A body that is not JSON is 400, not a 500."""
    response = await client.post(
        "/v1/notifications",
        content=b"{nope",
        headers=API | {"content-type": "application/json"},
    )
    _error(response, 400)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_id": "u1"}, "title"),
        (ALERT | {"data": {"k": 5}}, "data.k"),
        (ALERT | {"kind": "loud"}, "kind"),
        (ALERT | {"data": {"from": "x"}}, "data.from"),
        (ALERT | {"ttl": -5}, "ttl"),
    ],
)
async def test_bad_notification_fields(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    """Invalid notification requests are 422 naming the field."""
    response = await client.post("/v1/notifications", json=body, headers=API)
    assert field in {f["field"] for f in _error(response, 422)["fields"]}


async def test_send_and_long_poll(client: httpx.AsyncClient) -> None:
    """POST /v1/notifications is 202 {id}; GET with wait returns it done with its deliveries."""
    await client.post("/v1/devices", json=DEVICE, headers=APP)
    accepted = await client.post("/v1/notifications", json=ALERT, headers=API)
    assert accepted.status_code == 202
    nid = accepted.json()["id"]
    response = await client.get(f"/v1/notifications/{nid}", params={"wait": 5}, headers=API)
    body = response.json()
    assert (body["id"], body["status"]) == (nid, "done")
    assert [(d["token"], d["outcome"], d["http_status"]) for d in body["deliveries"]] == [
        (IOS, "accepted", 200)
    ]


async def test_wait_above_30_is_refused(client: httpx.AsyncClient) -> None:
    """wait is capped at 30 seconds."""
    response = await client.get("/v1/notifications/x", params={"wait": 31}, headers=API)
    assert _error(response, 422)["fields"][0]["field"] == "wait"


async def test_unknown_notification_is_404(client: httpx.AsyncClient) -> None:
    """GET of an unknown notification id is 404, with or without wait."""
    _error(await client.get("/v1/notifications/nope", headers=API), 404)
    _error(await client.get("/v1/notifications/nope?wait=1", headers=API), 404)


async def test_delete_device(client: httpx.AsyncClient) -> None:
    """DELETE /v1/devices/{token} is 204 for a known token and 404 for an unknown one."""
    await client.post("/v1/devices", json=DEVICE, headers=APP)
    assert (await client.delete(f"/v1/devices/{IOS}", headers=APP)).status_code == 204
    _error(await client.delete("/v1/devices/cafe", headers=APP), 404)


async def test_events(client: httpx.AsyncClient) -> None:
    """POST /v1/events is 202 for a known notification, 404 for an unknown one, 422 for a bad event."""
    nid = (await client.post("/v1/notifications", json=ALERT, headers=API)).json()["id"]
    event = {"notification_id": nid, "token": IOS, "event": "opened"}
    response = await client.post("/v1/events", json=event, headers=APP)
    assert response.status_code == 202
    assert response.json()["event"] == "opened"
    _error(await client.post("/v1/events", json=event | {"notification_id": "x"}, headers=APP), 404)
    _error(await client.post("/v1/events", json=event | {"event": "liked"}, headers=APP), 422)


async def test_unknown_route_uses_error_shape(client: httpx.AsyncClient) -> None:
    """Unknown paths and methods answer in the same error shape."""
    _error(await client.get("/v2/nothing"), 404)
    _error(await client.put("/v1/devices", headers=APP), 405)


async def test_openapi_docs(client: httpx.AsyncClient) -> None:
    """The API describes itself at /docs and /openapi.json."""
    assert (await client.get("/docs")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/v1/devices", "/v1/notifications", "/v1/events"} <= set(paths)
