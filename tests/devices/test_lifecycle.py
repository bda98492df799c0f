"""App lifecycle: foreground/background/killed/force-quit/force-stopped, the Android FCM matrix and
iOS background pushes under the throttle (devices.md §1.8, §1.9, §2.3, §2.4)."""

from __future__ import annotations

from devices import events as ev
from devices.apps import AppState
from devices.ios import WILL_PRESENT
from devices.ios_background import DID_RECEIVE
from devices.phone import AndroidPhone, IosPhone
from tests.devices.fakes import Rig

APP = "com.example.app"
OTHER = "com.example.other"
NOTIFICATION = {"notification": {"title": "Hi"}, "data": {"k": "v"}}
DATA = {"data": {"k": "v"}}
SILENT = {"aps": {"content-available": 1}, "sync": "1"}
BACKGROUND_HEADERS = {"apns-push-type": "background", "apns-priority": "5"}


def _android(state="background", **kwargs):
    rig = Rig(AndroidPhone, **kwargs)
    rig.phone.install(APP, user_id="alice")
    {
        "foreground": lambda: None,
        "background": lambda: rig.phone.background(APP),
        "killed": lambda: rig.phone.kill(APP),
        "force-stopped": lambda: rig.phone.force_stop(APP),
    }[state]()
    rig.clear()
    return rig


def _iphone(state="background", **kwargs):
    rig = Rig(IosPhone, **kwargs)
    rig.phone.install(APP, user_id="alice")
    if state == "background":
        rig.phone.background(APP)
    elif state == "killed":
        rig.phone.kill(APP)
    elif state == "force-quit":
        rig.phone.force_quit(APP)
    rig.clear()
    return rig


def test_install_launches_the_app_into_the_foreground():
    """A freshly installed app is running in the foreground."""
    rig = _android("foreground")
    assert rig.phone.app(APP).state is AppState.FOREGROUND


def test_only_one_app_is_in_the_foreground():
    """Launching another app sends the first one to the background."""
    rig = _android("foreground")
    rig.phone.install(OTHER, user_id="alice")
    assert rig.phone.app(APP).state is AppState.BACKGROUND
    moved = [(e.app_id, e.state) for e in rig.events if isinstance(e, ev.AppStateChanged)]
    assert moved == [(APP, "background"), (OTHER, "foreground")]


def test_android_notification_in_background_goes_to_the_tray_not_the_app():
    """Background + notification message: the SDK posts it, the app's code does not run."""
    rig = _android("background")
    rig.push(APP, NOTIFICATION)
    assert rig.kinds() == ["NotificationDisplayed"]
    assert rig.last(ev.NotificationDisplayed).posted_by == "system"


def test_android_notification_when_killed_goes_to_the_tray():
    """Not running (swiped from recents, killed by the OS) is not force-stopped: tray as usual."""
    rig = _android("killed")
    rig.push(APP, NOTIFICATION)
    assert rig.kinds() == ["NotificationDisplayed"]


def test_android_notification_in_foreground_goes_to_on_message_received():
    """Foreground + notification message: onMessageReceived gets it, with its data."""
    rig = _android("foreground")
    rig.push(APP, NOTIFICATION)
    handed = rig.last(ev.NotificationHandedToApp)
    assert (handed.callback, handed.title, dict(handed.data)) == (
        "onMessageReceived",
        "Hi",
        DATA["data"],
    )


def test_android_foreground_shows_nothing_unless_the_app_posts_it():
    """An app that posts nothing from onMessageReceived shows nothing in the foreground."""
    rig = _android("foreground")
    rig.phone.app(APP).foreground_presentation = frozenset()
    rig.push(APP, NOTIFICATION)
    assert rig.phone.notifications() == []
    assert rig.last(ev.NotificationSuppressed).reason == "app in the foreground did not post it"


def test_android_data_message_goes_to_the_app_in_the_background():
    """Data messages reach onMessageReceived whatever the app state."""
    rig = _android("background")
    rig.push(APP, DATA)
    assert rig.last(ev.DataPushReceived).callback == "onMessageReceived"
    assert rig.phone.app(APP).data_pushes == [{"k": "v"}]


def test_android_background_notification_data_arrives_on_tap():
    """Notification + data in the background: the data reaches the app when the user taps."""
    rig = _android("background")
    rig.push(APP, NOTIFICATION)
    rig.phone.tap(rig.phone.notifications()[0].entry_id)
    assert dict(rig.last(ev.NotificationTapped).data) == {"k": "v"}
    assert rig.phone.app(APP).state is AppState.FOREGROUND


def test_android_force_stopped_app_gets_nothing():
    """A force-stopped app gets no message of any kind until launched (§2.4)."""
    rig = _android("force-stopped")
    rig.push(APP, NOTIFICATION, push_id="p1")
    rig.push(APP, DATA, push_id="p2")
    assert rig.kinds() == ["PushDropped", "PushDropped"]
    assert "force-stopped" in rig.last(ev.PushDropped).reason


def test_android_launch_after_force_stop_delivers_again():
    """Launching a force-stopped app lifts the stop."""
    rig = _android("force-stopped")
    rig.phone.launch(APP)
    rig.phone.background(APP)
    rig.push(APP, DATA)
    assert isinstance(rig.events[-1], ev.DataPushReceived)


