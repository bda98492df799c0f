"""A campaign with engagement: everyone is notified, some users tap, and the open rate adds up.

Twenty users, ten on iPhones and ten on Android phones, get the spring-sale campaign (target:
everyone). Simulated users react as a seeded behaviour model says: half tap the notification within
a minute, a fifth swipe it away, the rest ignore it. Taps open the app, which reports "opened" to
the sender; swipes are not reported (neither platform tells the app by default, reference/
devices.md §1.9). The sender's stats count every acceptance and every open, and the open rate is
opened / accepted.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Delay, Simulation, UserBehaviour

NEEDS = {"pushsim_sender": "it checks the sender's open rate (GET /v1/stats)"}

USERS = 20


async def scenario(sim: Simulation) -> None:
    for n in range(USERS):
        phone = sim.add_iphone() if n % 2 == 0 else sim.add_android()
        phone.install(DEFAULT_APP_ID, user_id=f"shopper-{n}", answer="allow")
        phone.background(DEFAULT_APP_ID)
    behaviour = UserBehaviour(
        tap=0.5, dismiss=0.2, tap_delay=Delay.uniform(1, 60), dismiss_delay=Delay.fixed(5), seed=7
    )
    sim.simulate_users(behaviour)

    campaign = await sim.notify(everyone=True, title="Spring sale", body="Everything 20% off")
    outcome = await sim.notification(campaign)
    assert len(outcome["deliveries"]) == USERS
    assert {d["http_status"] for d in outcome["deliveries"]} == {200}
    shown = []
    for phone in sim.phones:
        shown.append(
            await sim.expect("NotificationDisplayed", notification=campaign, phone=phone.phone_id)
        )
    taps = [e for e in shown if behaviour.react(e).action == "tap"]
    assert 0 < len(taps) < USERS, "the seeded model makes some, not all, users tap"

    sim.advance(61)  # every reaction is due within a minute
    for event in taps:
        await sim.expect(
            "EngagementRecorded", notification=campaign, token=event.token, event="opened"
        )

    stats = await sim.stats(campaign)
    assert stats["accepted"] == USERS, stats
    assert stats["opened"] == len(taps), stats
    assert abs(stats["open_rate"] - len(taps) / USERS) < 1e-9, stats
    dismissed = sim.timeline.events("NotificationDismissed", notification=campaign)
    assert dismissed and stats["dismissed"] == 0, "swipes happen but no app reports them"
