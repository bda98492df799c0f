"""Provider credentials age: the sender renews its APNs JWT and its FCM access token.

APNs refuses a provider token (JWT) whose ``iat`` is more than an hour old with 403
``ExpiredProviderToken``; an FCM OAuth access token expires after 3599 s (reference/apns.md §3.1,
fcm.md §3). Two quiet hours pass on the clock. For APNs the sender notices the age itself and signs
a new JWT before sending, so Apple never sees an expired one. For FCM it cannot know (google-auth
judges expiry by the wall clock): the fake answers 401 ``ACCESS_TOKEN_EXPIRED``, the sender fetches
a new access token and resends. Both notifications are shown.
"""

from __future__ import annotations

import base64
import json

from simulator import DEFAULT_APP_ID, Simulation

NEEDS = {
    "pushsim_sender": "it checks a sender on the simulation's clock renews its JWT before Apple refuses it; an outside sender lives real time (docs/time.md)"
}

HOUR = 3600.0


async def scenario(sim: Simulation) -> None:
    iphone, android = sim.add_iphone(), sim.add_android()
    for phone in (iphone, android):
        phone.install(DEFAULT_APP_ID, user_id="pia", answer="allow")
        phone.background(DEFAULT_APP_ID)

    morning = await sim.notify("pia", title="Good morning")
    for phone in (iphone, android):
        await sim.expect("NotificationDisplayed", notification=morning, phone=phone.phone_id)
    first_iats = _jwt_iats(sim)
    grants = sim.fcm.request_log.count(kind="token", status=200)

    sim.advance(2 * HOUR)
    afternoon = await sim.notify("pia", title="Good afternoon")
    for phone in (iphone, android):
        await sim.expect("NotificationDisplayed", notification=afternoon, phone=phone.phone_id)

    iats = _jwt_iats(sim)
    assert iats[-1] >= first_iats[-1] + 2 * HOUR - 60, f"the sender signed a new JWT: {iats}"
    expired = [e for e in sim.apns.request_log if e.reason == "ExpiredProviderToken"]
    assert not expired, f"APNs never saw an expired JWT: {expired}"

    assert sim.fcm.request_log.count(kind="send", status=401) >= 1, "FCM said the token expired"
    assert sim.fcm.request_log.count(kind="token", status=200) == grants + 1, "one new token"


def _jwt_iats(sim: Simulation) -> list[int]:
    """The ``iat`` of the provider token on every APNs request, read from its JWT claims."""
    iats = []
    for entry in sim.apns.request_log:
        for name, value in entry.headers:
            if name == "authorization":
                claims = value.split(" ", 1)[1].split(".")[1]
                claims += "=" * (-len(claims) % 4)
                iats.append(int(json.loads(base64.urlsafe_b64decode(claims))["iat"]))
    return iats
