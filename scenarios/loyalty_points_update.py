"""Loyalty points update: the card on the phone follows the points and says so on the lock screen.

The shop issues Alice a loyalty card and she adds it to Wallet on her iPhone from the download
link: Wallet checks the pass's manifest and signature, then registers it with the shop's PassKit
web service (reference/wallet.md §1-§2). Her points go from 100 to 150: the sender pushes an empty
notification on the pass type topic through APNs (production, certificate auth, §4), Wallet asks
what changed, fetches the pass, and shows the field's change message with the new value. When
the points and the tier change together, one generic message is shown instead (§2).
"""

from __future__ import annotations

from simulator import Simulation


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone()
    card = await sim.issue_card("alice", platform="ios", points=100, tier="Silver")
    held = await sim.add_card(iphone, card)
    assert held is not None and held.registered, f"Wallet did not take the card: {held}"
    await sim.expect("PassRegistered", phone=iphone.phone_id, status=201)

    update = await sim.change_card(card["card_id"], points=150)
    outcomes = [(o["outcome"], o["status"]) for o in update["outcomes"]]
    assert outcomes == [("accepted", 200)], f"the pass push was answered {outcomes}"
    shown = await sim.expect("NotificationDisplayed", notification=card["card_id"])
    assert shown.body == "You now have 150 points", shown.body
    points = iphone.wallet.get(held.pass_type_id, held.serial_number).fields["points"]
    assert points == 150, f"the pass shows {points} points"

    await sim.change_card(card["card_id"], points=400, tier="Gold")
    generic = await sim.expect(
        "NotificationDisplayed", notification=card["card_id"], body="Store card changed"
    )
    assert generic.title == "pushsim Rewards", generic.title
