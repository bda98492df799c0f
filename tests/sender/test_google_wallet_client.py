"""GoogleWalletClient against an httpx.MockTransport and a mock OAuth2 token endpoint."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from sender import GoogleWalletClient, WalletApiError
from sender.errors import InvalidInput, ProviderUnreachable
from sender.google_wallet import WALLET_SCOPE

from .conftest import ManualClock, TokenEndpoint

URL = "https://wallet.test"
ISSUER = "3388000000022000001"
OBJECT_ID = f"{ISSUER}.alice"
QUOTA = {
    "error": {
        "code": 403,
        "message": f"Quota exceeded for issuer ({ISSUER}) when adding TEXT_AND_NOTIFY message.",
        "errors": [{"message": "…", "domain": "walletobjects", "reason": "quotaExceeded"}],
    }
}


class Api:
    """Scripted Wallet API: records requests; answers from a queue, else 200 with the body."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.queue: list[httpx.Response] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.queue:
            return self.queue.pop(0)
        if request.url.path.endswith("/addMessage"):
            return httpx.Response(200, json={"resource": {"id": OBJECT_ID, "messages": []}})
        echoed = json.loads(request.content) if request.content else {"id": OBJECT_ID}
        return httpx.Response(200, json=echoed)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
async def wallet(
    clock: ManualClock, service_account: Path, api: Api, token_session: requests.Session
) -> AsyncIterator[GoogleWalletClient]:
    client = GoogleWalletClient(
        url=URL,
        issuer_id=ISSUER,
        service_account_path=service_account,
        ca_file=None,
        clock=clock,
        transport=httpx.MockTransport(api),
        session=token_session,
    )
    yield client
    await client.aclose()


async def test_token_has_the_issuer_scope(
    wallet: GoogleWalletClient, api: Api, token_endpoint: TokenEndpoint
) -> None:
    """Calls carry a bearer token granted for the wallet_object.issuer scope."""
    await wallet.get_object("alice")
    assert token_endpoint.assertions[0]["scope"] == WALLET_SCOPE
    assert api.requests[0].headers["authorization"] == "Bearer tok-1"


async def test_paths_and_bodies(wallet: GoogleWalletClient, api: Api) -> None:
    """insert, get, patch and addMessage use Google's paths, methods and body shapes."""
    await wallet.insert_object({"id": OBJECT_ID, "classId": f"{ISSUER}.gold"})
    await wallet.get_object(OBJECT_ID)
    await wallet.patch_object("alice", {"loyaltyPoints": {"balance": {"int": 5}}}, notify=True)
    resource = await wallet.add_message("alice", header="Hi", body="Free", notify=True)
    calls = [(r.method, r.url.path) for r in api.requests]
    assert calls == [
        ("POST", "/walletobjects/v1/loyaltyObject"),
        ("GET", f"/walletobjects/v1/loyaltyObject/{OBJECT_ID}"),
        ("PATCH", f"/walletobjects/v1/loyaltyObject/{OBJECT_ID}"),
        ("POST", f"/walletobjects/v1/loyaltyObject/{OBJECT_ID}/addMessage"),
    ]
    assert api.bodies()[2]["notifyPreference"] == "NOTIFY_ON_UPDATE"
    assert api.bodies()[3] == {
        "message": {"header": "Hi", "body": "Free", "messageType": "TEXT_AND_NOTIFY"}
    }
    assert resource == {"id": OBJECT_ID, "messages": []}


async def test_quiet_calls(wallet: GoogleWalletClient, api: Api) -> None:
    """notify=False sends no notifyPreference and a TEXT message."""
    await wallet.patch_object("alice", {"state": "ACTIVE"}, notify=False)
    await wallet.add_message("alice", header="Hi", body="Free", notify=False)
    assert "notifyPreference" not in api.bodies()[0]
    assert api.bodies()[1]["message"]["messageType"] == "TEXT"


async def test_ensure_class_inserts_when_missing(wallet: GoogleWalletClient, api: Api) -> None:
    """ensure_class GETs, and on 404 inserts the class with Google's required fields."""
    api.queue.append(httpx.Response(404, json={"error": {"code": 404, "message": "x"}}))
    await wallet.ensure_class(
        "gold", issuer_name="Coffee", program_name="Club", program_logo_uri="https://l/x.png"
    )
    assert [r.method for r in api.requests] == ["GET", "POST"]
    assert api.bodies()[1] == {
        "id": f"{ISSUER}.gold",
        "issuerName": "Coffee",
        "programName": "Club",
        "programLogo": {"sourceUri": {"uri": "https://l/x.png"}},
        "reviewStatus": "UNDER_REVIEW",
    }


async def test_ensure_class_keeps_an_existing_class(wallet: GoogleWalletClient, api: Api) -> None:
    """An existing class is answered as it is, without an insert."""
    await wallet.ensure_class("gold", issuer_name="C", program_name="P", program_logo_uri="u")
    assert [r.method for r in api.requests] == ["GET"]


async def test_errors_carry_googles_words(wallet: GoogleWalletClient, api: Api) -> None:
    """A Google error body becomes WalletApiError with status, reason and message."""
    api.queue.append(httpx.Response(403, json=QUOTA))
    with pytest.raises(WalletApiError) as caught:
        await wallet.add_message("alice", header="Hi", body="x", notify=True)
    error = caught.value
    assert (error.status, error.reason, error.quota_exceeded) == (403, "quotaExceeded", True)
    assert error.message == QUOTA["error"]["message"]  # type: ignore[index]


