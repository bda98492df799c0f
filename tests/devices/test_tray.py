"""The tray: replacement, grouping, badges, interruption levels and user actions (§1.7, §1.9)."""

from __future__ import annotations

import pytest

from devices import events as ev
from devices.app_server import EngagementReport
from devices.errors import DeviceError
from devices.phone import AndroidPhone, IosPhone
from tests.devices.fakes import Rig

APP = "com.example.app"


def _iphone():
    rig = Rig(IosPhone)
    rig.phone.install(APP, user_id="alice")
    rig.phone.background(APP)
    rig.clear()
    return rig


def _android():
    rig = Rig(AndroidPhone)
    rig.phone.install(APP, user_id="alice")
    rig.phone.background(APP)
    rig.clear()
    return rig


def _alert(text, **aps):
    return {"aps": {"alert": text, **aps}, "notification_id": text}


def test_same_collapse_id_replaces_the_entry():
    """A second alert with the same apns-collapse-id replaces the first on the tray."""
    rig = _iphone()
    rig.push(APP, _alert("score 1-0"), push_id="p1", **{"apns-collapse-id": "match"})
    first = rig.phone.notifications()[0].entry_id
    rig.push(APP, _alert("score 2-0"), push_id="p2", **{"apns-collapse-id": "match"})
    (entry,) = rig.phone.notifications()
    assert entry.body == "score 2-0"
    assert rig.last(ev.NotificationDisplayed).replaced_entry_id == first


def test_different_collapse_ids_stack():
    """Alerts without a shared collapse id each get their own entry."""
    rig = _iphone()
    rig.push(APP, _alert("a"), push_id="p1", **{"apns-collapse-id": "x"})
    rig.push(APP, _alert("b"), push_id="p2")
    assert [e.body for e in rig.phone.notifications()] == ["a", "b"]


def test_android_same_tag_replaces_the_entry():
    """Android: a notification with the same tag replaces the shown one."""
    rig = _android()
    for n, text in enumerate(("1 new message", "2 new messages")):
        payload = {"notification": {"title": text}, "android": {"notification": {"tag": "inbox"}}}
        rig.push(APP, payload, push_id=f"p{n}")
    assert [e.title for e in rig.phone.notifications()] == ["2 new messages"]


def test_thread_id_groups_entries():
    """Entries are grouped by aps.thread-id."""
    rig = _iphone()
    rig.push(APP, _alert("a", **{"thread-id": "chat-1"}), push_id="p1")
    rig.push(APP, _alert("b", **{"thread-id": "chat-2"}), push_id="p2")
    rig.push(APP, _alert("c", **{"thread-id": "chat-1"}), push_id="p3")
    groups = rig.phone.tray.groups(APP)
    assert {k: [e.body for e in v] for k, v in groups.items()} == {
        "chat-1": ["a", "c"],
        "chat-2": ["b"],
    }


def test_badge_number_sets_the_badge():
    """aps.badge sets the icon's number."""
    rig = _iphone()
    rig.push(APP, _alert("x", badge=3))
    assert rig.phone.badge(APP) == 3


def test_badge_zero_clears_it():
    """aps.badge 0 clears the badge."""
    rig = _iphone()
    rig.push(APP, _alert("x", badge=3), push_id="p1")
    rig.push(APP, {"aps": {"badge": 0}}, push_id="p2")
    assert rig.phone.badge(APP) == 0
    assert rig.last(ev.BadgeChanged).badge == 0


def test_absent_badge_keeps_it():
    """An alert without aps.badge leaves the badge as it was."""
    rig = _iphone()
    rig.push(APP, _alert("x", badge=3), push_id="p1")
    rig.push(APP, _alert("y"), push_id="p2")
    assert rig.phone.badge(APP) == 3


def test_passive_interruption_level_shows_no_banner():
    """A passive notification is listed without a banner or sound."""
    rig = _iphone()
    rig.push(APP, _alert("x", sound="default", **{"interruption-level": "passive"}))
    shown = rig.last(ev.NotificationDisplayed)
    assert (shown.banner, shown.sound) == (False, False)


