from __future__ import annotations

import pytest

from devices import events as ev
from devices.app_server import EngagementReport, TokenReport
from devices.apps import Answer, Permission
from devices.errors import DeviceError
from devices.phone import AndroidPhone, IosPhone
from tests.devices.fakes import RecordingPushService, SettableClock

APP = "com.example.app"
IOS_ALERT = {"aps": {"alert": {"title": "Hi", "body": "There"}}, "notification_id": "n1"}
FCM_ALERT = {"notification": {"title": "Hi", "body": "There"}, "data": {"notification_id": "n1"}}


def _phone(cls=IosPhone, **kwargs):
    events, messages = [], []
    service = RecordingPushService()
    phone = cls(
        "phone-1",
        push_service=service,
        clock=SettableClock(),
        emit=events.append,
        app_server=messages.append,
        **kwargs,
    )
    return phone, service, events, messages


def _kinds(events):
    return [type(e).__name__ for e in events]


def test_install_asks_permission_then_reports_the_token_to_the_app_server():
    """Installing with "allow" authorizes notifications, gets a token and posts it to the server."""
    phone, _service, events, messages = _phone()
    app = phone.install(APP, user_id="alice", answer="allow")
    assert app.permission is Permission.AUTHORIZED
    assert _kinds(events) == [
        "AppInstalled",
        "AppStateChanged",
        "PermissionAnswered",
        "TokenReceived",
    ]
    assert messages == [
        TokenReport(
            phone_id="phone-1", app_id=APP, user_id="alice", platform="ios", token=app.token
        )
    ]


def test_the_prompt_is_shown_only_once():
    """After the first answer, asking again returns the recorded answer (devices.md §1.2)."""
    phone, *_ = _phone()
    phone.install(APP, user_id="alice", answer="deny")
    phone.answer_prompt(APP, Answer.ALLOW)
    assert phone.app(APP).permission is Permission.DENIED


def test_alert_is_shown_when_authorized():
    """An alert push to an authorized app lands on the tray with its title and body."""
    phone, service, events, _ = _phone()
    token = phone.install(APP, user_id="alice").token
    service.push("phone-1", token, IOS_ALERT)
    (entry,) = phone.notifications()
    assert (entry.title, entry.body, entry.notification_id) == ("Hi", "There", "n1")
    assert isinstance(events[-1], ev.NotificationDisplayed)


def test_alert_is_suppressed_when_denied():
    """An alert to an app whose permission was denied is not shown; the reason is on the timeline."""
    phone, service, events, _ = _phone()
    token = phone.install(APP, user_id="alice", answer="deny").token
    service.push("phone-1", token, IOS_ALERT)
    assert phone.notifications() == []
    assert events[-1].reason == "permission denied"


def test_alert_is_suppressed_after_turning_notifications_off_in_settings():
    """Turning the app's notifications off in Settings suppresses later alerts."""
    phone, service, events, _ = _phone(AndroidPhone)
    token = phone.install(APP, user_id="alice").token
    phone.set_notifications_enabled(APP, False)
    service.push("phone-1", token, FCM_ALERT)
    assert phone.notifications() == []
    assert isinstance(events[-1], ev.NotificationSuppressed)
    assert events[-1].reason == "notifications turned off in Settings"


def test_data_push_goes_to_the_app_even_when_notifications_are_off():
    """A data-only push reaches the app's code whatever the notification permission."""
    phone, service, events, _ = _phone(AndroidPhone)
    token = phone.install(APP, user_id="alice", answer="deny").token
    service.push("phone-1", token, {"data": {"sync": "1"}})
    assert phone.app(APP).data_pushes == [{"sync": "1"}]
    assert isinstance(events[-1], ev.DataPushReceived)


def test_ios_background_push_goes_to_the_app():
    """An aps with only content-available is handed to the app with its custom keys."""
    phone, service, _, _ = _phone()
    token = phone.install(APP, user_id="alice").token
    service.push("phone-1", token, {"aps": {"content-available": 1}, "sync": "inbox"})
    assert phone.app(APP).data_pushes == [{"sync": "inbox"}]
    assert phone.notifications() == []


