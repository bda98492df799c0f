"""iOS authorization: the five states, the one-time prompt and the Settings switches (§1.1-§1.3)."""

from __future__ import annotations

import pytest

from devices import events as ev
from devices.apps import Permission
from devices.errors import DeviceError
from devices.permissions import EPHEMERAL_SECONDS
from devices.phone import IosPhone
from tests.devices.fakes import Rig

APP = "com.example.app"
ALERT = {"aps": {"alert": {"title": "Hi", "body": "There"}, "sound": "default"}}


def _rig(**install):
    rig = Rig(IosPhone)
    rig.phone.install(APP, user_id="alice", **install)
    rig.phone.background(APP)
    return rig


def test_not_determined_shows_nothing():
    """An app that never asked is notDetermined, and its alerts are not shown."""
    rig = _rig(ask=False)
    rig.push(APP, ALERT)
    assert rig.phone.app(APP).permission is Permission.NOT_DETERMINED
    assert rig.last(ev.NotificationSuppressed).reason == "permission not determined"


def test_denied_shows_nothing():
    """A denied app's alerts are suppressed with the reason."""
    rig = _rig(answer="deny")
    rig.push(APP, ALERT)
    assert rig.last(ev.NotificationSuppressed).reason == "permission denied"


def test_authorized_shows_a_banner_with_sound():
    """An authorized app's alert shows as a banner and plays its sound."""
    rig = _rig()
    rig.push(APP, ALERT)
    shown = rig.last(ev.NotificationDisplayed)
    assert (shown.banner, shown.sound) == (True, True)


def test_provisional_goes_to_notification_center_only():
    """Provisional: listed quietly, no banner and no sound (§1.1)."""
    rig = _rig(provisional=True)
    rig.push(APP, ALERT)
    shown = rig.last(ev.NotificationDisplayed)
    assert rig.phone.app(APP).permission is Permission.PROVISIONAL
    assert (shown.banner, shown.sound) == (False, False)


def test_provisional_request_shows_no_prompt():
    """Requesting provisional authorization shows no prompt; the timeline says so."""
    rig = _rig(provisional=True)
    assert not any(isinstance(e, ev.PermissionAnswered) for e in rig.events)
    assert rig.last(ev.PermissionPromptSkipped).permission == "provisional"


def test_provisional_app_can_still_prompt_for_full_authorization():
    """A provisional app's later full request shows the prompt once."""
    rig = _rig(provisional=True)
    rig.phone.request_permission(APP, "allow")
    assert rig.phone.app(APP).permission is Permission.AUTHORIZED
    assert rig.last(ev.PermissionAnswered).answer == "allow"


def test_ephemeral_app_clip_is_authorized_until_it_expires():
    """An App Clip's ephemeral authorization shows alerts, then expires after its window."""
    rig = _rig(app_clip=True)
    rig.push(APP, ALERT, push_id="p1")
    assert rig.last(ev.NotificationDisplayed).push_id == "p1"
    rig.clock.time += EPHEMERAL_SECONDS + 1
    rig.push(APP, ALERT, push_id="p2")
    assert rig.last(ev.NotificationSuppressed).reason == "ephemeral authorization expired"


def test_the_prompt_is_shown_only_once():
    """After the first answer, later requests show no prompt and keep the answer (§1.2)."""
    rig = _rig(answer="deny")
    rig.phone.request_permission(APP, "allow")
    assert rig.phone.app(APP).permission is Permission.DENIED
    assert rig.last(ev.PermissionPromptSkipped).reason == "asked before: iOS prompts only once"


def test_settings_can_turn_a_denied_app_on():
    """Switching "Allow Notifications" on in Settings authorizes a denied app."""
    rig = _rig(answer="deny")
    rig.phone.set_notifications_enabled(APP, True)
    rig.push(APP, ALERT)
    assert rig.phone.app(APP).permission is Permission.AUTHORIZED
    assert isinstance(rig.events[-1], ev.NotificationDisplayed)


def test_turning_the_app_off_in_settings_suppresses_alerts():
    """The whole-app switch off suppresses alerts with the Settings reason (§1.3)."""
    rig = _rig()
    rig.phone.set_notifications_enabled(APP, False)
    rig.push(APP, ALERT)
    assert rig.last(ev.NotificationSuppressed).reason == "notifications turned off in Settings"


def test_alerts_off_delivers_quietly():
    """With Alerts off in Settings the notification is listed without a banner."""
    rig = _rig()
    rig.phone.set_alerts_enabled(APP, False)
    rig.push(APP, ALERT)
    assert rig.last(ev.NotificationDisplayed).banner is False


def test_sounds_off_mutes():
    """With Sounds off in Settings the banner shows without a sound."""
    rig = _rig()
    rig.phone.set_sounds_enabled(APP, False)
    rig.push(APP, ALERT)
    shown = rig.last(ev.NotificationDisplayed)
    assert (shown.banner, shown.sound) == (True, False)


def test_badges_off_ignores_the_badge():
    """With Badges off in Settings aps.badge leaves the icon alone."""
    rig = _rig()
    rig.phone.set_badges_enabled(APP, False)
    rig.push(APP, {"aps": {"alert": "x", "badge": 5}})
    assert rig.phone.badge(APP) == 0


def test_promoting_provisional_authorizes_prominent_delivery():
    """Promoting a provisional app makes its alerts banners with sound."""
    rig = _rig(provisional=True)
    rig.phone.promote(APP)
    rig.push(APP, ALERT)
    assert rig.phone.app(APP).permission is Permission.AUTHORIZED
    assert rig.last(ev.NotificationDisplayed).banner is True
    assert rig.last(ev.NotificationSettingChanged).setting == "promoted"


def test_only_provisional_apps_can_be_promoted():
    """Promoting an app that is not provisional is refused with a clear error."""
    rig = _rig()
    with pytest.raises(DeviceError, match="only provisional"):
        rig.phone.promote(APP)


def test_settings_has_no_switch_before_the_app_asked():
    """An app that never asked has no Settings entry to flip."""
    rig = _rig(ask=False)
    with pytest.raises(DeviceError, match="has not asked"):
        rig.phone.set_notifications_enabled(APP, True)


def test_reinstall_keeps_the_permission():
    """Deleting and reinstalling keeps the answer: no new prompt (devices.md §1.2 [S])."""
    rig = _rig(answer="deny")
    rig.phone.uninstall(APP)
    rig.phone.install(APP, user_id="alice", answer="allow")
    assert rig.phone.app(APP).permission is Permission.DENIED


def test_wipe_resets_the_permission():
    """After erasing the phone a reinstall prompts again."""
    rig = _rig(answer="deny")
    rig.phone.wipe()
    rig.phone.install(APP, user_id="alice", answer="allow")
    assert rig.phone.app(APP).permission is Permission.AUTHORIZED