def test_push_with_nothing_to_show_is_suppressed_with_a_reason():
    """An empty aps is neither shown nor handed over; the timeline says why."""
    rig = _iphone()
    rig.push(APP, {"aps": {}})
    assert rig.last(ev.NotificationSuppressed).reason.startswith("nothing to show")


def test_tap_opens_the_app_with_the_payload_and_reports_the_open():
    """Tapping opens the app with the payload; the app reports "opened" to its server."""
    rig = _iphone()
    rig.push(APP, _alert("x"))
    rig.phone.tap(rig.phone.notifications()[0].entry_id)
    tapped = rig.last(ev.NotificationTapped)
    assert dict(tapped.data) == {"notification_id": "x"}
    assert rig.phone.app(APP).state.value == "foreground"
    assert rig.messages[-1].event == "opened"


def test_tap_on_a_killed_app_cold_starts_it_and_it_registers():
    """A tap that cold-starts the app makes it register, as every launch does."""
    rig = _iphone()
    rig.push(APP, _alert("x"))
    rig.phone.kill(APP)
    rig.phone.tap(rig.phone.notifications()[0].entry_id)
    assert [type(m).__name__ for m in rig.messages] == ["TokenReport", "EngagementReport"]


def test_custom_action_does_not_open_the_app():
    """A custom action button is on the timeline but opens nothing and reports nothing."""
    rig = _iphone()
    rig.push(APP, _alert("x", category="MSG"))
    rig.phone.tap(rig.phone.notifications()[0].entry_id, action="mark-read")
    assert rig.last(ev.NotificationTapped).action == "mark-read"
    assert rig.messages == []


def test_ios_dismiss_is_not_reported_by_default():
    """Swiping away is on the timeline but the app is not told (§1.9)."""
    rig = _iphone()
    rig.push(APP, _alert("x", category="MSG"))
    rig.phone.dismiss(rig.phone.notifications()[0].entry_id)
    assert rig.last(ev.NotificationDismissed).reported is False
    assert rig.messages == []


def test_ios_dismiss_is_reported_for_custom_dismiss_action_categories():
    """A category registered with customDismissAction reports dismissals to the server."""
    rig = _iphone()
    rig.phone.app(APP).dismiss_categories = frozenset({"MSG"})
    rig.push(APP, _alert("x", category="MSG"))
    rig.phone.dismiss(rig.phone.notifications()[0].entry_id)
    assert rig.messages[-1] == EngagementReport(
        phone_id="phone-1",
        app_id=APP,
        token=rig.phone.app(APP).token,
        notification_id="x",
        event="dismissed",
        user_id="alice",
        platform="ios",
    )


def test_android_dismiss_reported_only_for_app_posted_with_delete_intent():
    """Android reports a dismissal only for the app's own notification with a delete intent."""
    rig = _android()
    rig.phone.app(APP).delete_intent = True
    payload = {"notification": {"title": "x"}, "data": {"notification_id": "x"}}
    rig.push(APP, payload, push_id="p1")  # background: posted by the FCM SDK
    rig.phone.dismiss(rig.phone.notifications()[0].entry_id)
    rig.phone.launch(APP)
    rig.push(APP, payload, push_id="p2")  # foreground: the app posts it
    rig.phone.dismiss(rig.phone.notifications()[0].entry_id)
    reported = [e.reported for e in rig.events if isinstance(e, ev.NotificationDismissed)]
    assert reported == [False, True]


def test_ignoring_a_notification_leaves_it_and_reports_nothing():
    """A notification the user ignores stays on the tray and nothing is reported."""
    rig = _iphone()
    rig.push(APP, _alert("x"))
    rig.clock.time += 3600
    assert len(rig.phone.notifications()) == 1
    assert rig.messages == []


def test_received_is_reported_when_the_app_opts_in():
    """An app that reports receipt tells its server when its code sees a push."""
    rig = _android()
    rig.phone.app(APP).reports_received = True
    rig.push(APP, {"data": {"notification_id": "n9"}})
    assert (rig.messages[-1].event, rig.messages[-1].notification_id) == ("received", "n9")


def test_tapping_an_unknown_entry_raises():
    """Tapping something not on the tray raises a DeviceError."""
    rig = _iphone()
    with pytest.raises(DeviceError, match="no notification"):
        rig.phone.tap("n99")
