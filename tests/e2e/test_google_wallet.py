"""The fake Google Wallet API in a running simulation: TLS, HTTP/2, the proxy, Android phones."""

from __future__ import annotations

import ssl

import httpx

from simulator import Simulation
from simulator.up import export_lines


async def _card(sim: Simulation, points: int = 10) -> str:
    wallet = sim.google_wallet_client
    await wallet.ensure_class(
        "club", issuer_name="Coffee", program_name="Club", program_logo_uri="https://c.example/l"
    )
    obj = await wallet.insert_object(
        {
            "id": wallet.resource_id("alice"),
            "classId": wallet.resource_id("club"),
            "state": "ACTIVE",
            "loyaltyPoints": {"label": "Stars", "balance": {"int": points}},
        }
    )
    return str(obj["id"])


async def test_reached_through_the_proxy_by_its_real_name(pushsim: Simulation) -> None:
    """HTTPS_PROXY tunnels walletobjects.googleapis.com to the fake, whose certificate names it;
    the same bearer token works there (HTTP/2 through ALPN)."""
    object_id = await _card(pushsim)
    token = await pushsim.google_wallet_client.access_token()
    async with httpx.AsyncClient(
        proxy=pushsim.proxy.url,
        verify=ssl.create_default_context(cafile=pushsim.ca.cert_path),
        http2=True,
    ) as client:
        response = await client.get(
            f"https://walletobjects.googleapis.com/walletobjects/v1/loyaltyObject/{object_id}",
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    assert response.http_version == "HTTP/2"
    assert response.json()["loyaltyPoints"]["balance"] == {"int": 10}


async def test_errors_over_the_wire(pushsim: Simulation) -> None:
    """Without a token: 401 in Google's JSON; an unknown path: Google's HTML 404 page."""
    async with httpx.AsyncClient(
        base_url=pushsim.google_wallet.url,
        verify=ssl.create_default_context(cafile=pushsim.ca.cert_path),
    ) as client:
        unauthenticated = await client.get("/walletobjects/v1/loyaltyObject/1.x")
        unknown = await client.get("/walletobjects/v1/genericObject/1.x")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["status"] == "UNAUTHENTICATED"
    assert unknown.status_code == 404 and "That\u2019s an error" in unknown.text
    logged = pushsim.google_wallet.request_log.query(status=401)
    assert [e.kind for e in logged] == ["loyaltyObject.get"]


async def test_android_phone_catches_up_after_being_offline(pushsim: Simulation) -> None:
    """A pass changed while the phone was offline holds the latest data once it is back, and
    the missed notification is shown then."""
    await _card(pushsim)
    wallet = pushsim.google_wallet_client
    phone = pushsim.add_android()
    phone.save_pass(wallet.save_link(["alice"]))
    phone.go_offline()
    await wallet.patch_object("alice", {"loyaltyPoints": {"balance": {"int": 50}}}, notify=True)
    assert phone.passes()[0].points == 10 and phone.notifications() == []
    phone.go_online()
    assert phone.passes()[0].points == 50
    assert [n.body for n in phone.notifications()] == ["Stars: 50"]


async def test_pass_notifications_off_updates_silently(pushsim: Simulation) -> None:
    """With the pass's notifications off the card still updates; the notification is suppressed."""
    await _card(pushsim)
    wallet = pushsim.google_wallet_client
    phone = pushsim.add_android()
    (card,) = phone.save_pass(wallet.save_link(["alice"]))
    phone.set_pass_notifications(card.object_id, False)
    await wallet.add_message("alice", header="Hi", body="Free coffee", notify=True)
    suppressed = await pushsim.expect("NotificationSuppressed", phone=phone.phone_id)
    assert suppressed.reason == "notifications are off for this pass"
    assert phone.passes()[0].messages[-1]["body"] == "Free coffee"
    assert phone.notifications() == []


async def test_endpoints_and_env_name_the_wallet_api(pushsim: Simulation) -> None:
    """endpoints.json has google_wallet; pushsim env exports its URL and issuer id."""
    endpoints = pushsim.endpoints
    assert endpoints["google_wallet"]["url"] == pushsim.google_wallet.url
    lines = export_lines({**endpoints, "trust_bundle": endpoints["ca_cert"]})
    assert f"export GOOGLE_WALLET_ISSUER_ID={pushsim.wallet_issuer_id}" in lines
    assert "walletobjects.googleapis.com:443" in endpoints["proxy"]["hosts"]


async def test_injected_outage_is_retried_by_the_client(pushsim: Simulation) -> None:
    """sim.fault("google_wallet", status=503, times=1): the sender's client backs off on the
    clock and succeeds; the request log shows the refused try."""
    object_id = await _card(pushsim)
    pushsim.fault("google_wallet", status=503, token=object_id, times=1)
    answer = await pushsim.google_wallet_client.get_object(object_id)
    assert answer["id"] == object_id
    assert [e.status for e in pushsim.google_wallet.request_log.query(kind="refused")] == [503]
