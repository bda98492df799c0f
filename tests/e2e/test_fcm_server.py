from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import requests
from google.auth.transport.requests import Request as GoogleAuthRequest
from google.oauth2 import service_account as google_service_account

from fakeproviders.bodies import LOG_BODY_CAP
from fakeproviders.ca import LocalCA
from fakeproviders.events import (
    NotificationAccepted,
    NotificationRejected,
    ProviderEvent,
    TokenInvalidated,
)
from fakeproviders.fcm import FakeFcm, ServiceAccount
from fakeproviders.fcm.options import FcmOptions
from simulator.bench import attacks
from simulator.bench.fcm import H2Client
from tests.doubles import Inbox

PROJECT = "demo-proj"
APP = "com.example.app"
DAY = 86_400.0
MESSAGING_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
SEND_PATH = f"/v1/projects/{PROJECT}/messages:send"
JSON_TYPE = "application/json; charset=UTF-8"


class ManualClock:
    """Starts at the real time (google-auth signs with it) and moves only when told."""

    def __init__(self) -> None:
        self.t = time.time()

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture(scope="module")
def account() -> ServiceAccount:
    return ServiceAccount.generate(PROJECT)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def events() -> list[ProviderEvent]:
    return []


@pytest.fixture
async def fcm(
    ca: LocalCA, clock: ManualClock, account: ServiceAccount, events: list[ProviderEvent]
) -> AsyncIterator[FakeFcm]:
    server = FakeFcm(
        clock=clock,
        ssl_context=ca.server_ssl_context(alpn=("h2", "http/1.1")),
        project_id=PROJECT,
        service_account=account,
        emit=events.append,
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(ca: LocalCA) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context()) as c:
        yield c


@pytest.fixture
def sa_path(fcm: FakeFcm, account: ServiceAccount, tmp_path: Path) -> Path:
    return account.write(tmp_path / "service-account.json", fcm.token_uri)


def google_auth_token(sa_path: Path, ca: LocalCA) -> str:
    """What a google-auth based sender does: load the file, refresh through token_uri."""
    creds = google_service_account.Credentials.from_service_account_file(
        str(sa_path), scopes=[MESSAGING_SCOPE]
    )
    session = requests.Session()
    session.verify = str(ca.cert_path)
    # requests prefers REQUESTS_CA_BUNDLE from the environment over session.verify.
    session.trust_env = False
    creds.refresh(GoogleAuthRequest(session))
    assert creds.token is not None
    return str(creds.token)


