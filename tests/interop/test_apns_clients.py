"""Real APNs client libraries against the fake, unmodified: aioapns 4.x, kalyke-apns, httpx.

Each test sends a push, checks it reached the phone (a simple inbox double on the real
registry), and checks one error path (410 Unregistered). The fake runs on the wall clock because
the libraries mint their JWTs from the real time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aioapns
import aioapns.connection
import httpx
import pytest
from kalyke import ApnsClient, ApnsConfig
from kalyke import exceptions as kalyke_errors

from fakeproviders.apns import ApnsOptions, ApnsSigningKey, FakeApns
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock

APP = "com.example.app"
KEY = ApnsSigningKey.generate()
TIMEOUT = 10.0
# Immediate 410 after uninstall: these tests are about the wire, not Apple's uninstall rule.
OPTIONS = ApnsOptions(uninstall_invalidation="immediate")


class Inbox:
    def __init__(self) -> None:
        self.arrived: asyncio.Queue[tuple[str, Mapping[str, Any]]] = asyncio.Queue()

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        self.arrived.put_nowait((token, payload))

    async def next(self) -> tuple[str, Mapping[str, Any]]:
        return await asyncio.wait_for(self.arrived.get(), TIMEOUT)


@dataclass
class Lab:
    apns: FakeApns
    token: str
    dead_token: str
    inbox: Inbox


async def lab_for(ca: LocalCA, environment: str) -> Lab:
    apns = FakeApns(
        clock=WallClock(),
        ssl_context=ca.server_ssl_context(alpn=("h2",)),
        keys=[KEY],
        topics=[APP],
        environment=environment,
        options=OPTIONS,
    )
    await apns.start()
    inbox = Inbox()
    token = apns.registry.register("p1", APP)
    apns.registry.connect("p1", inbox)
    dead = apns.registry.register("p2", APP)
    apns.registry.unregister(dead)
    return Lab(apns, token, dead, inbox)


@pytest.fixture(params=["sandbox", "production"])
async def lab(ca: LocalCA, request: pytest.FixtureRequest) -> AsyncIterator[Lab]:
    running = await lab_for(ca, request.param)
    yield running
    await running.apns.stop()


async def test_aioapns_sends_and_gets_410(
    lab: Lab, ca: LocalCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aioapns 4.x (no ALPN, `host` header) delivers in both environments and reads 410.

    aioapns has no host option: its server-name and port class attributes are monkeypatched
    (reference/apns.md §7); `use_sandbox` picks the environment as it would against Apple.
    """
    protocols = aioapns.connection
    for cls in (protocols.APNsDevelopmentClientProtocol, protocols.APNsProductionClientProtocol):
        monkeypatch.setattr(cls, "APNS_SERVER", "127.0.0.1")
    monkeypatch.setattr(protocols.APNsTLSClientProtocol, "APNS_PORT", lab.apns.port)
    client = aioapns.APNs(
        key=KEY.private_key_pem.decode(),
        key_id=KEY.key_id,
        team_id=KEY.team_id,
        topic=APP,
        use_sandbox=lab.apns.environment == "sandbox",
        ssl_context=ca.client_ssl_context(),
        max_connection_attempts=1,
    )
    message = {"aps": {"alert": {"title": "Hi", "body": "aioapns"}}}
    ok = await client.send_notification(
        aioapns.NotificationRequest(lab.token, message, push_type=aioapns.PushType.ALERT)
    )
    assert ok.is_successful, ok.description
    assert await lab.inbox.next() == (lab.token, message)
    gone = await client.send_notification(
        aioapns.NotificationRequest(lab.dead_token, message, push_type=aioapns.PushType.ALERT)
    )
    assert (gone.status, gone.description) == ("410", "Unregistered")
    assert isinstance(gone.timestamp, int)
    client.pool.close()


@dataclass(frozen=True)
class LocalKalyke(ApnsClient):
    """kalyke's client pointed at the fake: its `_base_url` property overridden in a subclass
    (the library offers no URL option, reference/apns.md §7)."""

    base_url: str = ""

    @property
    def _base_url(self) -> str:
        return self.base_url


async def test_kalyke_sends_and_raises_unregistered(
    lab: Lab, ca: LocalCA, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """kalyke-apns (string `iat`, a new connection per send) delivers and raises Unregistered;
    it trusts the local CA through SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.cert_path))
    client = LocalKalyke(
        use_sandbox=lab.apns.environment == "sandbox",
        team_id=KEY.team_id,
        auth_key_id=KEY.key_id,
        auth_key_filepath=KEY.write_p8(tmp_path),
        base_url=lab.apns.url,
    )
    payload = {"aps": {"alert": {"title": "Hi", "body": "kalyke"}}}
    apns_id = await client.send_message(lab.token, payload, ApnsConfig(topic=APP))
    assert apns_id
    token, delivered = await lab.inbox.next()
    assert token == lab.token and delivered["aps"] == payload["aps"]
    with pytest.raises(kalyke_errors.Unregistered) as raised:
        await client.send_message(lab.dead_token, payload, ApnsConfig(topic=APP))
    assert isinstance(raised.value.error["timestamp"], int)


async def test_raw_httpx_http2_sends_and_gets_410(lab: Lab, ca: LocalCA) -> None:
    """Plain httpx over HTTP/2 (ALPN h2, `:authority`) delivers and reads the 410 JSON."""
    jwt = KEY.provider_token(int(WallClock().now()))
    headers = {"authorization": f"bearer {jwt}", "apns-topic": APP, "apns-push-type": "alert"}
    body = {"aps": {"alert": "httpx"}}
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context(), timeout=TIMEOUT) as c:
        ok = await c.post(f"{lab.apns.url}/3/device/{lab.token}", headers=headers, json=body)
        assert (ok.http_version, ok.status_code) == ("HTTP/2", 200)
        assert await lab.inbox.next() == (lab.token, body)
        gone = await c.post(f"{lab.apns.url}/3/device/{lab.dead_token}", headers=headers, json=body)
    assert gone.status_code == 410
    assert json.loads(gone.content)["reason"] == "Unregistered"