def test_ios_alert_in_foreground_goes_through_will_present():
    """In the foreground the app's willPresent sees the alert and its options decide."""
    rig = _iphone("foreground")
    rig.push(APP, {"aps": {"alert": "Hi"}})
    assert rig.kinds() == ["NotificationHandedToApp", "NotificationDisplayed"]
    assert rig.events[0].callback == WILL_PRESENT


def test_ios_foreground_with_no_presentation_options_is_silenced():
    """willPresent returning no options silences the notification (§1.9)."""
    rig = _iphone("foreground")
    rig.phone.app(APP).foreground_presentation = frozenset()
    rig.push(APP, {"aps": {"alert": "Hi"}})
    assert rig.phone.notifications() == []
    assert rig.last(ev.NotificationSuppressed).reason.startswith("silenced in the foreground")


def test_ios_force_quit_app_gets_no_background_push():
    """A force-quit app gets no background push until the user launches it (§1.8)."""
    rig = _iphone("force-quit")
    rig.push(APP, SILENT, **BACKGROUND_HEADERS)
    assert rig.kinds() == ["PushDropped"]
    assert "force-quit" in rig.events[0].reason


def test_ios_force_quit_app_still_shows_alerts():
    """Force-quit stops background wakes only: alerts are still shown by the system."""
    rig = _iphone("force-quit")
    rig.push(APP, {"aps": {"alert": "Hi"}})
    assert rig.kinds() == ["NotificationDisplayed"]


def test_ios_background_push_wakes_a_killed_app():
    """A killed (not force-quit) app is woken for a background push."""
    rig = _iphone("killed")
    rig.push(APP, SILENT, **BACKGROUND_HEADERS)
    received = rig.last(ev.DataPushReceived)
    assert (received.callback, dict(received.data)) == (DID_RECEIVE, {"sync": "1"})


def test_ios_background_pushes_past_the_budget_are_held():
    """Past the daily budget a background push is held instead of delivered."""
    rig = _iphone(background_budget=1)
    rig.push(APP, SILENT, push_id="p1", **BACKGROUND_HEADERS)
    rig.push(APP, SILENT, push_id="p2", **BACKGROUND_HEADERS)
    assert rig.kinds() == ["DataPushReceived", "BackgroundPushHeld"]


def test_ios_only_the_newest_held_push_is_kept():
    """A newer held background push replaces the older one, which is dropped."""
    rig = _iphone(background_budget=0)
    rig.push(APP, SILENT, push_id="p1", **BACKGROUND_HEADERS)
    rig.push(APP, SILENT, push_id="p2", **BACKGROUND_HEADERS)
    dropped = rig.last(ev.PushDropped)
    assert (dropped.push_id, dropped.reason) == ("p1", "replaced by a newer held background push")


def test_ios_launch_delivers_the_held_push_at_once():
    """Launching the app hands it the held background push."""
    rig = _iphone(background_budget=0)
    rig.push(APP, SILENT, push_id="p1", **BACKGROUND_HEADERS)
    rig.clock.time += 60
    rig.phone.launch(APP)
    received = rig.last(ev.DataPushReceived)
    assert (received.push_id, received.held_since) == ("p1", rig.clock.time - 60)


def test_ios_killing_the_app_discards_the_held_push():
    """A held background push is discarded when the app is killed (§1.8)."""
    rig = _iphone(background_budget=0)
    rig.push(APP, SILENT, push_id="p1", **BACKGROUND_HEADERS)
    rig.phone.kill(APP)
    rig.phone.launch(APP)
    assert "app was killed" in rig.last(ev.PushDropped).reason
    assert not any(isinstance(e, ev.DataPushReceived) for e in rig.events)


def test_ios_background_budget_resets_daily():
    """The budget is whole again 24 hours after the window opened."""
    rig = _iphone(background_budget=1)
    rig.push(APP, SILENT, push_id="p1", **BACKGROUND_HEADERS)
    rig.clock.time += 24 * 3600
    rig.push(APP, SILENT, push_id="p2", **BACKGROUND_HEADERS)
    assert rig.kinds() == ["DataPushReceived", "DataPushReceived"]


def test_ios_debugger_attached_lifts_the_throttle():
    """With the debugger attached background pushes are never held (§1.8)."""
    rig = _iphone(background_budget=0)
    rig.phone.set_debugger_attached(APP, True)
    rig.push(APP, SILENT, **BACKGROUND_HEADERS)
    assert isinstance(rig.events[-1], ev.DataPushReceived)


def test_ios_foreground_app_gets_background_pushes_unthrottled():
    """An app in the foreground receives content-available pushes without spending budget."""
    rig = _iphone("foreground", background_budget=0)
    rig.push(APP, SILENT, **BACKGROUND_HEADERS)
    assert isinstance(rig.events[-1], ev.DataPushReceived)


def test_ios_alert_with_content_available_shows_and_wakes_the_app():
    """An alert that also carries content-available is shown and handed to the app."""
    rig = _iphone()
    rig.push(APP, {"aps": {"alert": "Hi", "content-available": 1}})
    assert rig.kinds() == ["NotificationDisplayed", "DataPushReceived"]


def test_several_apps_on_one_phone_get_their_own_pushes():
    """Pushes reach the app holding the token, not another app on the same phone."""
    rig = _android("background")
    rig.phone.install(OTHER, user_id="alice")
    rig.push(APP, DATA)
    assert rig.last(ev.DataPushReceived).app_id == APP
    assert rig.phone.app(OTHER).data_pushes == []
