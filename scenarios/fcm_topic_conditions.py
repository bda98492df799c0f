"""FCM topics and conditions: one message from the sender, fanned out by FCM to the subscribers.

Three Android phones subscribe to topics: Lea to news and sport, Max to news and tv, Noa to
sport only. A broadcast to the topic ``news`` reaches Lea and Max. A message with the condition
``'news' in topics && ('sport' in topics || 'tv' in topics)`` (reference/fcm.md §1.3: parentheses
first, at most five topics) reaches Lea and Max but not Noa; ``'sport' in topics`` alone reaches
Lea and Noa. Each is one request from the sender; FCM does the fan-out.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation

NEEDS = {"pushsim_sender": "it sends to FCM conditions and reads the sender's outcome of each"}

SUBSCRIPTIONS = {"lea": ("news", "sport"), "max": ("news", "tv"), "noa": ("sport",)}


async def scenario(sim: Simulation) -> None:
    phones = {}
    for user, topics in SUBSCRIPTIONS.items():
        phone = phones[user] = sim.add_android(f"{user}-pixel")
        phone.install(DEFAULT_APP_ID, user_id=user, answer="allow")
        phone.background(DEFAULT_APP_ID)
        for topic in topics:
            sim.subscribe(phone, topic)

    async def reached(title: str, **target: str) -> set[str]:
        notification_id = await sim.notify(title=title, **target)
        (outcome,) = (await sim.notification(notification_id))["deliveries"]
        assert outcome["http_status"] == 200, outcome
        expected = {u for u, topics in SUBSCRIPTIONS.items() if _matches(target, topics)}
        for user in expected:
            await sim.expect(
                "NotificationDisplayed", notification=notification_id, phone=f"{user}-pixel"
            )
        shown = sim.timeline.events("NotificationDisplayed", notification=notification_id)
        return {e.phone_id.removesuffix("-pixel") for e in shown}

    assert await reached("Election results", topic="news") == {"lea", "max"}
    both = "'news' in topics && ('sport' in topics || 'tv' in topics)"
    assert await reached("Sports on TV tonight", condition=both) == {"lea", "max"}
    assert await reached("Match day", condition="'sport' in topics") == {"lea", "noa"}


def _matches(target: dict[str, str], topics: tuple[str, ...]) -> bool:
    """The reference model of who should get it, written out for this story's three targets."""
    if "topic" in target:
        return target["topic"] in topics
    if "&&" in target["condition"]:
        return "news" in topics and ("sport" in topics or "tv" in topics)
    return "sport" in topics
