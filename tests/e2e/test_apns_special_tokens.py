"""Special tokens over real TLS + HTTP/2 and the control API: VoIP and Live Activity pushes need
the app's token of their kind, and the phone treats each kind as iOS does."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from simulator import DEFAULT_APP_ID, Simulation

LA_TOPIC = f"{DEFAULT_APP_ID}.push-type.liveactivity"


@pytest.fixture
async def apns(pushsim: Simulation) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP/2 client of the sandbox fake, signing with the simulation's key."""
    context = ssl.create_default_context(cafile=str(pushsim.ca.cert_path))
    jwt = pushsim.apns_credentials.key.provider_token(int(time.time()))
    async with httpx.AsyncClient(
        http2=True,
        verify=context,
        base_url=pushsim.apns.url,
        headers={"authorization": f"bearer {jwt}"},
        timeout=10,
    ) as client:
        yield client


async def _send(
    client: httpx.AsyncClient, token: str, topic: str, push_type: str, aps: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/3/device/{token}",
        headers={"apns-topic": topic, "apns-push-type": push_type},
        content=json.dumps({"aps": aps, "call_id": "c-1"}).encode(),
    )


async def _install(control: httpx.AsyncClient, *capabilities: str) -> dict[str, Any]:
    await control.post("/phones", json={"platform": "ios", "phone_id": "ios-1"})
    response = await control.post(
        "/phones/ios-1/apps",
        json={"app_id": DEFAULT_APP_ID, "user_id": "u", "capabilities": list(capabilities)},
    )
    assert response.status_code == 201, response.text
    (app,) = response.json()["apps"]
    return dict(app)


async def test_voip_needs_the_voip_token(
    pushsim: Simulation, apns: httpx.AsyncClient, control: httpx.AsyncClient
):
    """A VoIP push to the notification token is 400 DeviceTokenNotForTopic; to the VoIP token
    from the control API it is accepted, and the phone hands it to the app as a call."""
    app = await _install(control, "voip")
    topic = f"{DEFAULT_APP_ID}.voip"
    refused = await _send(apns, app["token"], topic, "voip", {})
    assert (refused.status_code, refused.json()) == (400, {"reason": "DeviceTokenNotForTopic"})
    accepted = await _send(apns, app["special_tokens"]["voip"], topic, "voip", {})
    assert accepted.status_code == 200
    received = await pushsim.expect("VoipPushReceived", phone="ios-1")
    assert received.reported_call and received.data == {"call_id": "c-1"}
    pushsim.expect_no("NotificationDisplayed", phone="ios-1")


async def test_voip_token_is_refused_for_alerts(
    apns: httpx.AsyncClient, control: httpx.AsyncClient
):
    """An alert sent to the VoIP token is refused: that token serves only .voip."""
    app = await _install(control, "voip")
    response = await _send(apns, app["special_tokens"]["voip"], DEFAULT_APP_ID, "alert", {})
    assert response.json() == {"reason": "DeviceTokenNotForTopic"}


async def test_unreported_voip_pushes_terminate_the_app_then_stop(
    pushsim: Simulation, apns: httpx.AsyncClient, control: httpx.AsyncClient
):
    """With CallKit reporting off (PUT …/callkit), each VoIP push terminates the app; after
    three, iOS stops delivering them, and the phone's JSON says so."""
    app = await _install(control, "voip")
    put = await control.put(
        f"/phones/ios-1/apps/{DEFAULT_APP_ID}/callkit", json={"reports_calls": False}
    )
    assert put.status_code == 200, put.text
    for _ in range(3):
        response = await _send(
            apns, app["special_tokens"]["voip"], f"{DEFAULT_APP_ID}.voip", "voip", {}
        )
        assert response.status_code == 200, "APNs accepts: the phone decides"
    await pushsim.expect("AppTerminated", phone="ios-1")
    await pushsim.expect("VoipPushesStopped", phone="ios-1")
    (phone_app,) = (await control.get("/phones/ios-1")).json()["apps"]
    assert phone_app["voip_stopped"] is True


async def test_live_activity_started_by_push_follows_its_updates(
    pushsim: Simulation, apns: httpx.AsyncClient, control: httpx.AsyncClient
):
    """push-to-start starts an activity; its own token (from the control API) updates it; the
    lock screen list shows the new content state."""
    app = await _install(control, "liveactivity")
    start = {
        "event": "start",
        "timestamp": int(time.time()),
        "attributes-type": "Delivery",
        "attributes": {"order": "42"},
        "content-state": {"eta": 15},
        "alert": {"title": "On its way"},
    }
    started = await _send(
        apns, app["special_tokens"]["pushtostart"], LA_TOPIC, "liveactivity", start
    )
    assert started.status_code == 200, started.text
    await pushsim.expect("LiveActivityChanged", phone="ios-1", change="started")
    path = f"/phones/ios-1/apps/{DEFAULT_APP_ID}/live-activities"
    (activity,) = (await control.get(path)).json()
    update = {"event": "update", "timestamp": int(time.time()) + 1, "content-state": {"eta": 5}}
    assert (
        await _send(apns, activity["token"], LA_TOPIC, "liveactivity", update)
    ).status_code == 200
    wrong = await _send(apns, app["token"], LA_TOPIC, "liveactivity", update)
    assert wrong.json() == {"reason": "DeviceTokenNotForTopic"}
    (shown,) = (await control.get(path)).json()
    assert (shown["content_state"], shown["state"]) == ({"eta": 5}, "active")


async def test_control_api_starts_and_ends_a_live_activity(control: httpx.AsyncClient):
    """POST …/live-activities starts one (201, with its token); …/end ends it; an unknown
    activity is a 404, an app without the capability a 409."""
    await _install(control, "liveactivity")
    path = f"/phones/ios-1/apps/{DEFAULT_APP_ID}/live-activities"
    created = await control.post(
        path, json={"attributes_type": "Match", "content_state": {"score": "0-0"}}
    )
    assert created.status_code == 201, created.text
    activity = created.json()
    assert len(activity["token"]) == 64 and activity["state"] == "active"
    ended = await control.post(f"{path}/{activity['activity_id']}/end", json={})
    assert ended.json()["state"] == "ended"
    missing = await control.post(f"{path}/nope/end", json={})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]
    await control.post("/phones", json={"platform": "ios", "phone_id": "ios-2"})
    await control.post("/phones/ios-2/apps", json={"app_id": DEFAULT_APP_ID, "user_id": "v"})
    refused = await control.post(
        f"/phones/ios-2/apps/{DEFAULT_APP_ID}/live-activities", json={"attributes_type": "M"}
    )
    assert refused.status_code == 409 and "capability" in refused.json()["error"]["message"]
