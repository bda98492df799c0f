"""An iPhone's special tokens: VoIP, Live Activities, push-to-talk and location (sans-IO, on a
recording push service and a settable clock)."""

from __future__ import annotations

import pytest

from devices import events as ev
from devices.apps import AppState
from devices.errors import DeviceError
from devices.ios import IosPhone
from devices.ios_activity import ENDED_VISIBLE_SECONDS, MAX_ACTIVE_SECONDS
from tests.devices.fakes import Rig

APP = "com.example.app"
HOUR = 3600.0


def _rig(*capabilities: str, **settings: object) -> Rig:
    rig = Rig(IosPhone, **settings)
    rig.phone.install(APP, user_id="u", capabilities=capabilities)
    return rig


def _of(rig: Rig, kind: type) -> list:
    return [e for e in rig.events if isinstance(e, kind)]


def _push(rig: Rig, token: str, aps: dict, push_id: str = "p1", **extra: object) -> None:
    rig.service.push(rig.phone.phone_id, token, {"aps": aps, **extra}, push_id)


def test_each_capability_gets_its_own_token_at_install():
    """Declared capabilities give tokens separate from the notification token, announced once."""
    rig = _rig("voip", "liveactivity", "pushtotalk", "location")
    app = rig.phone.app(APP)
    special = app.special_tokens  # type: ignore[attr-defined]
    assert set(special) == {"voip", "pushtostart", "pushtotalk", "location"}
    assert app.token not in special.values() and len(set(special.values())) == 4
    rig.phone.launch(APP)
    announced = _of(rig, ev.SpecialTokenReceived)
    assert sorted(e.kind for e in announced) == ["location", "pushtostart", "pushtotalk", "voip"]


def test_an_app_without_capabilities_gets_no_special_token():
    """Without declared capabilities an app only has its notification token."""
    rig = _rig()
    assert rig.phone.app(APP).special_tokens == {}  # type: ignore[attr-defined]
    with pytest.raises(DeviceError, match="capability"):
        rig.phone.install("com.example.other", user_id="u", capabilities=["fax"])


def test_a_production_build_registers_its_tokens_in_production():
    """A production build asks for production tokens, a development build for sandbox ones."""
    rig = Rig(IosPhone)
    dev = rig.phone.install(APP, user_id="u")
    pro = rig.phone.install("com.example.other", user_id="u", build="production")
    assert rig.service.environments[dev.token] == "sandbox"
    assert rig.service.environments[pro.token] == "production"


def test_reported_voip_push_wakes_the_app_and_shows_nothing():
    """A VoIP push the app reports as a call wakes it; nothing goes to the tray."""
    rig = _rig("voip")
    rig.phone.kill(APP)
    _push(rig, rig.phone.app(APP).special_tokens["voip"], {}, caller="ann")  # type: ignore[attr-defined]
    (received,) = _of(rig, ev.VoipPushReceived)
    assert received.reported_call and received.data == {"caller": "ann"}
    assert rig.phone.app(APP).state is AppState.BACKGROUND
    assert rig.phone.notifications() == []


def test_unreported_voip_push_terminates_the_app():
    """A VoIP push the app does not report to CallKit gets the app terminated."""
    rig = _rig("voip")
    rig.phone.set_reports_calls(APP, False)
    _push(rig, rig.phone.app(APP).special_tokens["voip"], {})  # type: ignore[attr-defined]
    (terminated,) = _of(rig, ev.AppTerminated)
    assert "CallKit" in terminated.reason and terminated.push_id == "p1"
    assert rig.phone.app(APP).state is AppState.NOT_RUNNING


def test_repeated_unreported_voip_pushes_stop_voip_delivery():
    """After voip_failure_limit unreported VoIP pushes in a row, later ones are dropped."""
    rig = _rig("voip", voip_failure_limit=2)
    rig.phone.set_reports_calls(APP, False)
    voip = rig.phone.app(APP).special_tokens["voip"]  # type: ignore[attr-defined]
    for n in range(3):
        _push(rig, voip, {}, push_id=f"p{n}")
    (stopped,) = _of(rig, ev.VoipPushesStopped)
    assert stopped.failures == 2
    assert len(_of(rig, ev.VoipPushReceived)) == 2
    (dropped,) = _of(rig, ev.PushDropped)
    assert dropped.push_id == "p2" and "VoIP pushes stopped" in dropped.reason