def test_android_below_33_needs_no_runtime_permission():
    """Before API 33 notifications are allowed by default, whatever the prompt answer."""
    phone, *_ = _phone(AndroidPhone, api_level=32)
    assert phone.install(APP, user_id="alice", answer="dismiss").permission is Permission.AUTHORIZED


def test_android_33_dismissed_prompt_leaves_permission_undetermined():
    """On API 33+, swiping the prompt away changes nothing: alerts stay hidden."""
    phone, service, events, _ = _phone(AndroidPhone, api_level=34)
    token = phone.install(APP, user_id="alice", answer="dismiss").token
    service.push("phone-1", token, FCM_ALERT)
    assert events[-1].reason == "permission not determined"


def test_tap_opens_the_app_and_reports_the_open():
    """Tapping a notification removes it from the tray and reports "opened" to the app server."""
    phone, service, events, messages = _phone()
    token = phone.install(APP, user_id="alice").token
    service.push("phone-1", token, IOS_ALERT)
    entry = phone.tap(phone.notifications()[0].entry_id)
    assert entry.data == {"notification_id": "n1"}
    assert phone.notifications() == []
    assert isinstance(events[-1], ev.NotificationTapped)
    assert messages[-1] == EngagementReport(
        phone_id="phone-1",
        app_id=APP,
        token=token,
        notification_id="n1",
        event="opened",
        user_id="alice",
        platform="ios",
    )


def test_dismiss_is_not_reported_by_default():
    """Swiping a notification away is on the timeline but the app is not told (devices.md §1.9)."""
    phone, service, events, messages = _phone()
    token = phone.install(APP, user_id="alice").token
    service.push("phone-1", token, IOS_ALERT)
    phone.dismiss(phone.notifications()[0].entry_id)
    assert isinstance(events[-1], ev.NotificationDismissed)
    assert not any(isinstance(m, EngagementReport) for m in messages)


def test_uninstall_unregisters_the_token_and_clears_the_tray():
    """Uninstalling tells the provider and removes the app's notifications."""
    phone, service, _, _ = _phone()
    token = phone.install(APP, user_id="alice").token
    service.push("phone-1", token, IOS_ALERT)
    phone.uninstall(APP)
    assert service.unregistered == [token]
    assert phone.notifications() == []


def test_push_for_an_unknown_token_is_dropped():
    """A push for a token no app holds is dropped and recorded, never a crash."""
    _, service, events, _ = _phone()
    service.push("phone-1", "stale", IOS_ALERT)
    assert isinstance(events[-1], ev.PushDropped)


def test_offline_disconnects_and_online_reconnects():
    """Going offline disconnects the phone from its provider; coming online reconnects it."""
    phone, service, _, _ = _phone()
    phone.go_offline()
    assert "phone-1" not in service.inboxes
    phone.go_online()
    assert service.inboxes["phone-1"] is phone


def test_actions_on_unknown_things_raise_device_errors():
    """Unknown apps and notifications raise DeviceError with a clear message."""
    phone, *_ = _phone()
    with pytest.raises(DeviceError, match="not installed"):
        phone.uninstall(APP)
    with pytest.raises(DeviceError, match="no notification"):
        phone.tap("n42")
    phone.install(APP, user_id="alice")
    with pytest.raises(DeviceError, match="already installed"):
        phone.install(APP, user_id="alice")


def test_an_unknown_prompt_answer_is_refused_before_installing():
    """install() with an answer other than allow, deny or dismiss raises and installs nothing."""
    phone, *_ = _phone()
    with pytest.raises(DeviceError, match="use one of allow, deny, dismiss"):
        phone.install(APP, user_id="alice", answer="maybe")
    assert phone.apps == []


def test_android_deleted_messages_signal_reaches_the_app_as_on_deleted_messages():
    """FCM's deleted-messages signal is not a data push: the app's onDeletedMessages runs."""
    phone, service, events, _ = _phone(AndroidPhone)
    token = phone.install(APP, user_id="alice").token
    service.push("phone-1", token, {"message_type": "deleted_messages"}, push_id="deleted_messages")
    assert isinstance(events[-1], ev.PendingMessagesDeleted)
    assert phone.app(APP).data_pushes == []