async def test_non_json_error(wallet: GoogleWalletClient, api: Api) -> None:
    """An HTML error page still raises WalletApiError with the status."""
    api.queue.append(httpx.Response(404, text="<html>404</html>"))
    with pytest.raises(WalletApiError) as caught:
        await wallet.get_object("alice")
    assert caught.value.status == 404


async def test_401_refreshes_once(
    wallet: GoogleWalletClient, api: Api, token_endpoint: TokenEndpoint
) -> None:
    """A 401 gets a fresh token and one more try."""
    api.queue.append(httpx.Response(401, json={"error": {"code": 401, "message": "expired"}}))
    await wallet.get_object("alice")
    assert [r.headers["authorization"] for r in api.requests] == ["Bearer tok-1", "Bearer tok-2"]


async def test_unreachable(
    clock: ManualClock, service_account: Path, token_session: requests.Session
) -> None:
    """A transport failure is ProviderUnreachable."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = GoogleWalletClient(
        url=URL, issuer_id=ISSUER, service_account_path=service_account, ca_file=None,
        clock=clock, transport=httpx.MockTransport(refuse), session=token_session,
    )  # fmt: skip
    with pytest.raises(ProviderUnreachable):
        await client.get_object("alice")
    await client.aclose()


def test_save_link_is_signed_by_the_service_account(
    wallet: GoogleWalletClient, rsa_key: rsa.RSAPrivateKey, clock: ManualClock
) -> None:
    """save_link: pay.google.com/gp/v/save/<JWT>, RS256 with kid, aud google, typ
    savetowallet, iat from the clock, skinny objects for ids (§8)."""
    link = wallet.save_link(["alice", {"id": f"{ISSUER}.bob", "classId": f"{ISSUER}.gold"}])
    assert link.startswith("https://pay.google.com/gp/v/save/")
    token = link.rsplit("/", 1)[1]
    assert jwt.get_unverified_header(token)["kid"] == "key-1"
    claims = jwt.decode(token, rsa_key.public_key(), algorithms=["RS256"], audience="google")
    assert claims["iss"] == "sender@demo-project.iam.gserviceaccount.com"
    assert (claims["typ"], claims["iat"]) == ("savetowallet", int(clock.now()))
    assert claims["payload"]["loyaltyObjects"] == [
        {"id": OBJECT_ID},
        {"id": f"{ISSUER}.bob", "classId": f"{ISSUER}.gold"},
    ]


def test_bad_input(wallet: GoogleWalletClient, service_account: Path, clock: ManualClock) -> None:
    """A save link needs objects; an issuer id is a number."""
    with pytest.raises(InvalidInput):
        wallet.save_link([])
    with pytest.raises(InvalidInput):
        GoogleWalletClient(
            issuer_id="acme", service_account_path=service_account, ca_file=None, clock=clock
        )


def _limited(status: int = 429, **headers: str) -> httpx.Response:
    body = {"error": {"code": status, "message": "Rate Limit Exceeded", "errors": []}}
    return httpx.Response(status, json=body, headers=headers)


async def test_rate_limit_is_retried_with_backoff(
    wallet: GoogleWalletClient, api: Api, clock: ManualClock
) -> None:
    """429 twice, then 200: retried after 0.5 s and 1 s on the client's clock."""
    api.queue += [_limited(), _limited()]
    await wallet.get_object("alice")
    assert len(api.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


async def test_unavailable_honours_retry_after(
    wallet: GoogleWalletClient, api: Api, clock: ManualClock
) -> None:
    """503 with Retry-After waits that long before the next try."""
    api.queue.append(_limited(503, **{"retry-after": "7"}))
    await wallet.get_object("alice")
    assert clock.sleeps == [7]


async def test_a_retry_after_too_long_is_not_waited_for(
    wallet: GoogleWalletClient, api: Api, clock: ManualClock
) -> None:
    """A Retry-After over max_retry_after raises the 429 at once instead of sleeping that long."""
    api.queue.append(_limited(**{"retry-after": str(int(wallet.max_retry_after) + 1)}))
    with pytest.raises(WalletApiError) as caught:
        await wallet.get_object("alice")
    assert caught.value.status == 429
    assert (len(api.requests), clock.sleeps) == (1, [])


async def test_retries_are_bounded(wallet: GoogleWalletClient, api: Api) -> None:
    """After max_attempts tries the 429 is raised as WalletApiError."""
    api.queue += [_limited() for _ in range(wallet.max_attempts)]
    with pytest.raises(WalletApiError) as caught:
        await wallet.get_object("alice")
    assert caught.value.status == 429
    assert len(api.requests) == wallet.max_attempts


async def test_shares_loaded_credentials(
    clock: ManualClock,
    service_account: Path,
    token_session: requests.Session,
    token_endpoint: TokenEndpoint,
    api: Api,
) -> None:
    """Credentials already loaded (an FCM client's) serve with the Wallet scope, on the clock."""
    from sender.google_credentials import load_credentials

    fcm_credentials = load_credentials(str(service_account), clock)
    client = GoogleWalletClient(
        url=URL, issuer_id=ISSUER, service_account_path=fcm_credentials, ca_file=None,
        clock=clock, transport=httpx.MockTransport(api), session=token_session,
    )  # fmt: skip
    clock.advance(1000)
    await client.get_object("alice")
    await client.aclose()
    (assertion,) = token_endpoint.assertions
    assert (assertion["scope"], assertion["iat"]) == (WALLET_SCOPE, int(clock.now()))
