"""pushsim-sender as a service, with loyalty cards configured the way a user would, against the
fakes: Apple passes signed with the Pass Type ID certificate of endpoints.json, Google Wallet
objects as the service account's issuer."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakeproviders.faults import Fault
from sender.__main__ import serve
from sender.config import build_config
from simulator import Simulation
from simulator.up import environment
from tests.e2e.sender_process import start_sender


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


async def test_a_card_change_owed_at_a_kill_9_is_pushed_after_the_restart(
    pushsim: Simulation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 while the pass push of a change is in flight at APNs: the change and the push it
    owes were one write, so the restarted sender pushes it, and the phone shows the update."""
    endpoints = pushsim.endpoints
    variables = {
        **environment({**endpoints, "trust_bundle": endpoints["ca_cert"]}),
        "PUSHSIM_SENDER_API_KEY": "api",
        "PUSHSIM_SENDER_APP_KEY": "app",
        "PUSHSIM_SENDER_PORT": str(_free_port()),  # the pass names it: the same after the restart
        "PUSHSIM_SENDER_LOG_LEVEL": "WARNING",
    }
    database, log = str(tmp_path / "sender.sqlite3"), tmp_path / "sender.log"
    iphone = pushsim.add_iphone()
    # The pass push reaches APNs and hangs there (once): the sender dies with it in flight.
    faults = pushsim.apns_production.faults
    at_apns = asyncio.Event()
    pick = faults.pick

    def watched(**request: Any) -> Fault | None:
        fault = pick(**request)
        if fault is not None:
            at_apns.set()
        return fault

    monkeypatch.setattr(faults, "pick", watched)
    sender, url = await start_sender(variables, database, log)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": "Bearer api"}) as api:
        try:
            card = (await api.post("/v1/cards", json={"user_id": "eve", "platform": "ios"})).json()
            iphone.wallet.add_from_url(card["add_url"])
            await pushsim.expect("PassRegistered", phone=iphone.phone_id, status=201)
            await pushsim.settle()  # and its first "what changed?", before the change
            faults.add(Fault(latency=30, times=1, topic=endpoints["apple_wallet"]["pass_type_id"]))
            change = asyncio.create_task(
                api.patch(f"/v1/cards/{card['card_id']}", json={"points": 5}, timeout=60)
            )
            await asyncio.wait_for(at_apns.wait(), 20)
        finally:
            sender.send_signal(signal.SIGKILL)
            await sender.wait()
        with contextlib.suppress(httpx.HTTPError):
            await change
        assert iphone.notifications() == []

        restarted, url = await start_sender(variables, database, log)
        try:
            shown = await pushsim.expect("NotificationDisplayed", phone=iphone.phone_id, timeout=20)
            detail = (await api.get(f"/v1/cards/{card['card_id']}")).json()
        finally:
            restarted.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(restarted.wait(), 10) == 0, "clean exit on SIGTERM"
    assert shown.body == "You now have 5 points"
    last = detail["updates"][-1]
    assert (last["version"], last["pending"]) == (2, [])
    assert [(o["status"], o["attempts"]) for o in last["outcomes"]] == [(200, 1)]
