"""ApnsClient against an httpx.MockTransport: provider token, refresh, errors."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from sender import ApnsClient
from sender._http import MAX_RETRY_AFTER
from sender.apns_client import default_url
from sender.errors import ProviderAuthError, ProviderUnreachable

from .conftest import APNS_URL, ManualClock, Script, apns_error, apns_handler

TOKEN = "ab" * 32


def _claims(request: httpx.Request, key: ec.EllipticCurvePrivateKey) -> dict[str, object]:
    bearer = request.headers["authorization"].removeprefix("bearer ")
    return jwt.decode(bearer, key.public_key(), algorithms=["ES256"])


async def test_request_shape(apns: ApnsClient, apns_script: Script) -> None:
    """A push is POST /3/device/<token> with topic, given headers, a uuid apns-id and JSON body."""
    result = await apns.send(TOKEN, "com.example", {"apns-push-type": "alert"}, {"aps": {}})
    (request,) = apns_script.requests
    assert request.method == "POST"
    assert str(request.url) == f"{APNS_URL}/3/device/{TOKEN}"
    assert request.headers["apns-topic"] == "com.example"
    assert request.headers["apns-push-type"] == "alert"
    assert str(uuid.UUID(request.headers["apns-id"])) == request.headers["apns-id"]
    assert json.loads(request.content) == {"aps": {}}
    assert result.status == 200
    assert result.apns_id == request.headers["apns-id"]


async def test_jwt_verifies_with_public_key(
    apns: ApnsClient, apns_script: Script, ec_key: ec.EllipticCurvePrivateKey, clock: ManualClock
) -> None:
    """The provider token is ES256 with kid, no typ, iss = team id and integer iat from the clock."""
    await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    (request,) = apns_script.requests
    bearer = request.headers["authorization"].removeprefix("bearer ")
    assert jwt.get_unverified_header(bearer) == {"alg": "ES256", "kid": "KEY1234567"}
    assert _claims(request, ec_key) == {"iss": "TEAM123456", "iat": int(clock.now())}


async def test_token_reused_within_50_minutes(apns: ApnsClient, clock: ManualClock) -> None:
    """The same provider token is used until it is 50 minutes old on the clock."""
    first = apns.provider_token
    clock.advance(50 * 60 - 1)
    assert apns.provider_token == first


async def test_token_renewed_after_50_minutes(
    apns: ApnsClient, apns_script: Script, ec_key: ec.EllipticCurvePrivateKey, clock: ManualClock
) -> None:
    """A token 50 minutes old on the clock is replaced by one with a fresh iat."""
    await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    clock.advance(50 * 60)
    await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    first, second = apns_script.requests
    assert _claims(second, ec_key)["iat"] == _claims(first, ec_key)["iat"] + 50 * 60  # type: ignore[operator]


async def test_expired_provider_token_renews_and_retries_once(
    apns: ApnsClient, apns_script: Script, ec_key: ec.EllipticCurvePrivateKey, clock: ManualClock
) -> None:
    """On 403 ExpiredProviderToken the client signs a new token and sends the push again, once."""
    await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    clock.advance(20 * 60)
    apns_script.answer(TOKEN, apns_error(403, "ExpiredProviderToken"), httpx.Response(200))
    result = await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    assert result.status == 200
    _, refused, retried = apns_script.requests
    assert refused.headers["authorization"] != retried.headers["authorization"]
    assert refused.headers["apns-id"] == retried.headers["apns-id"]
    assert _claims(retried, ec_key)["iat"] == int(clock.now())


async def test_expired_provider_token_twice_is_returned(
    apns: ApnsClient, apns_script: Script, clock: ManualClock
) -> None:
    """A second ExpiredProviderToken is handed back, not retried forever."""
    apns.provider_token  # noqa: B018  (signs the first token)
    clock.advance(20 * 60)
    apns_script.answer(TOKEN, apns_error(403, "ExpiredProviderToken"))
    result = await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    assert (result.status, result.reason) == (403, "ExpiredProviderToken")
    assert len(apns_script.requests) == 2


async def test_young_token_is_not_renewed_on_expired_provider_token(
    apns: ApnsClient, apns_script: Script, clock: ManualClock
) -> None:
    """A token younger than 20 minutes is kept even when APNs calls it expired (no 429 churn)."""
    first = apns.provider_token
    clock.advance(19 * 60)
    apns_script.answer(TOKEN, apns_error(403, "ExpiredProviderToken"))
    result = await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    assert (result.status, result.reason) == (403, "ExpiredProviderToken")
    assert len(apns_script.requests) == 1
    assert apns.provider_token == first


async def test_concurrent_expired_answers_renew_once(ec_pem: bytes, clock: ManualClock) -> None:
    """Pushes refused together with the same expired token lead to one new token, not one each."""
    first: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # let the other pushes reach the "server" with the same token
        if request.headers["authorization"] == first[0]:
            return apns_error(403, "ExpiredProviderToken")
        return httpx.Response(200)

    client = ApnsClient(
        APNS_URL, "T", "K", ec_pem, None, clock, transport=httpx.MockTransport(handle)
    )
    first.append(f"bearer {client.provider_token}")
    clock.advance(30 * 60)
    try:
        results = await asyncio.gather(
            *(client.send(f"{i:02x}" * 32, "com.example", {}, {"aps": {}}) for i in range(5))
        )
    finally:
        await client.aclose()
    assert [r.status for r in results] == [200] * 5
    assert client.tokens is not None and client.tokens.signed == 2


async def test_certificate_auth_sends_no_authorization(
    ec_pem: bytes, clock: ManualClock, apns_script: Script, tmp_path: Path
) -> None:
    """With a client certificate the client sends pushes without an authorization header."""
    client = ApnsClient(
        APNS_URL,
        None,
        None,
        None,
        None,
        clock,
        client_cert=tmp_path / "unused.pem",
        transport=httpx.MockTransport(apns_handler(apns_script)),
    )
    try:
        result = await client.send(TOKEN, "com.example", {}, {"aps": {}})
    finally:
        await client.aclose()
    assert result.status == 200
    assert "authorization" not in apns_script.requests[0].headers


def test_token_auth_needs_a_key(clock: ManualClock) -> None:
    """Token auth without team id, key id or key is refused at construction."""
    with pytest.raises(ProviderAuthError):
        ApnsClient(APNS_URL, "TEAM", None, None, None, clock)


def test_default_urls_are_apples() -> None:
    """Sandbox and production map to Apple's documented hosts (reference/apns.md §1.1)."""
    assert default_url("sandbox") == "https://api.sandbox.push.apple.com"
    assert default_url("production") == "https://api.push.apple.com"


