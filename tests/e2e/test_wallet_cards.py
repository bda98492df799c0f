"""Loyalty cards end to end: the control API, and Apple Wallet's behaviours over real sockets
(reference/wallet.md §1-§4)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from sender.pkpass import build_pkpass
from simulator import Simulation
from tests.wallet_support import store_card


async def test_control_api_issues_adds_changes_and_switches_a_card(pushsim: Simulation, control):
    """POST /cards, POST /phones/{id}/cards, PATCH /cards/{id}, PATCH the phone's switch:
    the change is shown, then (notifications off) only applied."""
    await control.post("/phones", json={"platform": "ios", "phone_id": "kim"})
    card = (await control.post("/cards", json={"user_id": "kim", "platform": "ios"})).json()
    added = await control.post("/phones/kim/cards", json={"card_id": card["card_id"]})
    assert added.status_code == 201 and added.json()["registered"], added.text
    changed = (await control.patch(f"/cards/{card['card_id']}", json={"points": 42})).json()
    assert [o["status"] for o in changed["outcomes"]] == [200]
    tray = (await control.get("/phones/kim/notifications")).json()
    assert [n["body"] for n in tray] == ["You now have 42 points"]

    switch = await control.patch(
        f"/phones/kim/cards/{card['card_id']}", json={"notifications": False}
    )
    assert switch.status_code == 200
    await control.patch(f"/cards/{card['card_id']}", json={"points": 43})
    assert len((await control.get("/phones/kim/notifications")).json()) == 1
    [held] = (await control.get("/phones/kim/cards")).json()
    assert held["fields"]["points"] == 43 and held["notifications"] is False
    detail = (await control.get(f"/cards/{card['card_id']}")).json()
    assert [u["version"] for u in detail["updates"]] == [1, 2, 3] and len(detail["devices"]) == 1

    assert (await control.delete(f"/phones/kim/cards/{card['card_id']}")).status_code == 204
    assert (await control.get("/phones/kim/cards")).json() == []


async def test_control_api_refuses_a_card_it_cannot_add(pushsim: Simulation, control):
    """An unknown card or a bad body is a 4xx in the documented error shape."""
    await control.post("/phones", json={"platform": "ios", "phone_id": "lee"})
    unknown = await control.post("/phones/lee/cards", json={"card_id": "nope"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == 422
    # Ids that named another of the sender's routes (its stats; "a" once "?b" became a query).
    for card_id in ("stats", "a?b", "../cards"):
        other = await control.post("/phones/lee/cards", json={"card_id": card_id})
        assert other.status_code == 422, (card_id, other.text)
    asked = await control.post("/phones/lee/cards", json={"card_id": "a?b"})
    assert "unknown card: a?b" in asked.json()["error"]["message"]
    missing = await control.patch("/phones/lee/cards/nope", json={"notifications": False})
    assert missing.status_code == 404 and "no pass" in missing.json()["error"]["message"]
    bad = await control.post("/cards", json={"user_id": "lee", "platform": "blackberry"})
    assert bad.status_code == 422


async def test_automatic_updates_off_unregisters_and_on_catches_up(pushsim: Simulation):
    """Automatic Updates off: the registration is removed and a change is not fetched; on
    again: Wallet registers and fetches what changed meanwhile (§2, S24)."""
    phone = pushsim.add_iphone()
    card = await pushsim.issue_card("ann", points=1)
    await pushsim.add_card(phone, card)
    await pushsim.set_card_automatic_updates(phone, card["card_id"], False)
    assert (await pushsim.card(card["card_id"]))["devices"] == []
    update = await pushsim.change_card(card["card_id"], points=2)
    assert update["outcomes"] == []
    pass_type = pushsim.apple_wallet.pass_type_id
    assert phone.wallet.get(pass_type, card["card_id"]).fields["points"] == 1

    await pushsim.set_card_automatic_updates(phone, card["card_id"], True)
    assert phone.wallet.get(pass_type, card["card_id"]).fields["points"] == 2
    assert len((await pushsim.card(card["card_id"]))["devices"]) == 1


async def test_an_offline_phone_catches_up_when_back_online(pushsim: Simulation):
    """APNs keeps the pass push while the phone is offline (one per topic); back online, Wallet
    asks what changed and shows the latest points (§2, devices.md §1.6)."""
    phone = pushsim.add_iphone()
    card = await pushsim.issue_card("bo", points=1)
    await pushsim.add_card(phone, card)
    phone.go_offline()
    for points in (5, 9):
        update = await pushsim.change_card(card["card_id"], points=points)
        assert update["outcomes"][0]["status"] == 200  # APNs accepts and stores
    pass_type = pushsim.apple_wallet.pass_type_id
    assert phone.wallet.get(pass_type, card["card_id"]).fields["points"] == 1
    phone.go_online()
    await pushsim.settle()
    assert phone.wallet.get(pass_type, card["card_id"]).fields["points"] == 9
    shown = await pushsim.expect("NotificationDisplayed", notification=card["card_id"])
    assert shown.body == "You now have 9 points"


async def test_wallet_retries_an_unreachable_web_service_on_the_simulation_clock(
    pushsim: Simulation,
) -> None:
    """A pass whose web service does not answer: Wallet registers again after 10 s, then 20 s
    of the simulation's clock (advanced, not waited for), then gives up and logs it."""
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/passkit"
    signer = pushsim.apple_wallet.credentials.signer
    card = store_card(
        url=url, passTypeIdentifier=signer.pass_type_id, teamIdentifier=signer.team_id
    )
    iphone = pushsim.add_iphone()
    assert iphone.wallet.add(build_pkpass(card, signer)) is not None
    first = await pushsim.expect("WalletRequestRetried", phone=iphone.phone_id, attempt=1)
    assert (first.method, first.status, first.delay) == ("POST", 0, 10.0)
    pushsim.advance(10)
    second = await pushsim.expect("WalletRequestRetried", phone=iphone.phone_id, attempt=2)
    assert second.delay == 20.0
    pushsim.advance(20)
    await pushsim.expect("WalletRequestRetried", phone=iphone.phone_id, attempt=3)
    pushsim.advance(40)
    logged = await pushsim.expect("WalletLogged", phone=iphone.phone_id)
    assert "Register task" in logged.message


async def test_a_simulation_stops_at_once_while_a_pass_registers(
    state_dir: Path, capfd: pytest.CaptureFixture[str]
):
    """A pass added just before the simulation stops is still registering with the web
    service: stop lets that request be answered first, instead of cutting it off and waiting
    for the sender's graceful shutdown or the request's HTTP timeout (30 s)."""
    sim = Simulation(state_dir=state_dir)
    await sim.start()
    phone = sim.add_iphone()
    card = await sim.issue_card("ann", platform="ios")
    pkpass = (await sim.sender_api.get(card["add_url"])).content
    assert phone.wallet.add(pkpass) is not None
    await asyncio.sleep(0)  # one turn of the loop: the registration request is on its way
    await asyncio.wait_for(sim.stop(), 10)
    registered = sim.timeline.events("PassRegistered", phone=phone.phone_id)
    assert [event.pass_id for event in registered] == [card["card_id"]]
    # uvicorn's words when it had to cut off a connection still open at shutdown
    assert "timeout graceful shutdown exceeded" not in capfd.readouterr().err
