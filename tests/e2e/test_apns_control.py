"""The fake APNs's test seams over real sockets: injected faults, the request log, broadcasts
and channel management on their own listener."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import h2.events
import httpx
import pytest

from fakeproviders.apns import FakeApns
from fakeproviders.ca import LocalCA
from fakeproviders.faults import Fault
from tests.doubles import ManualClock
from tests.e2e.test_apns_server import (
    APP,
    KEY,
    T0,
    TIMEOUT,
    Inbox,
    RawH2,
    auth_headers,
    no_alpn_context,
    push,
)


@pytest.fixture
async def apns(ca: LocalCA) -> AsyncIterator[FakeApns]:
    server = FakeApns(
        clock=ManualClock(T0),
        ssl_context=ca.server_ssl_context(alpn=("h2",)),
        keys=[KEY],
        topics=[APP],
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(ca: LocalCA) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context(), timeout=TIMEOUT) as c:
        yield c


async def test_fault_forces_a_reason_for_one_token(
    apns: FakeApns, client: httpx.AsyncClient
) -> None:
    """A fault scoped to a token answers its status and reason there, and only there."""
    token = apns.registry.register("p1", APP)
    other = apns.registry.register("p2", APP)
    apns.faults.add(Fault(status=400, reason="DeviceTokenNotForTopic", token=token))
    headers = auth_headers()
    response = await push(client, apns, token, headers)
    assert (response.status_code, response.json()) == (400, {"reason": "DeviceTokenNotForTopic"})
    assert (await push(client, apns, other, headers)).status_code == 200


async def test_fault_503_carries_retry_after(apns: FakeApns, client: httpx.AsyncClient) -> None:
    """A 503 fault answers ServiceUnavailable with its Retry-After header, `times` times."""
    token = apns.registry.register("p1", APP)
    apns.faults.add(Fault(status=503, retry_after=30, times=1))
    headers = auth_headers()
    response = await push(client, apns, token, headers)
    assert response.status_code == 503
    assert response.json() == {"reason": "ServiceUnavailable"}
    assert response.headers["retry-after"] == "30"
    assert (await push(client, apns, token, headers)).status_code == 200


async def test_fault_410_has_an_integer_timestamp(
    apns: FakeApns, client: httpx.AsyncClient
) -> None:
    """A 410 fault answers Unregistered with the clock's time as an integer ms timestamp."""
    token = apns.registry.register("p1", APP)
    apns.faults.add(Fault(status=410))
    response = await push(client, apns, token)
    assert response.content == b'{"reason":"Unregistered","timestamp":%d}' % int(T0 * 1000)


async def test_fault_latency_delays_the_answer(apns: FakeApns, client: httpx.AsyncClient) -> None:
    """A latency-only fault delays a normal answer by that many real seconds."""
    token = apns.registry.register("p1", APP)
    apns.faults.add(Fault(latency=0.2))
    began = time.perf_counter()
    response = await push(client, apns, token)
    assert response.status_code == 200
    assert time.perf_counter() - began >= 0.2


async def test_fault_goaway_answers_then_ends_the_connection(apns: FakeApns, ca: LocalCA) -> None:
    """A goaway fault answers the request, then GOAWAY with its JSON reason."""
    token = apns.registry.register("p1", APP)
    apns.faults.add(Fault(goaway=True, reason="Shutdown"))
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        headers = [
            (":method", "POST"),
            (":scheme", "https"),
            (":path", f"/3/device/{token}"),
            (":authority", "localhost"),
            *auth_headers().items(),
        ]
        stream = await raw.request(headers, b'{"aps":{}}')
        status = next(e for e in stream if isinstance(e, h2.events.ResponseReceived))
        assert dict(status.headers or [])[":status"] == "200"
        await raw.until(lambda es: any(isinstance(e, h2.events.ConnectionTerminated) for e in es))
        goaway = next(e for e in raw.events if isinstance(e, h2.events.ConnectionTerminated))
        assert json.loads(goaway.additional_data or b"") == {"reason": "Shutdown"}
    finally:
        await raw.close()