def test_a_reported_call_resets_the_failure_count():
    """Failures count in a row: a reported call in between starts the count again."""
    rig = _rig("voip", voip_failure_limit=2)
    voip = rig.phone.app(APP).special_tokens["voip"]  # type: ignore[attr-defined]
    for reports in (False, True, False):
        rig.phone.set_reports_calls(APP, reports)
        _push(rig, voip, {})
    assert _of(rig, ev.VoipPushesStopped) == []


def test_push_to_start_starts_a_live_activity_with_its_own_token():
    """event: start on the push-to-start token puts an activity on the lock screen and gives it
    an update token; nothing goes to the tray."""
    rig = _rig("liveactivity")
    start = rig.phone.app(APP).special_tokens["pushtostart"]  # type: ignore[attr-defined]
    aps = {
        "event": "start",
        "timestamp": 1,
        "attributes-type": "Match",
        "attributes": {"home": "A"},
        "content-state": {"score": "0-0"},
        "alert": {"title": "Kick-off"},
    }
    _push(rig, start, aps)
    (activity,) = rig.phone.live_activities(APP)
    assert activity.attributes == {"home": "A"} and activity.content_state == {"score": "0-0"}
    assert activity.token not in (start, rig.phone.app(APP).token)
    (started,) = _of(rig, ev.LiveActivityChanged)
    assert (started.change, started.alert_title, started.push_id) == ("started", "Kick-off", "p1")
    token_event = _of(rig, ev.SpecialTokenReceived)[-1]
    assert (token_event.kind, token_event.activity_id) == ("liveactivity", activity.activity_id)
    assert rig.phone.notifications() == []


def test_push_to_start_token_refuses_updates():
    """An update sent to the push-to-start token is dropped: that token only starts."""
    rig = _rig("liveactivity")
    start = rig.phone.app(APP).special_tokens["pushtostart"]  # type: ignore[attr-defined]
    _push(rig, start, {"event": "update", "timestamp": 1, "content-state": {}})
    assert "only starts" in _of(rig, ev.PushDropped)[0].reason


def _activity(rig: Rig, **kwargs: object):
    return rig.phone.start_live_activity(APP, "Match", {"home": "A"}, {"score": "0-0"}, **kwargs)


def test_update_replaces_content_state_and_relevance():
    """event: update replaces content-state, relevance-score and stale-date."""
    rig = _rig("liveactivity")
    activity = _activity(rig)
    aps = {
        "event": "update",
        "timestamp": 10,
        "content-state": {"score": "1-0"},
        "relevance-score": 75,
    }
    _push(rig, activity.token, aps)
    assert activity.content_state == {"score": "1-0"} and activity.relevance_score == 75
    assert _of(rig, ev.LiveActivityChanged)[-1].change == "updated"


def test_an_older_update_is_ignored():
    """An update whose timestamp is older than the last applied one is dropped."""
    rig = _rig("liveactivity")
    activity = _activity(rig)
    _push(rig, activity.token, {"event": "update", "timestamp": 20, "content-state": {"s": 2}})
    _push(rig, activity.token, {"event": "update", "timestamp": 10, "content-state": {"s": 1}})
    assert activity.content_state == {"s": 2}
    assert "older timestamp" in _of(rig, ev.PushDropped)[0].reason


def test_stale_date_marks_the_activity_stale_at_its_time():
    """Past stale-date the activity shows as stale; the change is filed at the stale date."""
    rig = _rig("liveactivity")
    now = rig.clock.time
    activity = _activity(rig, stale_date=now + HOUR)
    rig.clock.time += 2 * HOUR
    assert activity.state(rig.clock.time) == "stale"
    rig.phone.live_activities()
    rig.phone.live_activities()
    (stale,) = [e for e in _of(rig, ev.LiveActivityChanged) if e.change == "stale"]
    assert stale.at == now + HOUR


def test_an_update_without_stale_date_makes_it_fresh_again():
    """Each update carries its own stale date: one without it is never stale."""
    rig = _rig("liveactivity")
    activity = _activity(rig, stale_date=rig.clock.time + 60)
    rig.clock.time += 120
    _push(rig, activity.token, {"event": "update", "timestamp": 9, "content-state": {}})
    assert activity.state(rig.clock.time) == "active"