async def test_error_body_is_parsed(apns: ApnsClient, apns_script: Script) -> None:
    """A 410 answer yields its reason and integer millisecond timestamp."""
    apns_script.answer(TOKEN, apns_error(410, "Unregistered", timestamp=1_700_000_000_123))
    result = await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    assert (result.status, result.reason, result.timestamp_ms) == (
        410,
        "Unregistered",
        1_700_000_000_123,
    )


async def test_unparseable_error_body_is_tolerated(apns: ApnsClient, apns_script: Script) -> None:
    """An error with a non-JSON body keeps its status and has no reason."""
    apns_script.answer(TOKEN, httpx.Response(500, content=b"<html>oops</html>"))
    result = await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    assert (result.status, result.reason, result.timestamp_ms) == (500, None, None)


async def test_integer_retry_after_is_read(apns: ApnsClient, apns_script: Script) -> None:
    """An integer Retry-After header is reported in seconds."""
    apns_script.answer(
        TOKEN, httpx.Response(429, json={"reason": "TooManyRequests"}, headers={"retry-after": "7"})
    )
    result = await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    assert result.retry_after == 7


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("\u00b2", None),
        ("\u0663", None),
        ("1e3", None),
        ("9" * 5000, MAX_RETRY_AFTER),
        ("0" * 5000 + "7", 7),
    ],
    ids=["superscript", "arabic-indic", "exponent", "5000-digits", "leading-zeros"],
)
async def test_odd_retry_after_is_read_without_error(
    apns: ApnsClient, apns_script: Script, header: str, seconds: int | None
) -> None:
    """A Retry-After of non-ASCII digits is unreadable (None), one too long for int() is the
    longest wait; neither raises (the push would otherwise get no outcome)."""
    apns_script.answer(
        TOKEN,
        httpx.Response(
            429, json={"reason": "TooManyRequests"}, headers={"retry-after": header.encode()}
        ),
    )
    result = await apns.send(TOKEN, "com.example", {}, {"aps": {}})
    assert (result.status, result.retry_after) == (429, seconds)


async def test_unreachable_provider_raises(ec_pem: bytes, clock: ManualClock) -> None:
    """A connection failure raises ProviderUnreachable rather than returning a status."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = ApnsClient(
        APNS_URL, "T", "K", ec_pem, None, clock, transport=httpx.MockTransport(refuse)
    )
    try:
        with pytest.raises(ProviderUnreachable):
            await client.send(TOKEN, "t", {}, {})
    finally:
        await client.aclose()
