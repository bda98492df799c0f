"""Loyalty card with notifications off: the card updates silently.

Bob adds his loyalty card to Wallet and turns off "Allow Notifications" in the pass's details.
His points change: APNs still accepts the pass push, Wallet still fetches the new pass and the card
shows the new points, but nothing appears on the lock screen (reference/wallet.md §2).
"""

from __future__ import annotations

from simulator import Simulation


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone()
    card = await sim.issue_card("bob", platform="ios", points=20)
    held = await sim.add_card(iphone, card)
    assert held is not None, "Wallet refused the card"
    await sim.set_card_notifications(iphone, card["card_id"], False)

    update = await sim.change_card(card["card_id"], points=70)
    assert [o["status"] for o in update["outcomes"]] == [200], update["outcomes"]
    await sim.expect("PassUpdated", phone=iphone.phone_id, pass_id=card["card_id"])
    quiet = await sim.expect("NotificationSuppressed", notification=card["card_id"])
    assert "Allow Notifications is off" in quiet.reason, quiet.reason
    sim.expect_no("NotificationDisplayed", notification=card["card_id"])
    points = iphone.wallet.get(held.pass_type_id, held.serial_number).fields["points"]
    assert points == 70, f"the pass shows {points} points"
