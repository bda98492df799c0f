"""Both APNs environments in one simulation, over real TLS + HTTP/2 through the CONNECT proxy,
and the control API's token-lifecycle endpoints (reference/apns.md §1.1, reference/devices.md §1.5)."""

from __future__ import annotations

import json
import ssl
import time

import httpx

from simulator import DEFAULT_APP_ID, Simulation

PAYLOAD = json.dumps({"aps": {"alert": {"title": "Hi"}}}).encode()


async def _push(sim: Simulation, host: str, token: str) -> httpx.Response:
    """One alert to ``https://<host>/3/device/<token>`` as a sender with Apple's URLs would send
    it: through the proxy, trusting the local CA, over HTTP/2."""
    context = ssl.create_default_context(cafile=str(sim.ca.cert_path))
    key = sim.apns_credentials.key
    async with httpx.AsyncClient(
        http2=True, verify=context, proxy=sim.proxy.url, timeout=10
    ) as client:
        response = await client.post(
            f"https://{host}/3/device/{token}",
            headers={
                "authorization": f"bearer {key.provider_token(int(time.time()))}",
                "apns-topic": DEFAULT_APP_ID,
                "apns-push-type": "alert",
            },
            content=PAYLOAD,
        )
    assert response.http_version == "HTTP/2"
    return response


async def test_a_development_token_sent_to_production_is_bad_device_token(pushsim: Simulation):
    """A sandbox token sent to api.push.apple.com gets 400 BadDeviceToken, as Apple answers;
    to api.sandbox.push.apple.com it is accepted."""
    phone = pushsim.add_iphone()
    token = str(phone.install(DEFAULT_APP_ID, user_id="dev").token)
    refused = await _push(pushsim, "api.push.apple.com", token)
    assert (refused.status_code, refused.json()) == (400, {"reason": "BadDeviceToken"})
    accepted = await _push(pushsim, "api.sandbox.push.apple.com", token)
    assert accepted.status_code == 200
    await pushsim.expect("NotificationDisplayed", phone=phone.phone_id)


async def test_a_production_build_is_reached_through_the_production_host(pushsim: Simulation):
    """A production build's token works on api.push.apple.com only: the legacy development host
    answers BadDeviceToken."""
    phone = pushsim.add_iphone()
    token = str(phone.install(DEFAULT_APP_ID, user_id="pro", build="production").token)
    refused = await _push(pushsim, "api.development.push.apple.com", token)
    assert (refused.status_code, refused.json()) == (400, {"reason": "BadDeviceToken"})
    accepted = await _push(pushsim, "api.push.apple.com", token)
    assert accepted.status_code == 200 and "apns-unique-id" not in accepted.headers
    shown = await pushsim.expect("NotificationDisplayed", phone=phone.phone_id)
    assert shown.token == token
    (entry,) = pushsim.apns_production.requests(token=token)
    assert entry.status == 200


def test_endpoints_name_both_environments_and_env_exports_them(pushsim: Simulation):
    """endpoints keep "apns" as the sandbox and add "apns_production"; pushsim env exports
    APNS_PRODUCTION_URL next to the sandbox APNS_URL and APNS_ENVIRONMENT."""
    from simulator.up import export_lines

    endpoints = pushsim.endpoints
    assert endpoints["apns"]["environment"] == "sandbox"
    assert endpoints["apns_production"]["environment"] == "production"
    assert endpoints["apns_production"]["url"] == pushsim.apns_production.url
    exports = dict(line.removeprefix("export ").split("=", 1) for line in export_lines(endpoints))
    assert exports["APNS_URL"] == exports["APNS_SANDBOX_URL"] == pushsim.apns.url
    assert exports["APNS_PRODUCTION_URL"] == pushsim.apns_production.url
    assert exports["APNS_ENVIRONMENT"] == "sandbox"


async def test_control_api_installs_a_production_build(
    pushsim: Simulation, control: httpx.AsyncClient
):
    """POST /phones/{id}/apps with build=production gives a production token."""
    await control.post("/phones", json={"platform": "ios", "phone_id": "p"})
    response = await control.post(
        "/phones/p/apps", json={"app_id": DEFAULT_APP_ID, "user_id": "u", "build": "production"}
    )
    assert response.status_code == 201, response.text
    (record,) = (await control.get("/providers/apns/tokens", params={"phone": "p"})).json()
    assert (record["environment"], record["kind"], record["valid"]) == (
        "production",
        "notification",
        True,
    )


async def test_control_api_expires_a_token(pushsim: Simulation, control: httpx.AsyncClient):
    """POST /providers/apns/tokens/{token}/expire: pushes to it get 410 ExpiredToken with an
    integer timestamp; an unknown token is a 404."""
    token = str(pushsim.add_iphone().install(DEFAULT_APP_ID, user_id="x").token)
    expired = await control.post(f"/providers/apns/tokens/{token}/expire")
    assert expired.status_code == 200 and expired.json()["valid"] is False
    answer = await _push(pushsim, "api.sandbox.push.apple.com", token)
    assert answer.status_code == 410
    body = answer.json()
    assert body["reason"] == "ExpiredToken" and isinstance(body["timestamp"], int)
    missing = await control.post("/providers/apns/tokens/abcd/expire")
    assert missing.status_code == 404 and "abcd" in missing.json()["error"]["message"]


async def test_control_api_sets_the_invalidation_delay(
    pushsim: Simulation, control: httpx.AsyncClient
):
    """PATCH /providers/apns/settings changes the uninstall delay: 0 gives 410 on the push after
    the first one that reached the phone; a negative delay is a 422."""
    assert (await control.get("/providers/apns/settings")).json() == {"invalidation_delay": 86400}
    changed = await control.patch("/providers/apns/settings", json={"invalidation_delay": 0})
    assert changed.json() == {"invalidation_delay": 0}
    bad = await control.patch("/providers/apns/settings", json={"invalidation_delay": -1})
    assert bad.status_code == 422
    phone = pushsim.add_iphone()
    token = str(phone.install(DEFAULT_APP_ID, user_id="gone").token)
    phone.uninstall(DEFAULT_APP_ID)
    first = await _push(pushsim, "api.sandbox.push.apple.com", token)
    assert first.status_code == 200, "the push that reaches the phone after the uninstall"
    second = await _push(pushsim, "api.sandbox.push.apple.com", token)
    assert (second.status_code, second.json()["reason"]) == (410, "Unregistered")
