"""API: notification targets, payload size at the door, segments, stats, devices, OpenAPI."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sender import SenderService

API = {"Authorization": "Bearer api-secret"}
APP = {"X-App-Key": "app-secret"}
IOS = "ab" * 32


def _field(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    field: str = response.json()["error"]["fields"][0]["field"]
    return field


@pytest.mark.parametrize(
    "target",
    [{}, {"user_id": "u", "everyone": True}, {"user_ids": ["a"], "topic": "news"}],
)
async def test_exactly_one_target(client: httpx.AsyncClient, target: dict[str, Any]) -> None:
    """A notification with no target, or two, is 422 on field ``target``."""
    response = await client.post("/v1/notifications", json={**target, "title": "T"}, headers=API)
    assert _field(response) == "target"


async def test_oversized_payload_is_refused_before_queueing(
    client: httpx.AsyncClient, service: SenderService
) -> None:
    """A payload over APNs' 4096 bytes is 422 ``payload`` and nothing is stored."""
    body = {"everyone": True, "title": "T", "data": {"blob": "x" * 4100}}
    response = await client.post("/v1/notifications", json=body, headers=API)
    assert _field(response) == "payload"
    assert service.store.unfinished_notifications() == []


async def test_topic_messages_have_a_smaller_limit(client: httpx.AsyncClient) -> None:
    """FCM topic messages are limited to 2048 bytes of keys and values (reference/fcm.md §1.3)."""
    body = {"topic": "news", "title": "T", "data": {"blob": "x" * 2100}}
    assert _field(await client.post("/v1/notifications", json=body, headers=API)) == "payload"


async def test_bad_topic_name_is_refused(client: httpx.AsyncClient) -> None:
    """A topic outside FCM's alphabet (here with /topics/) is 422 ``topic``."""
    body = {"topic": "/topics/news", "title": "T"}
    assert _field(await client.post("/v1/notifications", json=body, headers=API)) == "topic"


async def test_segment_round_trip(client: httpx.AsyncClient) -> None:
    """PUT /v1/segments/{name} saves a segment that GET returns and notifications can target."""
    saved = await client.put("/v1/segments/ios", json={"platform": "ios"}, headers=API)
    assert saved.status_code == 200
    assert (await client.get("/v1/segments/ios", headers=API)).json() == {
        "name": "ios",
        "user_ids": None,
        "platform": "ios",
        "app_id": None,
    }
    sent = await client.post(
        "/v1/notifications", json={"segment": "ios", "title": "T"}, headers=API
    )
    assert sent.status_code == 202
    assert (await client.get("/v1/segments/nope", headers=API)).status_code == 404


async def test_stats_after_a_notification(client: httpx.AsyncClient) -> None:
    """GET /v1/stats reports the notification requested and its accepted push, overall and by id."""
    await client.post(
        "/v1/devices",
        json={"token": IOS, "platform": "ios", "app_id": "com.a", "user_id": "u"},
        headers=APP,
    )
    nid = (
        await client.post("/v1/notifications", json={"user_id": "u", "title": "T"}, headers=API)
    ).json()["id"]
    done = await client.get(f"/v1/notifications/{nid}", params={"wait": 5}, headers=API)
    assert done.json()["status"] == "done"
    overall = (await client.get("/v1/stats", headers=API)).json()
    assert (overall["requested"], overall["accepted"], overall["tokens_pruned"]) == (1, 1, 0)
    one = (await client.get("/v1/stats", params={"notification_id": nid}, headers=API)).json()
    assert one["accepted"] == 1 and one["tokens_pruned"] is None
    assert (await client.get("/v1/stats", headers=APP)).status_code == 401


async def test_device_lookup_shows_replacement(client: httpx.AsyncClient) -> None:
    """GET /v1/devices/{token} shows a token replaced by a newer one for its installation."""
    for token in (IOS, "cd" * 32):
        await client.post(
            "/v1/devices",
            json={
                "token": token,
                "platform": "ios",
                "app_id": "com.a",
                "user_id": "u",
                "installation_id": "inst-1",
            },
            headers=APP,
        )
    old = (await client.get(f"/v1/devices/{IOS}", headers=API)).json()
    assert (old["active"], old["inactive_reason"]) == (False, "replaced")


async def test_openapi_documents_the_routes(client: httpx.AsyncClient) -> None:
    """The OpenAPI schema (served for /docs) lists notifications, segments and stats."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/v1/notifications", "/v1/segments/{name}", "/v1/stats", "/v1/devices"} <= set(paths)
    assert (await client.get("/docs")).status_code == 200
