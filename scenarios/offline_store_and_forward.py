"""Offline phones: APNs keeps one push per app, FCM replaces by collapse key, TTL 0 is now or never.

Jo's iPhone and Android phone are offline on a flight. The sender keeps sending:
- APNs stores only one notification per app for an offline device, the newest
  (reference/devices.md §1.6): of three, only the last arrives on landing;
- a push with ``apns-expiration: 0`` (TTL 0) is tried once and never stored;
- FCM keeps non-collapsible messages, but one with a collapse key replaces the one stored before
  with the same key (reference/fcm.md §0.13); a TTL-0 message is "now or never" there too.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation

NEEDS = {"pushsim_sender": "it reads the sender's per-device outcomes, TTLs and collapse keys"}


async def scenario(sim: Simulation) -> None:
    iphone, android = sim.add_iphone(), sim.add_android()
    for phone in (iphone, android):
        phone.install(DEFAULT_APP_ID, user_id="jo", answer="allow")
        phone.background(DEFAULT_APP_ID)
        phone.go_offline()

    sent = []
    # One at a time: neither provider promises to keep the order of concurrent sends.
    for title, options in [
        *((f"Score {n}-0", {"collapse_key": "score"}) for n in (1, 2, 3)),
        ("Breaking news", {}),
        ("Flash deal: 5 minutes left", {"ttl": 0}),
    ]:
        sent.append(await sim.notify("jo", title=title, **options))
        outcome = await sim.notification(sent[-1])
        assert {d["http_status"] for d in outcome["deliveries"]} == {200}, outcome
    flash = sent[-1]

    await sim.expect("NotificationDiscarded", notification=flash, phone=iphone.phone_id)
    await sim.expect("NotificationDiscarded", notification=flash, phone=android.phone_id)

    for phone in (iphone, android):
        phone.go_online()

    # iPhone: one stored notification per app, the newest.
    shown_ios = [
        e.title for e in sim.timeline.events("NotificationDisplayed", phone=iphone.phone_id)
    ]
    assert shown_ios == ["Breaking news"], f"APNs stores one per app: {shown_ios}"
    # Android: the collapsed score (the last one) and the news; never the TTL-0 flash deal.
    shown_android = sorted(
        e.title for e in sim.timeline.events("NotificationDisplayed", phone=android.phone_id)
    )
    assert shown_android == ["Breaking news", "Score 3-0"], f"FCM delivered {shown_android}"
    sim.expect_no("NotificationDisplayed", notification=flash)
