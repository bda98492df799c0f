"""Google Wallet's notification quota: three notifying changes per pass per day, then 403.

Alice saves her Coffee Club card from a "Save to Google Wallet" link on her Android phone. The
issuer tells her about her points twice (updates sent with NOTIFY_ON_UPDATE) and once with a
TEXT_AND_NOTIFY message: her phone shows all three. A fourth notifying message the same day is
refused by the Wallet API with 403 quotaExceeded (reference/wallet.md §7); the issuer sends it as
a plain TEXT message instead, which lands on the back of the pass without a notification. A day
later the quota has rolled over and a notifying message is shown again.
"""

from __future__ import annotations

from simulator import Simulation, WalletApiError

DAY = 86_400


async def scenario(sim: Simulation) -> None:
    wallet = sim.google_wallet_client
    await wallet.ensure_class(
        "coffee-club",
        issuer_name="Coffee House",
        program_name="Coffee Club",
        program_logo_uri="https://coffee.example/logo.png",
    )
    await wallet.insert_object(
        {
            "id": wallet.resource_id("alice"),
            "classId": wallet.resource_id("coffee-club"),
            "state": "ACTIVE",
            "accountId": "alice",
            "loyaltyPoints": {"label": "Stars", "balance": {"int": 10}},
        }
    )
    phone = sim.add_android()
    (card,) = phone.save_pass(wallet.save_link(["alice"]))

    for stars in (20, 30):
        await wallet.patch_object(
            "alice", {"loyaltyPoints": {"balance": {"int": stars}}}, notify=True
        )
    await wallet.add_message("alice", header="Free refill", body="Today only", notify=True)
    shown = [(n.title, n.body) for n in phone.notifications()]
    assert shown == [
        ("Coffee Club", "Stars: 20"),
        ("Coffee Club", "Stars: 30"),
        ("Free refill", "Today only"),
    ], shown

    try:
        await wallet.add_message("alice", header="Last call", body="Closing at 6", notify=True)
    except WalletApiError as refused:
        assert refused.status == 403 and refused.quota_exceeded, refused
    else:
        raise AssertionError("a fourth notifying message in a day was accepted")
    await sim.expect("WalletQuotaExceeded", object_id=card.object_id)

    await wallet.add_message("alice", header="Last call", body="Closing at 6", notify=False)
    assert len(phone.notifications()) == 3, phone.notifications()
    assert phone.passes()[0].messages[-1]["header"] == "Last call"

    sim.advance(DAY)
    await wallet.add_message("alice", header="New day", body="Double stars", notify=True)
    assert phone.notifications()[-1].title == "New day"