def test_end_keeps_it_until_the_dismissal_date():
    """event: end with a dismissal-date keeps it on the lock screen until then, then dismisses
    it and retires its token."""
    rig = _rig("liveactivity")
    activity = _activity(rig)
    now = rig.clock.time
    _push(rig, activity.token, {"event": "end", "timestamp": 5, "dismissal-date": now + 60})
    assert [a.activity_id for a in rig.phone.live_activities()] == [activity.activity_id]
    rig.clock.time += 61
    assert rig.phone.live_activities() == []
    assert _of(rig, ev.LiveActivityChanged)[-1].change == "dismissed"
    assert activity.token in rig.service.unregistered


def test_a_past_dismissal_date_dismisses_at_once():
    """A dismissal-date in the past removes the ended activity at once."""
    rig = _rig("liveactivity")
    activity = _activity(rig)
    _push(rig, activity.token, {"event": "end", "timestamp": 5, "dismissal-date": 1})
    changes = [e.change for e in _of(rig, ev.LiveActivityChanged)]
    assert changes[-2:] == ["ended", "dismissed"] and rig.phone.live_activities() == []


def test_without_dismissal_date_an_ended_activity_stays_four_hours():
    """An activity ended without dismissal-date stays visible for 4 hours."""
    rig = _rig("liveactivity")
    activity = _activity(rig)
    _push(rig, activity.token, {"event": "end", "timestamp": 5})
    rig.clock.time += ENDED_VISIBLE_SECONDS - 1
    assert len(rig.phone.live_activities()) == 1
    rig.clock.time += 1
    assert rig.phone.live_activities() == []


def test_the_system_ends_an_activity_after_eight_hours():
    """An activity still active after 8 hours is ended by the system at that time."""
    rig = _rig("liveactivity")
    activity = _activity(rig)
    started = rig.clock.time
    rig.clock.time += MAX_ACTIVE_SECONDS + 1
    rig.phone.live_activities()
    assert activity.ended_at == started + MAX_ACTIVE_SECONDS


def test_updates_to_an_ended_activity_are_dropped():
    """After event: end, further pushes to the activity's token change nothing."""
    rig = _rig("liveactivity")
    activity = _activity(rig)
    _push(rig, activity.token, {"event": "end", "timestamp": 5})
    _push(rig, activity.token, {"event": "update", "timestamp": 6, "content-state": {"x": 1}})
    assert "has ended" in _of(rig, ev.PushDropped)[-1].reason


def test_most_relevant_activity_comes_first():
    """live_activities() orders by relevance-score, highest first."""
    rig = _rig("liveactivity")
    low = _activity(rig, relevance_score=10)
    high = _activity(rig, relevance_score=90)
    assert [a.activity_id for a in rig.phone.live_activities()] == [
        high.activity_id,
        low.activity_id,
    ]


def test_starting_an_activity_needs_the_capability_and_the_foreground():
    """Activity.request works only for apps with the capability, from the foreground."""
    rig = _rig()
    with pytest.raises(DeviceError, match="liveactivity"):
        _activity(rig)
    rig = _rig("liveactivity")
    rig.phone.background(APP)
    with pytest.raises(DeviceError, match="foreground"):
        _activity(rig)


@pytest.mark.parametrize(
    ("kind", "callback"), [("pushtotalk", "incomingPushResult"), ("location", "LocationPush")]
)
def test_push_to_talk_and_location_pushes_reach_their_handlers(kind: str, callback: str):
    """Push-to-talk and location pushes go to their handlers, never to the tray."""
    rig = _rig(kind)
    _push(rig, rig.phone.app(APP).special_tokens[kind], {}, channel="c1")  # type: ignore[attr-defined]
    (received,) = _of(rig, ev.SpecialPushReceived)
    assert received.kind == kind and callback in received.callback
    assert received.data == {"channel": "c1"} and rig.phone.notifications() == []


def test_uninstall_unregisters_every_special_token():
    """Uninstalling the app unregisters its special and Live Activity tokens too."""
    rig = _rig("voip", "liveactivity")
    app = rig.phone.app(APP)
    activity = _activity(rig)
    rig.phone.uninstall(APP)
    expected = {app.token, *app.special_tokens.values(), activity.token}  # type: ignore[attr-defined]
    assert expected <= set(rig.service.unregistered)
