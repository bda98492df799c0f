"""FcmClient against an httpx.MockTransport and a mock OAuth2 token endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import requests

from sender import FcmClient
from sender.errors import ProviderAuthError
from sender.google_credentials import FCM_SCOPE
from sender.tls import requests_session

from .conftest import FCM_URL, PROJECT, TOKEN_URI, ManualClock, Script, TokenEndpoint, fcm_error

TOKEN = "fGw0qy4TGgk:APA91bGtWGjuhp4WRhHXgbab"
MESSAGE = {"token": TOKEN, "data": {"k": "v"}}


async def test_request_shape(fcm: FcmClient, fcm_script: Script) -> None:
    """A message is POSTed to /v1/projects/<project>/messages:send as {"message": ...} with a bearer."""
    result = await fcm.send(MESSAGE)
    (request,) = fcm_script.requests
    assert str(request.url) == f"{FCM_URL}/v1/projects/{PROJECT}/messages:send"
    assert request.headers["authorization"] == "Bearer tok-1"
    assert json.loads(request.content) == {"message": MESSAGE}
    assert (result.status, result.name) == (200, f"projects/{PROJECT}/messages/1")


async def test_assertion_uses_injected_clock(
    fcm: FcmClient, token_endpoint: TokenEndpoint, clock: ManualClock
) -> None:
    """The grant assertion's iat/exp come from the injected clock, and it goes to token_uri."""
    clock.advance(86_400 * 40)  # far from the wall clock
    await fcm.send(MESSAGE)
    (assertion,) = token_endpoint.assertions
    assert assertion["iat"] == int(clock.now())
    assert assertion["exp"] == int(clock.now()) + 3600
    assert assertion["scope"] == FCM_SCOPE
    assert token_endpoint.urls == [TOKEN_URI]


async def test_token_reused_between_sends(
    fcm: FcmClient, fcm_script: Script, token_endpoint: TokenEndpoint
) -> None:
    """One access token serves many messages while the provider accepts it."""
    await fcm.send(MESSAGE)
    await fcm.send(MESSAGE)
    assert len(token_endpoint.assertions) == 1


async def test_401_refreshes_and_retries_once(
    fcm: FcmClient, fcm_script: Script, token_endpoint: TokenEndpoint
) -> None:
    """On 401 the client fetches a new access token and sends the message again."""
    fcm_script.answer(
        TOKEN,
        fcm_error(401, "UNAUTHENTICATED", None),
        httpx.Response(200, json={"name": f"projects/{PROJECT}/messages/9"}),
    )
    result = await fcm.send(MESSAGE)
    assert result.status == 200
    assert [r.headers["authorization"] for r in fcm_script.requests] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]
    assert len(token_endpoint.assertions) == 2


async def test_second_401_is_returned(fcm: FcmClient, fcm_script: Script) -> None:
    """A second 401 is handed back, not retried forever."""
    fcm_script.answer(TOKEN, fcm_error(401, "UNAUTHENTICATED", None))
    result = await fcm.send(MESSAGE)
    assert (result.status, result.error_code) == (401, "UNAUTHENTICATED")
    assert len(fcm_script.requests) == 2


async def test_error_code_comes_from_fcm_error_detail(fcm: FcmClient, fcm_script: Script) -> None:
    """errorCode is read from the FcmError detail, with the rpc message."""
    fcm_script.answer(TOKEN, fcm_error(404, "NOT_FOUND", "UNREGISTERED"))
    result = await fcm.send(MESSAGE)
    assert (result.status, result.error_code, result.message) == (404, "UNREGISTERED", "m")


async def test_retry_after_is_read(fcm: FcmClient, fcm_script: Script) -> None:
    """An integer Retry-After on 503 is reported in seconds."""
    fcm_script.answer(
        TOKEN, fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", headers={"Retry-After": "3"})
    )
    result = await fcm.send(MESSAGE)
    assert (result.error_code, result.retry_after) == ("UNAVAILABLE", 3)


def test_bad_service_account_file(tmp_path: Path, clock: ManualClock) -> None:
    """A service-account file without the required fields raises ProviderAuthError."""
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({"type": "service_account"}))
    with pytest.raises(ProviderAuthError):
        FcmClient(FCM_URL, path, None, clock, session=requests.Session())


def test_token_session_pins_the_ca_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token endpoint is verified against the given CA even when REQUESTS_CA_BUNDLE is set."""
    seen: list[object] = []

    def capture(self: object, request: object, *args: object) -> requests.Response:
        _stream, _timeout, verify, *_ = args
        seen.append(verify)
        response = requests.Response()
        response.status_code = 200
        return response

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/somewhere/else.pem")
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", capture)
    requests_session("/fake/ca.pem").get("https://oauth.test/token")
    assert seen == ["/fake/ca.pem"]