async def minted_token(
    fcm: FakeFcm, account: ServiceAccount, client: httpx.AsyncClient, clock: ManualClock
) -> str:
    """A token from a JWT signed on the fake's clock (for tests that moved the clock)."""
    now = int(clock.now())
    assertion = jwt.encode(
        {"iss": account.client_email, "scope": MESSAGING_SCOPE,
         "aud": "https://oauth2.googleapis.com/token", "iat": now, "exp": now + 3600},
        account.private_key_pem,
        algorithm="RS256",
        headers={"kid": account.private_key_id},
    )  # fmt: skip
    response = await client.post(
        fcm.token_uri,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def send(
    client: httpx.AsyncClient, fcm: FakeFcm, token: str | None, body: Any
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(
        fcm.url + SEND_PATH,
        content=content,
        headers={**headers, "content-type": "application/json"},
    )


UNREGISTERED = {
    "error": {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
        "details": [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": "UNREGISTERED",
            }
        ],
    }
}


async def test_start_is_fast_and_binds_an_ephemeral_port(
    ca: LocalCA, clock: ManualClock, account: ServiceAccount
) -> None:
    """start() takes under 0.2 s and reports the real port it bound."""
    server = FakeFcm(
        clock=clock, ssl_context=ca.server_ssl_context(), project_id=PROJECT,
        service_account=account,
    )  # fmt: skip
    began = time.perf_counter()
    await server.start()
    try:
        assert time.perf_counter() - began < 0.2
        assert server.port > 0
        assert server.token_uri == f"https://127.0.0.1:{server.port}/token"
    finally:
        await server.stop()


async def test_google_auth_gets_a_token_through_token_uri(
    fcm: FakeFcm, sa_path: Path, ca: LocalCA
) -> None:
    """google-auth's service-account refresh goes to the JSON's token_uri and gets a ya29 token."""
    token = await asyncio.to_thread(google_auth_token, sa_path, ca)
    assert token.startswith("ya29.")
    assert [(e.path, e.status) for e in fcm.request_log] == [("/token", 200)]


async def test_send_over_http2_reaches_the_phone(
    fcm: FakeFcm,
    sa_path: Path,
    ca: LocalCA,
    client: httpx.AsyncClient,
    events: list[ProviderEvent],
) -> None:
    """A send over HTTP/2 answers 200 with a message name and the connected phone gets it."""
    token = await asyncio.to_thread(google_auth_token, sa_path, ca)
    device_token = fcm.registry.register("phone-1", APP)
    inbox = Inbox()
    fcm.registry.connect("phone-1", inbox)
    response = await send(client, fcm, token, {"message": {
        "token": device_token, "notification": {"title": "Hi"}, "data": {"k": "v"},
        "android": {"priority": "high", "ttl": "60s", "collapse_key": "greeting"}}})  # fmt: skip
    assert response.http_version == "HTTP/2"
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_TYPE
    name = response.json()["name"]
    assert re.fullmatch(rf"projects/{PROJECT}/messages/\d+", name)
    assert inbox.pushes == [(
        device_token, name, {"priority": "high", "ttl": "60", "collapse_key": "greeting"},
        {"notification": {"title": "Hi"}, "data": {"k": "v"},
         "android": {"priority": "HIGH", "ttl": "60s", "collapse_key": "greeting"}},
    )]  # fmt: skip
    [accepted] = [e for e in events if isinstance(e, NotificationAccepted)]
    assert (accepted.push_id, accepted.phone_id, accepted.app_id) == (name, "phone-1", APP)
    assert fcm.request_log[-1].http_version == "2"


async def test_http1_is_served_on_the_same_port(
    fcm: FakeFcm, account: ServiceAccount, ca: LocalCA, clock: ManualClock
) -> None:
    """A client that only speaks HTTP/1.1 is served too, and ids are unique."""
    async with httpx.AsyncClient(http2=False, verify=ca.client_ssl_context()) as http1:
        token = await minted_token(fcm, account, http1, clock)
        device_token = fcm.registry.register("phone-1", APP)
        names = set()
        for _ in range(2):
            response = await send(http1, fcm, token, {"message": {"token": device_token}})
            assert (response.http_version, response.status_code) == ("HTTP/1.1", 200)
            names.add(response.json()["name"])
    assert len(names) == 2


async def test_validate_only_answers_fake_message_id_and_delivers_nothing(
    fcm: FakeFcm, account: ServiceAccount, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """A dry run returns .../messages/fake_message_id and the phone gets nothing (§0.1)."""
    token = await minted_token(fcm, account, client, clock)
    device_token = fcm.registry.register("phone-1", APP)
    inbox = Inbox()
    fcm.registry.connect("phone-1", inbox)
    response = await send(
        client, fcm, token, {"validate_only": True, "message": {"token": device_token}}
    )
    assert response.json() == {"name": f"projects/{PROJECT}/messages/fake_message_id"}
    assert inbox.pushes == []


async def test_uninstalled_token_gets_404_unregistered(
    fcm: FakeFcm,
    account: ServiceAccount,
    client: httpx.AsyncClient,
    clock: ManualClock,
    events: list[ProviderEvent],
) -> None:
    """After the app is uninstalled, sends answer exactly reference §2.1's 404 body."""
    token = await minted_token(fcm, account, client, clock)
    device_token = fcm.registry.register("phone-1", APP)
    fcm.registry.unregister(device_token)
    fcm.registry.report_app_removed(device_token)  # a push reached the phone, which said so
    response = await send(client, fcm, token, {"message": {"token": device_token}})
    assert response.status_code == 404
    assert response.headers["content-type"] == JSON_TYPE
    assert response.json() == UNREGISTERED
    [rejected] = [e for e in events if isinstance(e, NotificationRejected)]
    assert (rejected.status, rejected.reason, rejected.token) == (404, "UNREGISTERED", device_token)


async def test_token_of_phone_offline_271_days_is_unregistered(
    fcm: FakeFcm,
    account: ServiceAccount,
    client: httpx.AsyncClient,
    clock: ManualClock,
    events: list[ProviderEvent],
) -> None:
    """A token whose phone has been disconnected 271 days is stale: 404 UNREGISTERED (§0.14)."""
    device_token = fcm.registry.register("phone-1", APP)
    fcm.registry.connect("phone-1", Inbox())
    fcm.registry.disconnect("phone-1")
    clock.advance(271 * DAY)
    token = await minted_token(fcm, account, client, clock)
    response = await send(client, fcm, token, {"message": {"token": device_token}})
    assert (response.status_code, response.json()) == (404, UNREGISTERED)
    assert [e.reason for e in events if isinstance(e, TokenInvalidated)] == ["stale"]


async def test_access_token_expires_after_an_hour(
    fcm: FakeFcm, account: ServiceAccount, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """An hour after issue the access token gets 401 ACCESS_TOKEN_EXPIRED (reference §2.4)."""
    token = await minted_token(fcm, account, client, clock)
    device_token = fcm.registry.register("phone-1", APP)
    clock.advance(3600)
    response = await send(client, fcm, token, {"message": {"token": device_token}})
    assert response.status_code == 401
    error = response.json()["error"]
    assert (error["status"], error["details"][0]["reason"]) == (
        "UNAUTHENTICATED",
        "ACCESS_TOKEN_EXPIRED",
    )


async def test_missing_credentials_get_401(fcm: FakeFcm, client: httpx.AsyncClient) -> None:
    """No Authorization header: 401 CREDENTIALS_MISSING in Google's shape."""
    response = await send(client, fcm, None, {"message": {"topic": "news"}})
    assert response.status_code == 401
    assert response.headers["content-type"] == JSON_TYPE
    error = response.json()["error"]
    assert error["message"].startswith("Request is missing required authentication credential.")
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"


async def test_malformed_registration_token_gets_400(
    fcm: FakeFcm, account: ServiceAccount, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """A token that cannot be an FCM token gets 400 INVALID_ARGUMENT (reference §2.3)."""
    token = await minted_token(fcm, account, client, clock)
    response = await send(client, fcm, token, {"message": {"token": "not-a-token"}})
    assert response.status_code == 400
    assert response.json() == {"error": {
        "code": 400,
        "message": "The registration token is not a valid FCM registration token",
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                     "errorCode": "INVALID_ARGUMENT"}],
    }}  # fmt: skip


async def test_unknown_field_gets_400(
    fcm: FakeFcm, account: ServiceAccount, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """An unknown name in the message gets Google's "Cannot find field." 400."""
    token = await minted_token(fcm, account, client, clock)
    response = await send(client, fcm, token, {"message": {"topic": "news", "x": "y"}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == (
        "Invalid JSON payload received. Unknown name \"x\" at 'message': Cannot find field."
    )
    assert [d["@type"] for d in error["details"]] == ["type.googleapis.com/google.rpc.BadRequest"]


async def test_bad_json_gets_400_in_googles_shape(
    fcm: FakeFcm, account: ServiceAccount, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """A body that is not JSON gets a google.rpc.Status 400, never FastAPI's {"detail": ...}."""
    token = await minted_token(fcm, account, client, clock)
    response = await send(client, fcm, token, b"{not json")
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_TYPE
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith("Invalid JSON payload received.")


async def test_other_project_gets_403(
    fcm: FakeFcm, account: ServiceAccount, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """Sending to a project the credentials do not cover is 403 PERMISSION_DENIED, like Google."""
    token = await minted_token(fcm, account, client, clock)
    response = await client.post(
        f"{fcm.url}/v1/projects/someone-else/messages:send",
        json={"message": {"topic": "news"}},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"


async def test_topic_without_subscribers_is_accepted(
    fcm: FakeFcm, account: ServiceAccount, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """A topic send with no subscribers succeeds (reference §1.3)."""
    token = await minted_token(fcm, account, client, clock)
    response = await send(client, fcm, token, {"message": {"topic": "news", "data": {"a": "b"}}})
    assert response.status_code == 200
    assert response.json()["name"].startswith(f"projects/{PROJECT}/messages/")


async def test_unknown_path_gets_googles_html_404(fcm: FakeFcm, client: httpx.AsyncClient) -> None:
    """The retired legacy /fcm/send answers an HTML 404 page, not FastAPI JSON (§1.1)."""
    response = await client.post(f"{fcm.url}/fcm/send", json={"to": "x"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "/fcm/send" in response.text


async def test_bad_token_request_gets_an_oauth_error(
    fcm: FakeFcm, client: httpx.AsyncClient
) -> None:
    """The token endpoint answers a bad grant with {"error", "error_description"} 400."""
    response = await client.post(fcm.token_uri, data={"grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_stop_is_prompt_while_a_client_keeps_its_connection(
    ca: LocalCA, clock: ManualClock, account: ServiceAccount
) -> None:
    """stop() returns within a second even if an HTTP/2 client still holds an idle connection."""
    server = FakeFcm(
        clock=clock, ssl_context=ca.server_ssl_context(), project_id=PROJECT,
        service_account=account,
    )  # fmt: skip
    await server.start()
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context()) as idle:
        response = await idle.post(server.url + SEND_PATH, json={})
        assert response.status_code == 401
        began = time.perf_counter()
        await asyncio.wait_for(server.stop(), timeout=5)
        assert time.perf_counter() - began < 1.0


async def test_handler_failure_is_a_google_500_not_a_traceback(
    fcm: FakeFcm, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the fake itself breaks, the client gets Google's 500 INTERNAL body, nothing else."""

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(fcm.frontend, "send", broken)
    response = await send(client, fcm, "ya29.x", {"message": {"topic": "news"}})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}
    }
    assert "boom" not in response.text


# -- the server (hypercorn) set up as Google's front end behaves ----------------------------


async def _started(ca: LocalCA, account: ServiceAccount, options: FcmOptions) -> FakeFcm:
    server = FakeFcm(
        clock=ManualClock(), ssl_context=ca.server_ssl_context(alpn=("h2", "http/1.1")),
        project_id=PROJECT, service_account=account, options=options,
    )  # fmt: skip
    await server.start()
    return server


async def test_one_connection_serves_more_than_a_thousand_requests(
    fcm: FakeFcm,
    account: ServiceAccount,
    client: httpx.AsyncClient,
    clock: ManualClock,
    ca: LocalCA,
) -> None:
    """Google keeps an HTTP/2 connection for far more than hypercorn's default 1,000 requests:
    1,100 sends, 50 at a time on one connection, are all accepted."""
    bearer = await minted_token(fcm, account, client, clock)
    body = json.dumps({"message": {"topic": "news"}}).encode()
    h2_client = await H2Client.connect(fcm.url, ca.client_ssl_context())
    try:
        _, _, accepted = await h2_client.drive(
            fcm.url, SEND_PATH, [body] * 1100, {"authorization": f"Bearer {bearer}"}, 50
        )
    finally:
        await h2_client.close()
    assert accepted == 1100


async def test_a_body_over_the_limit_gets_googles_413_page_unread(
    ca: LocalCA, account: ServiceAccount, client: httpx.AsyncClient
) -> None:
    """A body above ``max_body_bytes`` gets Google's HTML 413 page, logged as ``too_large``
    without its body."""
    fcm = await _started(ca, account, FcmOptions(max_body_bytes=1000))
    try:
        response = await send(client, fcm, "ya29.x", b"x" * 5000)
        assert response.status_code == 413
        assert "Your client issued a request that was too large." in response.text
        (entry,) = fcm.request_log.query(kind="too_large")
        assert entry.request_body == ""
    finally:
        await fcm.stop()


async def test_the_request_log_keeps_a_body_up_to_its_cap(
    fcm: FakeFcm, client: httpx.AsyncClient
) -> None:
    """A large body is logged cut at ``LOG_BODY_CAP`` and marked with its real length."""
    body = b'{"message": "' + b"a" * (2 * LOG_BODY_CAP) + b'"}'
    response = await send(client, fcm, None, body)
    assert response.status_code == 401
    logged = fcm.request_log.query(kind="send")[-1].request_body
    assert logged.endswith(f"…[truncated: {len(body)} bytes]")
    assert len(logged) < LOG_BODY_CAP + 40


async def test_an_idle_connection_is_closed_after_the_idle_timeout(
    ca: LocalCA, account: ServiceAccount
) -> None:
    """With nothing in flight for ``idle_timeout`` seconds, the server closes the connection."""
    fcm = await _started(ca, account, FcmOptions(idle_timeout=0.2))
    try:
        target = attacks.Target(fcm.port)
        outcome = await asyncio.to_thread(attacks.preface_then_silence, target, seconds=5.0)
        assert outcome.closed and outcome.seconds < 3.0, outcome
    finally:
        await fcm.stop()
