"""Loyalty card removed: deleting the pass unregisters it, and later changes reach nobody.

Carol adds her card to Wallet on her iPhone, then deletes it. Wallet sends the DELETE to the web
service (reference/wallet.md §2), the sender forgets the device, and the next points change is
pushed to no one: the card's update shows no device outcome and the phone shows nothing.
"""

from __future__ import annotations

from simulator import Simulation

NEEDS = {"pushsim_sender": "pushsim's sender issues the cards and serves the PassKit web service"}


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone()
    card = await sim.issue_card("carol", platform="ios", points=5)
    assert await sim.add_card(iphone, card) is not None, "Wallet refused the card"
    assert len((await sim.card(card["card_id"]))["devices"]) == 1

    await sim.remove_card(iphone, card["card_id"])
    await sim.expect("PassDeviceUnregistered", card_id=card["card_id"], reason="device")
    devices = (await sim.card(card["card_id"]))["devices"]
    assert devices == [], f"still registered: {devices}"

    update = await sim.change_card(card["card_id"], points=55)
    assert update["outcomes"] == [], f"pushed after removal: {update['outcomes']}"
    sim.expect_no("NotificationDisplayed", notification=card["card_id"])
