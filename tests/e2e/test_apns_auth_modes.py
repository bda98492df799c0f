"""Certificate auth and the two environments of the fake APNs, over real TLS sockets."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator

import h2.events
import httpx
import pytest

from fakeproviders.apns import ApnsSigningKey, FakeApns
from fakeproviders.apns.certificates import issue_push_certificate
from fakeproviders.ca import IssuedCertificate, LocalCA
from tests.doubles import ManualClock
from tests.e2e.test_apns_server import (
    APP,
    T0,
    TIMEOUT,
    Inbox,
    RawH2,
    auth_headers,
    push,
)

SANDBOX_KEY = ApnsSigningKey.generate(environment="sandbox")
PRODUCTION_KEY = ApnsSigningKey.generate(SANDBOX_KEY.team_id, environment="production")
BODY = b'{"aps":{"alert":"hi"}}'


@pytest.fixture
async def pair(ca: LocalCA) -> AsyncIterator[tuple[FakeApns, FakeApns]]:
    sandbox, production = FakeApns.pair(
        clock=ManualClock(T0),
        ssl_context=lambda: ca.server_ssl_context(alpn=("h2",)),
        keys=[SANDBOX_KEY, PRODUCTION_KEY],
        topics=[APP],
        client_ca=ca.cert_path,
    )
    await sandbox.start()
    await production.start()
    yield sandbox, production
    await sandbox.stop()
    await production.stop()


def certificate_context(ca: LocalCA, issued: IssuedCertificate) -> ssl.SSLContext:
    context = ca.client_ssl_context()
    context.load_cert_chain(issued.cert_path)
    return context


def cert_request(token: str, topic: str | None = None) -> list[tuple[str, str]]:
    headers = [
        (":method", "POST"),
        (":scheme", "https"),
        (":path", f"/3/device/{token}"),
        ("host", "api.sandbox.push.apple.com"),
    ]
    return headers + ([("apns-topic", topic)] if topic else [])


async def test_sandbox_token_sent_to_production_is_bad_device_token(
    pair: tuple[FakeApns, FakeApns], ca: LocalCA
) -> None:
    """A sandbox token is valid on the sandbox server and BadDeviceToken on production."""
    sandbox, production = pair
    token = sandbox.registry.register("p1", APP)
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context(), timeout=TIMEOUT) as c:
        assert (await push(c, sandbox, token, auth_headers(SANDBOX_KEY))).status_code == 200
        response = await push(c, production, token, auth_headers(PRODUCTION_KEY))
    assert (response.status_code, response.json()) == (400, {"reason": "BadDeviceToken"})


async def test_production_answers_without_apns_unique_id(
    pair: tuple[FakeApns, FakeApns], ca: LocalCA
) -> None:
    """A production token works on production, whose 200 carries no apns-unique-id."""
    _, production = pair
    token = production.registry.register("p1", APP, "production")
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context(), timeout=TIMEOUT) as c:
        response = await push(c, production, token, auth_headers(PRODUCTION_KEY))
    assert response.status_code == 200
    assert "apns-unique-id" not in response.headers


async def test_sandbox_key_on_production_is_bad_environment_key(
    pair: tuple[FakeApns, FakeApns], ca: LocalCA
) -> None:
    """Each environment has its own keys: a sandbox-only key on production gets 403."""
    _, production = pair
    token = production.registry.register("p1", APP, "production")
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context(), timeout=TIMEOUT) as c:
        response = await push(c, production, token, auth_headers(SANDBOX_KEY))
    assert (response.status_code, response.json()) == (403, {"reason": "BadEnvironmentKeyInToken"})


async def test_certificate_push_uses_the_uid_as_default_topic(
    pair: tuple[FakeApns, FakeApns], ca: LocalCA
) -> None:
    """With a client certificate, a push without authorization or apns-topic is accepted,
    delivered to the UID's app, and the connection may use the full stream limit at once."""
    sandbox, _ = pair
    token = sandbox.registry.register("p1", APP)
    inbox = Inbox()
    sandbox.registry.connect("p1", inbox)
    issued = issue_push_certificate(ca, APP)
    raw = await RawH2.open(sandbox.port, certificate_context(ca, issued))
    try:
        stream = await raw.request(cert_request(token), BODY)
        status = next(e for e in stream if isinstance(e, h2.events.ResponseReceived))
        assert dict(status.headers or [])[":status"] == "200"
        assert inbox.pushes[0][2]["apns-topic"] == APP
        settings = next(e for e in raw.events if isinstance(e, h2.events.RemoteSettingsChanged))
        assert settings.changed_settings[3].new_value == 1000
    finally:
        await raw.close()


async def test_multi_topic_certificate_without_topic_is_missing_topic(
    pair: tuple[FakeApns, FakeApns], ca: LocalCA
) -> None:
    """A certificate covering the app and its VoIP topic needs apns-topic: MissingTopic."""
    sandbox, _ = pair
    token = sandbox.registry.register("p1", APP)
    raw = await RawH2.open(
        sandbox.port, certificate_context(ca, issue_push_certificate(ca, APP, voip=True))
    )
    try:
        stream = await raw.request(cert_request(token), BODY)
        body = b"".join(bytes(e.data) for e in stream if isinstance(e, h2.events.DataReceived))
        assert json.loads(body) == {"reason": "MissingTopic"}
    finally:
        await raw.close()


@pytest.mark.parametrize(
    ("environments", "uid", "reason"),
    [
        (("production",), None, "BadCertificateEnvironment"),
        (("sandbox",), "", "BadCertificate"),
        ((), None, "BadCertificate"),
    ],
)
async def test_bad_certificate_gets_goaway_with_json_then_close(
    pair: tuple[FakeApns, FakeApns],
    ca: LocalCA,
    environments: tuple[str, ...],
    uid: str | None,
    reason: str,
) -> None:
    """A certificate for the other environment (BadCertificateEnvironment), without UID or
    without an APNs environment (BadCertificate) gets GOAWAY carrying {"reason"} and a close."""
    sandbox, _ = pair
    issued = issue_push_certificate(ca, APP, environments=environments, uid=uid)
    raw = await RawH2.open(sandbox.port, certificate_context(ca, issued))
    try:
        await raw.until(lambda es: any(isinstance(e, h2.events.ConnectionTerminated) for e in es))
        goaway = next(e for e in raw.events if isinstance(e, h2.events.ConnectionTerminated))
        assert json.loads(goaway.additional_data or b"") == {"reason": reason}
        await raw.until(lambda es: False)  # the server closes the socket
        assert raw.closed
    finally:
        await raw.close()
