"""The whole chain through the pushsim fixture: phones, fakes and sender on real sockets."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import DEFAULT_APP_ID, Simulation, SimulationError

APP = DEFAULT_APP_ID


async def test_tap_is_reported_to_the_sender(pushsim: Simulation):
    """Tapping a shown notification makes the app report "opened", which the sender records."""
    phone = pushsim.add_iphone()
    phone.install(APP, user_id="alice")
    nid = await pushsim.notify("alice", title="Hello")
    shown = await pushsim.wait_for("NotificationDisplayed", notification=nid)
    phone.tap(shown.entry_id)
    recorded = await pushsim.wait_for("EngagementRecorded", notification=nid)
    assert (recorded.event, recorded.token) == ("opened", shown.token)


@pytest.mark.parametrize("platform", ["ios", "android"])
async def test_data_push_reaches_the_app_not_the_tray(pushsim: Simulation, platform: str):
    """A data notification is handed to the app's code with its data, and shows nothing."""
    phone = pushsim.add_iphone() if platform == "ios" else pushsim.add_android()
    phone.install(APP, user_id="carol", answer="deny")
    nid = await pushsim.notify("carol", kind="data", data={"sync": "inbox"})
    received = await pushsim.wait_for("DataPushReceived", notification=nid)
    assert received.data["sync"] == "inbox"
    assert phone.notifications() == []


@pytest.mark.parametrize("platform", ["ios", "android"])
async def test_offline_phone_gets_the_stored_push_when_back_online(
    pushsim: Simulation, platform: str
):
    """The provider stores a push for an offline phone and delivers it on reconnect."""
    phone = pushsim.add_iphone() if platform == "ios" else pushsim.add_android()
    phone.install(APP, user_id="dan")
    phone.go_offline()
    nid = await pushsim.notify("dan", title="While you were away")
    await pushsim.wait_for("NotificationStored", notification=nid)
    assert not pushsim.timeline.events("NotificationDisplayed", notification=nid)
    phone.go_online()
    delivered = await pushsim.wait_for("NotificationDelivered", notification=nid)
    assert delivered.from_storage
    await pushsim.wait_for("NotificationDisplayed", notification=nid, phone=phone.phone_id)


async def test_one_notification_can_be_followed_across_packages(pushsim: Simulation):
    """The sender's id links its request, the provider's acceptance and the phone's display."""
    pushsim.add_android().install(APP, user_id="erin")
    nid = await pushsim.notify("erin", title="Follow me")
    await pushsim.wait_for("PushSent", notification=nid)
    await pushsim.wait_for("NotificationDisplayed", notification=nid)
    kinds = {type(e).__name__ for e in pushsim.timeline.events(notification=nid)}
    assert {
        "NotificationRequested",
        "NotificationAccepted",
        "NotificationDelivered",
        "NotificationDisplayed",
        "PushSent",
    } <= kinds


async def test_endpoints_describe_the_running_fakes(pushsim: Simulation):
    """endpoints has the shape of endpoints.json, with loopback URLs and existing files."""
    endpoints = pushsim.endpoints
    assert endpoints["apns"]["url"].startswith("https://127.0.0.1:")
    assert endpoints["fcm"]["url"].startswith("https://127.0.0.1:")
    assert endpoints["sender"]["url"].startswith("http://127.0.0.1:")
    assert len(endpoints["apns"]["team_id"]) == len(endpoints["apns"]["key_id"]) == 10
    for path in (
        endpoints["ca_cert"],
        endpoints["apns"]["key_path"],
        endpoints["fcm"]["service_account_path"],
    ):
        assert Path(path).stat().st_size > 0


async def test_two_simulations_run_side_by_side(pushsim: Simulation, pushsim_state_dir):
    """Simulations share nothing but the state directory: phones and timelines stay apart."""
    async with Simulation(state_dir=pushsim_state_dir) as other:
        assert other.apns.url != pushsim.apns.url
        pushsim.add_iphone().install(APP, user_id="fay")
        nid = await pushsim.notify("fay", title="Only here")
        await pushsim.wait_for("NotificationDisplayed", notification=nid)
        assert other.timeline.events("NotificationDisplayed") == []


async def test_misuse_raises_simulation_errors(pushsim_state_dir):
    """Using a simulation before start, or naming a phone twice, raises SimulationError."""
    sim = Simulation(state_dir=pushsim_state_dir)
    with pytest.raises(SimulationError, match="start the simulation first"):
        sim.add_iphone()
    async with sim:
        sim.add_iphone("mine")
        with pytest.raises(SimulationError, match="already exists"):
            sim.add_android("mine")
        with pytest.raises(SimulationError, match="no phone 'nobody'"):
            sim.phone("nobody")


async def test_sending_done_waits_for_pushsims_sender_to_finish(pushsim: Simulation):
    """With pushsim's own sender, sending_done() returns once every notification given to it is
    done (every device's answer recorded), not after a guessed quiet spell."""
    pushsim.add_iphone().install(APP, user_id="dora")
    pushsim.add_android().install(APP, user_id="dora")
    first = await pushsim.notify("dora", title="One")
    second = await pushsim.notify("dora", title="Two")
    await pushsim.sending_done()
    for notification_id in (first, second):
        response = await pushsim.sender_api.get(f"/v1/notifications/{notification_id}")
        assert response.json()["status"] == "done"


async def test_phones_are_numbered_per_kind_and_a_removed_name_is_not_given_again(
    pushsim: Simulation,
):
    """add_iphone()/add_android() name phones iphone-1, iphone-2…, android-1…, skipping a name
    taken by hand; a removed phone's name goes to no later phone (its events stay its own)."""
    pushsim.add_iphone("iphone-2")
    names = [pushsim.add_iphone().phone_id, pushsim.add_android().phone_id]
    names.append(pushsim.add_iphone().phone_id)
    assert names == ["iphone-1", "android-1", "iphone-3"]
    pushsim.remove_phone("iphone-3")
    assert pushsim.add_iphone().phone_id == "iphone-4"
