"""Token lifecycle on the phone: register at every launch, rotation triggers (each a setting),
old tokens, uninstall (devices.md §1.4, §1.5, §2.6)."""

from __future__ import annotations

from devices import events as ev
from devices.app_server import TokenReport
from devices.phone import AndroidPhone, IosPhone, TokenRules
from tests.devices.fakes import Rig

APP = "com.example.app"


def _rig(cls=IosPhone, **kwargs):
    rig = Rig(cls, **kwargs)
    rig.phone.install(APP, user_id="alice")
    return rig


def _reports(rig):
    return [m.token for m in rig.messages if isinstance(m, TokenReport)]


def test_the_app_registers_and_reports_at_every_launch():
    """Every launch asks the OS for the token and posts it to the app server (§1.4)."""
    rig = _rig()
    rig.phone.launch(APP)
    rig.phone.launch(APP)
    token = rig.phone.app(APP).token
    assert _reports(rig) == [token, token, token]


def test_restore_rotates_the_token_and_the_next_launch_reports_it():
    """Restoring onto a new device gives a new token, reported at the next launch."""
    rig = _rig()
    old = rig.phone.app(APP).token
    rig.phone.restore_to_new_device()
    rotated = rig.last(ev.TokenRotated)
    assert (rotated.old_token, rotated.reason) == (old, "restore")
    assert rig.service.rotated == [old]
    rig.phone.launch(APP)
    assert _reports(rig)[-1] == rotated.token != old


def test_ios_os_update_rotates_the_token():
    """An iOS update changes the token (§1.4)."""
    rig = _rig()
    rig.phone.update_os("18.0")
    assert rig.last(ev.TokenRotated).reason == "os update"


def test_android_os_update_keeps_the_token():
    """An Android update is not an onNewToken trigger (§2.6)."""
    rig = _rig(AndroidPhone)
    rig.phone.update_os(35)
    assert not any(isinstance(e, ev.TokenRotated) for e in rig.events)


def test_android_clear_data_rotates_the_token_and_stops_the_app():
    """Clearing app data stops the app and rotates its token (§2.6)."""
    rig = _rig(AndroidPhone)
    rig.phone.clear_data(APP)
    assert rig.last(ev.TokenRotated).reason == "clear data"
    assert rig.phone.app(APP).state.value == "not running"


def test_reinstall_rotates_a_token_the_provider_still_knows():
    """Reinstalling asks for a fresh token when the provider hands back the old one."""
    rig = _rig()
    old = rig.phone.app(APP).token
    rig.phone.uninstall(APP)
    rig.service.tokens[(rig.phone.phone_id, APP)] = old  # the provider still holds it (§1.5)
    rig.phone.install(APP, user_id="alice")
    assert rig.service.rotated == [old]
    assert rig.phone.app(APP).token != old
    assert rig.last(ev.TokenRotated).reason == "reinstall"


def test_rotation_triggers_are_settings():
    """With a trigger switched off, that event leaves the token alone."""
    rig = _rig(token_rules=TokenRules(on_restore=False))
    old = rig.phone.app(APP).token
    rig.phone.restore_to_new_device()
    assert rig.phone.app(APP).token == old
    assert rig.service.rotated == []


def test_a_push_to_the_old_token_still_reaches_the_app():
    """If the provider keeps the old token working after rotation, the app still gets it."""
    rig = _rig()
    rig.phone.background(APP)
    old = rig.phone.app(APP).token
    rig.phone.restore_to_new_device()
    rig.service.push(rig.phone.phone_id, old, {"aps": {"alert": "dup"}})
    assert rig.last(ev.NotificationDisplayed).token == old


def test_uninstall_unregisters_every_token_of_the_app():
    """Uninstalling tells the provider about the current and rotated-away tokens."""
    rig = _rig()
    old = rig.phone.app(APP).token
    rig.phone.restore_to_new_device()
    new = rig.phone.app(APP).token
    rig.phone.uninstall(APP)
    assert rig.service.unregistered == [new, old]


def test_push_after_uninstall_is_dropped():
    """A push that reaches the phone after deletion is dropped (the provider's 410 rule needs
    exactly this delivery, §1.5)."""
    rig = _rig()
    token = rig.phone.app(APP).token
    rig.phone.uninstall(APP)
    rig.service.inboxes[rig.phone.phone_id].push_arrived(token, "p1", {}, {"aps": {"alert": "x"}})
    dropped = rig.last(ev.PushDropped)
    assert (dropped.token, dropped.reason) == (token, "no app holds the token")


def test_android_reports_a_push_for_an_uninstalled_app_to_fcm():
    """An Android phone drops a message for an app it no longer has and tells FCM the app is
    gone: that report is how FCM learns of an uninstall (devices.md §2.6)."""
    rig = _rig(AndroidPhone)
    token = rig.phone.app(APP).token
    rig.phone.uninstall(APP)
    assert rig.service.reported_removed == []
    rig.service.push(rig.phone.phone_id, token, {"notification": {"title": "x"}})
    assert rig.last(ev.PushDropped).token == token
    assert rig.service.reported_removed == [token]
