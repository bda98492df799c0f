"""Android: POST_NOTIFICATIONS by API level, and notification channels (devices.md §2.1, §2.2)."""

from __future__ import annotations

import pytest

from devices import events as ev
from devices.apps import Permission
from devices.channels import FCM_FALLBACK_CHANNEL
from devices.errors import DeviceError
from devices.phone import AndroidPhone
from tests.devices.fakes import Rig

APP = "com.example.app"
ALERT = {"notification": {"title": "Hi", "body": "There"}}


def _rig(api_level=34, **install):
    rig = Rig(AndroidPhone, api_level=api_level)
    rig.phone.install(APP, user_id="alice", **install)
    rig.phone.background(APP)
    return rig


def test_api_33_new_install_is_off_until_granted():
    """On API 33+ a new install that has not been granted shows nothing."""
    rig = _rig(ask=False)
    rig.push(APP, ALERT)
    assert rig.phone.app(APP).permission is Permission.NOT_DETERMINED
    assert rig.last(ev.NotificationSuppressed).reason == "permission not determined"


def test_below_33_notifications_are_on_without_a_prompt():
    """Below API 33 there is no runtime permission: no prompt, alerts show."""
    rig = _rig(api_level=32)
    rig.push(APP, ALERT)
    assert rig.last(ev.PermissionPromptSkipped).reason == "no runtime permission below API 33"
    assert isinstance(rig.events[-1], ev.NotificationDisplayed)


def test_one_denial_allows_one_more_prompt_with_rationale():
    """After one denial the app may ask again, and shouldShowRequestPermissionRationale is true."""
    rig = _rig(answer="deny")
    assert rig.phone.should_show_rationale(APP)
    rig.phone.request_permission(APP, "allow")
    assert rig.phone.app(APP).permission is Permission.AUTHORIZED


def test_two_denials_mean_no_more_prompts():
    """After the second denial requests fail silently; only Settings can grant (§2.1)."""
    rig = _rig(answer="deny")
    rig.phone.request_permission(APP, "deny")
    rig.phone.request_permission(APP, "allow")
    assert rig.phone.app(APP).permission is Permission.DENIED
    assert rig.last(ev.PermissionPromptSkipped).reason.startswith("denied twice")


def test_dismissing_the_dialog_changes_nothing():
    """Swiping the dialog away leaves the permission as it was and counts as no denial."""
    rig = _rig(answer="dismiss")
    rig.phone.request_permission(APP, "dismiss")
    rig.phone.request_permission(APP, "allow")
    assert rig.phone.app(APP).permission is Permission.AUTHORIZED


def test_settings_can_grant_after_two_denials():
    """Turning notifications on in Settings grants the permission on API 33+."""
    rig = _rig(answer="deny")
    rig.phone.request_permission(APP, "deny")
    rig.phone.set_notifications_enabled(APP, True)
    rig.push(APP, ALERT)
    assert isinstance(rig.events[-1], ev.NotificationDisplayed)


def test_reinstall_is_a_new_install_and_off_again():
    """An Android reinstall starts from the default: off on API 33+."""
    rig = _rig()
    rig.phone.uninstall(APP)
    rig.phone.install(APP, user_id="alice", ask=False)
    assert rig.phone.app(APP).permission is Permission.NOT_DETERMINED


def test_upgrade_to_33_pre_grants_enabled_apps_with_a_channel():
    """Updating a device to Android 13 keeps an enabled app with a channel allowed."""
    rig = _rig(api_level=32)
    rig.phone.update_os(33)
    assert rig.phone.app(APP).permission is Permission.AUTHORIZED


def test_upgrade_to_33_keeps_a_disabled_app_disabled():
    """An app the user had disabled before the upgrade to 13 stays off."""
    rig = _rig(api_level=32)
    rig.phone.set_notifications_enabled(APP, False)
    rig.phone.update_os(33)
    assert rig.phone.app(APP).permission is Permission.DENIED


def test_channel_importance_high_peeks_default_does_not():
    """HIGH importance shows heads-up with sound; DEFAULT sounds but does not peek (§2.2)."""
    rig = _rig(channels={"chat": "high", "news": "default"})
    rig.push(APP, {"notification": {"title": "a", "channel_id": "chat"}}, push_id="p1")
    high = rig.last(ev.NotificationDisplayed)
    rig.push(APP, {"notification": {"title": "b", "channel_id": "news"}}, push_id="p2")
    default = rig.last(ev.NotificationDisplayed)
    assert (high.banner, high.sound) == (True, True)
    assert (default.banner, default.sound) == (False, True)


def test_post_to_a_blocked_channel_is_dropped_silently():
    """A post to a channel the user blocked is not shown; the timeline says why."""
    rig = _rig(channels={"promo": "default"})
    rig.phone.block_channel(APP, "promo")
    rig.push(APP, {"notification": {"title": "Sale", "channel_id": "promo"}})
    assert rig.phone.notifications() == []
    assert rig.last(ev.NotificationSuppressed).reason == "channel 'promo' blocked"


def test_importance_none_blocks_the_channel():
    """Setting a channel's importance to NONE blocks it like the switch."""
    rig = _rig()
    rig.phone.set_channel_importance(APP, "default", "none")
    rig.push(APP, ALERT)
    assert rig.last(ev.NotificationSuppressed).reason == "channel 'default' blocked"


def test_app_post_to_a_missing_channel_is_dropped_silently():
    """In the foreground the app posts itself; to a channel it never created, nothing shows."""
    rig = _rig()
    rig.phone.launch(APP)
    rig.push(APP, {"notification": {"title": "x", "channel_id": "nope"}})
    assert rig.last(ev.NotificationSuppressed).reason == "channel 'nope' missing"


def test_fcm_sdk_falls_back_when_the_message_channel_is_missing():
    """In the background the FCM SDK falls back to the manifest's default channel."""
    rig = _rig()
    rig.push(APP, {"notification": {"title": "x", "channel_id": "nope"}})
    assert rig.last(ev.NotificationDisplayed).channel_id == "default"


def test_fcm_sdk_creates_its_fallback_channel_when_the_app_has_none():
    """With no channel at all the FCM SDK creates its own fallback channel and posts there."""
    rig = _rig(channels={})
    rig.phone.app(APP).default_channel = None
    rig.push(APP, ALERT)
    assert rig.last(ev.NotificationDisplayed).channel_id == FCM_FALLBACK_CHANNEL


def test_only_the_user_changes_an_existing_channel():
    """Re-creating a channel with another importance changes nothing but its name (§2.2)."""
    rig = _rig(channels={"chat": "low"})
    rig.phone.create_channel(APP, "chat", "high", name="Chats")
    (chat,) = [c for c in rig.phone.channels(APP) if c.channel_id == "chat"]
    assert (chat.importance.label, chat.name) == ("low", "Chats")


def test_unknown_importance_is_refused():
    """An importance Android does not have raises a clear error."""
    rig = _rig()
    with pytest.raises(DeviceError, match="unknown importance"):
        rig.phone.create_channel(APP, "x", "loud")


def test_below_api_26_there_are_no_channels():
    """Before Android 8 a notification shows without any channel."""
    rig = _rig(api_level=25)
    rig.push(APP, ALERT)
    assert rig.phone.channels(APP) == []
    assert rig.last(ev.NotificationDisplayed).channel_id is None
