"""The fake FCM over real sockets: topic management routes, faults, the request log."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest

from fakeproviders.ca import LocalCA
from fakeproviders.faults import Fault
from fakeproviders.fcm import FakeFcm, ServiceAccount
from tests.doubles import Inbox
from tests.e2e.test_fcm_server import APP, PROJECT, ManualClock, minted_token, send


@dataclass
class Env:
    fcm: FakeFcm
    client: httpx.AsyncClient
    bearer: str


@pytest.fixture(scope="module")
def account() -> ServiceAccount:
    return ServiceAccount.generate(PROJECT)


@pytest.fixture
async def env(ca: LocalCA, account: ServiceAccount) -> AsyncIterator[Env]:
    clock = ManualClock()
    server = FakeFcm(
        clock=clock, ssl_context=ca.server_ssl_context(alpn=("h2", "http/1.1")),
        project_id=PROJECT, service_account=account,
    )  # fmt: skip
    await server.start()
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context()) as client:
        bearer = await minted_token(server, account, client, clock)
        yield Env(server, client, bearer)
    await server.stop()


async def test_iid_batch_add_then_topic_send_reaches_the_phone(env: Env) -> None:
    """Subscribing through iid/v1:batchAdd makes a topic send reach the subscribed phone."""
    fcm, client, bearer = env.fcm, env.client, env.bearer
    device_token = fcm.registry.register("phone-1", APP)
    inbox = Inbox()
    fcm.registry.connect("phone-1", inbox)
    response = await client.post(
        f"{fcm.url}/iid/v1:batchAdd",
        json={"to": "/topics/news", "registration_tokens": [device_token]},
        headers={"authorization": f"Bearer {bearer}", "access_token_auth": "true"},
    )
    assert (response.status_code, response.json()) == (200, {"results": [{}]})
    sent = await send(client, fcm, bearer, {"message": {"topic": "news", "data": {"a": "b"}}})
    assert sent.status_code == 200
    assert [p[1] for p in inbox.pushes] == [sent.json()["name"]]


async def test_v1_topic_subscription_routes_decode_the_token(env: Env) -> None:
    """registrations/{url-encoded token}/topicSubscriptions: create, get, list, delete."""
    fcm, client, bearer = env.fcm, env.client, env.bearer
    headers = {"authorization": f"Bearer {bearer}"}
    token = fcm.registry.register("phone-1", APP)
    base = f"{fcm.url}/v1/projects/{PROJECT}/registrations/{quote(token, safe='')}"
    created = await client.post(f"{base}/topicSubscriptions?topic_name=news", json={},
                                headers=headers)  # fmt: skip
    assert created.status_code == 200
    assert created.json()["topicName"] == "news"
    got = await client.get(f"{base}/topicSubscriptions/news", headers=headers)
    listed = await client.get(f"{base}/topicSubscriptions", headers=headers)
    assert got.json()["topicName"] == "news"
    assert [s["topicName"] for s in listed.json()["topicSubscriptions"]] == ["news"]
    deleted = await client.delete(
        f"{base}/topicSubscriptions/news?allow_missing=true", headers=headers
    )
    assert (deleted.status_code, fcm.registry.topics_of(token)) == (200, {})


async def test_iid_info_route(env: Env) -> None:
    """GET iid/info/{token}?details=true answers the instance's topics."""
    fcm, client, bearer = env.fcm, env.client, env.bearer
    token = fcm.registry.register("phone-1", APP)
    fcm.registry.subscribe(token, "news")
    response = await client.get(
        f"{fcm.url}/iid/info/{token}?details=true", headers={"authorization": f"Bearer {bearer}"}
    )
    assert response.status_code == 200
    assert list(response.json()["rel"]["topics"]) == ["news"]


async def test_retry_after_header_goes_over_the_wire(env: Env) -> None:
    """An injected 429 carries an integer Retry-After header on the wire."""
    fcm, client, bearer = env.fcm, env.client, env.bearer
    fcm.faults.add(Fault(status=429, reason="QUOTA_EXCEEDED", retry_after=30, times=1))
    first = await send(client, fcm, bearer, {"message": {"topic": "news"}})
    second = await send(client, fcm, bearer, {"message": {"topic": "news"}})
    assert (first.status_code, first.headers["retry-after"]) == (429, "30")
    assert second.status_code == 200


async def test_injected_latency_is_awaited(env: Env) -> None:
    """A latency fault delays the answer by about that long."""
    fcm, client, bearer = env.fcm, env.client, env.bearer
    fcm.faults.add(Fault(latency=0.2, times=1))
    began = time.perf_counter()
    response = await send(client, fcm, bearer, {"message": {"topic": "news"}})
    assert response.status_code == 200
    assert time.perf_counter() - began >= 0.2


async def test_request_log_is_queryable_and_clearable(env: Env) -> None:
    """Each request is logged with its decision; query by token, topic, status; then clear."""
    fcm, client, bearer = env.fcm, env.client, env.bearer
    token = fcm.registry.register("phone-1", APP)
    fcm.registry.unregister(token)
    fcm.registry.report_app_removed(token)  # a push reached the phone, which said so
    await send(client, fcm, bearer, {"message": {"token": token}})
    await send(client, fcm, bearer, {"message": {"topic": "news"}})
    [dead] = fcm.request_log.query(token=token)
    assert (dead.kind, dead.status, dead.reason) == ("send", 404, "UNREGISTERED")
    [topic] = fcm.request_log.query(topic="news", status=200)
    assert topic.push_id is not None and topic.push_id.startswith(f"projects/{PROJECT}/")
    assert fcm.request_log.count(kind="token") == 1
    fcm.request_log.clear()
    assert len(fcm.request_log) == 0
