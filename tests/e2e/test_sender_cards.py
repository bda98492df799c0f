"""pushsim-sender as a service, with loyalty cards configured the way a user would, against the
fakes: Apple passes signed with the Pass Type ID certificate of endpoints.json, Google Wallet
objects as the service account's issuer."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httpx

from sender.__main__ import serve
from sender.config import build_config
from simulator import Simulation
from simulator.up import environment


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_standalone_sender_issues_and_updates_cards_on_both_wallets(
    pushsim: Simulation,
):
    """Configured only by what ``pushsim env`` prints (the APPLE_PASS_* files of endpoints.json;
    the web service URL defaults to the sender's own), the sender issues an Apple and a Google
    card; the phones add them and show the points change."""
    endpoints = pushsim.endpoints
    wallet = endpoints["apple_wallet"]
    exported = environment({**endpoints, "trust_bundle": endpoints["ca_cert"]})
    assert {
        name: exported[name]
        for name in ("APPLE_PASS_CERT_PATH", "APPLE_PASS_KEY_PATH", "APPLE_PASS_WWDR_PATH")
    } == {
        "APPLE_PASS_CERT_PATH": wallet["cert_path"],
        "APPLE_PASS_KEY_PATH": wallet["key_path"],
        "APPLE_PASS_WWDR_PATH": wallet["wwdr_path"],
    }
    assert exported["APPLE_PASS_APNS_URL"] == wallet["apns_url"]
    port = _free_port()
    config = build_config(
        {},
        {
            **exported,
            "PUSHSIM_SENDER_API_KEY": "api",
            "PUSHSIM_SENDER_APP_KEY": "app",
            "PUSHSIM_SENDER_PORT": str(port),
            "PUSHSIM_SENDER_DATABASE": str(pushsim.state_dir / "standalone-cards.sqlite3"),
        },
    )
    ready = asyncio.Event()
    running = asyncio.create_task(serve(config, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        iphone, android = pushsim.add_iphone(), pushsim.add_android()
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer api"}
        ) as api:
            cards = []
            for platform in ("ios", "android"):
                issued = await api.post("/v1/cards", json={"user_id": "eve", "platform": platform})
                assert issued.status_code == 201, issued.text
                cards.append(issued.json())
            iphone.wallet.add_from_url(cards[0]["add_url"])
            await pushsim.settle()
            android.save_pass(cards[1]["add_url"])
            await pushsim.expect("PassRegistered", phone=iphone.phone_id, status=201)
            for card in cards:
                update = await api.patch(f"/v1/cards/{card['card_id']}", json={"points": 5})
                assert [o["status"] for o in update.json()["outcomes"]] == [200], update.text
        await pushsim.settle()
        bodies = [n.body for phone in (iphone, android) for n in phone.notifications()]
        assert bodies == ["You now have 5 points", "Points: 5"]
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