async def test_request_log_keeps_headers_payload_and_decision(
    apns: FakeApns, client: httpx.AsyncClient
) -> None:
    """Every request is logged with headers, payload and decision, queryable and clearable."""
    token = apns.registry.register("p1", APP)
    headers = auth_headers(extra={"apns-collapse-id": "c1"})
    await push(client, apns, token, headers)
    await push(client, apns, "ab" * 32, headers)
    [entry] = apns.requests(token=token)
    assert (entry.status, entry.reason, entry.topic) == (200, None, APP)
    assert ("apns-collapse-id", "c1") in entry.headers
    assert json.loads(entry.payload) == {"aps": {"alert": {"title": "Hi", "body": "there"}}}
    assert [e.reason for e in apns.requests(topic=APP)] == [None, "BadDeviceToken"]
    apns.clear_requests()
    assert apns.requests() == []


async def test_channels_are_created_read_listed_and_deleted(
    apns: FakeApns, client: httpx.AsyncClient
) -> None:
    """Channel management on its own listener: 201 + apns-channel-id, read, list, 204 delete."""
    base = f"{apns.channels_url}/1/apps/{APP}"
    headers = {"authorization": auth_headers()["authorization"]}
    config = {"message-storage-policy": 1, "push-type": "LiveActivity"}
    created = await client.post(f"{base}/channels", headers=headers, json=config)
    assert created.status_code == 201
    channel = created.headers["apns-channel-id"]
    assert created.headers["apns-request-id"]
    read = await client.get(f"{base}/channels", headers={**headers, "apns-channel-id": channel})
    assert read.json() == config
    listed = await client.get(f"{base}/all-channels", headers=headers)
    assert listed.json() == {"channels": [channel]}
    gone = await client.delete(f"{base}/channels", headers={**headers, "apns-channel-id": channel})
    assert gone.status_code == 204
    again = await client.get(f"{base}/channels", headers={**headers, "apns-channel-id": channel})
    assert (again.status_code, again.json()) == (400, {"reason": "ChannelNotRegistered"})


async def test_broadcast_reaches_subscribed_phones(
    apns: FakeApns, client: httpx.AsyncClient
) -> None:
    """POST /4/broadcasts/apps/<bundle> delivers to every token subscribed to the channel."""
    token = apns.registry.register("p1", APP)
    inbox = Inbox()
    apns.registry.connect("p1", inbox)
    channel = apns.channels.create(APP, 0)
    assert channel is not None
    apns.channels.subscribe(channel.channel_id, token)
    headers = {
        "authorization": auth_headers()["authorization"],
        "apns-channel-id": channel.channel_id,
        "apns-push-type": "liveactivity",
        "apns-priority": "10",
        "apns-expiration": "0",
    }
    body = {"aps": {"event": "update", "timestamp": 1, "content-state": {"score": 2}}}
    response = await client.post(f"{apns.url}/4/broadcasts/apps/{APP}", headers=headers, json=body)
    assert response.status_code == 200
    assert [(t, p) for t, _, _, p in inbox.pushes] == [(token, body)]


async def test_broadcast_to_a_no_storage_channel_needs_expiration_0(
    apns: FakeApns, client: httpx.AsyncClient
) -> None:
    """A No-Message-Stored channel refuses a nonzero apns-expiration: BadExpirationDate."""
    channel = apns.channels.create(APP, 0)
    assert channel is not None
    headers = {
        "authorization": auth_headers()["authorization"],
        "apns-channel-id": channel.channel_id,
        "apns-push-type": "liveactivity",
        "apns-expiration": "1900000000",
    }
    body = {"aps": {"event": "update", "timestamp": 1, "content-state": {}}}
    response = await client.post(f"{apns.url}/4/broadcasts/apps/{APP}", headers=headers, json=body)
    assert (response.status_code, response.json()) == (400, {"reason": "BadExpirationDate"})
    assert "apns-id" not in response.headers and response.headers["apns-request-id"]
