"""Loyalty card with notifications off: the card updates silently, on both phones.

Bob adds his loyalty cards to Apple Wallet and Google Wallet and turns notifications off for each
card (Apple: "Allow Notifications" in the pass's details). His points change. Apple: APNs still
accepts the pass push, Wallet still fetches the new pass; Google: the PATCH is accepted and synced.
Both cards show the new points, and nothing appears on either lock screen (reference/wallet.md
§2, §7).
"""

from __future__ import annotations

from simulator import Simulation

NEEDS = {"pushsim_sender": "pushsim's sender issues the cards and serves the PassKit web service"}


async def scenario(sim: Simulation) -> None:
    iphone, android = sim.add_iphone(), sim.add_android()
    apple = await sim.issue_card("bob", platform="ios", points=20)
    google = await sim.issue_card("bob", platform="android", points=20)
    held = await sim.add_card(iphone, apple)
    assert held is not None, "Apple Wallet refused the card"
    assert await sim.add_card(android, google) is not None, "Google Wallet refused the card"
    for phone, card in ((iphone, apple), (android, google)):
        await sim.set_card_notifications(phone, card["card_id"], False)

    for card in (apple, google):
        update = await sim.change_card(card["card_id"], points=70)
        assert [o["status"] for o in update["outcomes"]] == [200], update["outcomes"]
    await sim.expect("PassUpdated", phone=iphone.phone_id, pass_id=apple["card_id"])
    quiet = await sim.expect("NotificationSuppressed", notification=apple["card_id"])
    assert "Allow Notifications is off" in quiet.reason, quiet.reason
    await sim.expect("NotificationSuppressed", phone=android.phone_id)
    sim.expect_no("NotificationDisplayed")
    points = iphone.wallet.get(held.pass_type_id, held.serial_number).fields["points"]
    assert points == 70, f"the Apple pass shows {points} points"
    assert android.passes()[0].points == 70, android.passes()[0].points
