"""Loyalty points update: the card follows the points on an iPhone and on an Android phone.

The shop issues Alice a loyalty card for each of her phones. On the iPhone she adds it to Apple
Wallet from the download link: Wallet checks the pass's manifest and signature, then registers it
with the shop's PassKit web service (reference/wallet.md §1-§2). On the Android phone she saves it
to Google Wallet from its "Save to Google Wallet" link (§8). Her points go from 100 to 150. Apple:
the sender pushes an empty notification on the pass type topic through APNs (production,
certificate auth, §4), Wallet asks what changed, fetches the pass and shows the field's change
message with the new value. Google: the sender PATCHes the loyalty object with NOTIFY_ON_UPDATE
(§7) and Google Wallet shows the new balance. When points and tier change together, Apple Wallet
shows one generic message (§2).
"""

from __future__ import annotations

from simulator import Simulation

NEEDS = {"pushsim_sender": "pushsim's sender issues the cards and serves the PassKit web service"}


async def scenario(sim: Simulation) -> None:
    iphone, android = sim.add_iphone(), sim.add_android()
    apple = await sim.issue_card("alice", platform="ios", points=100, tier="Silver")
    google = await sim.issue_card("alice", platform="android", points=100, tier="Silver")
    held = await sim.add_card(iphone, apple)
    assert held is not None and held.registered, f"Apple Wallet did not take the card: {held}"
    assert await sim.add_card(android, google) is not None, "Google Wallet did not save the card"
    await sim.expect("PassRegistered", phone=iphone.phone_id, status=201)

    for card in (apple, google):
        update = await sim.change_card(card["card_id"], points=150)
        outcomes = [(o["outcome"], o["status"]) for o in update["outcomes"]]
        assert outcomes == [("accepted", 200)], f"{card['platform']}: answered {outcomes}"
    shown = await sim.expect("NotificationDisplayed", notification=apple["card_id"])
    assert shown.body == "You now have 150 points", shown.body
    points = iphone.wallet.get(held.pass_type_id, held.serial_number).fields["points"]
    assert points == 150, f"the Apple pass shows {points} points"
    on_android = await sim.expect("NotificationDisplayed", phone=android.phone_id)
    assert "150" in (on_android.body or ""), on_android.body
    assert android.passes()[0].points == 150, android.passes()[0].points

    await sim.change_card(apple["card_id"], points=400, tier="Gold")
    generic = await sim.expect(
        "NotificationDisplayed", notification=apple["card_id"], body="Store card changed"
    )
    assert generic.title == "pushsim Rewards", generic.title
