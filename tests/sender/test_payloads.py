"""The wire shapes the sender builds for APNs and FCM (sans-IO)."""

from __future__ import annotations

from sender.models import Device, NotificationRequest
from sender.payloads import apns_push, fcm_message

IOS = Device(token="ab" * 32, platform="ios", app_id="com.example", user_id="u", registered_at=0)
ANDROID = Device(
    token="t:APA", platform="android", app_id="com.example", user_id="u", registered_at=0
)
NOW = 1_000.0


def test_apns_alert() -> None:
    """An alert is push-type alert, priority 10, title/body in aps.alert, custom keys beside aps."""
    request = NotificationRequest(user_id="u", title="T", body="B", data={"k": "v"})
    push = apns_push("n1", request, IOS, NOW)
    assert push.topic == "com.example"
    assert push.headers == {"apns-push-type": "alert", "apns-priority": "10"}
    assert push.payload == {
        "aps": {"alert": {"title": "T", "body": "B"}},
        "notification_id": "n1",
        "k": "v",
    }


def test_apns_data_is_background_priority_5() -> None:
    """A data push is push-type background, priority 5, aps holds only content-available."""
    request = NotificationRequest(user_id="u", kind="data", data={"k": "v"}, priority="high")
    push = apns_push("n1", request, IOS, NOW)
    assert push.headers == {"apns-push-type": "background", "apns-priority": "5"}
    assert push.payload == {"aps": {"content-available": 1}, "notification_id": "n1", "k": "v"}


def test_apns_normal_priority_alert() -> None:
    """An alert asked for at normal priority is sent with apns-priority 5."""
    request = NotificationRequest(user_id="u", title="T", priority="normal")
    assert apns_push("n1", request, IOS, NOW).headers["apns-priority"] == "5"


def test_apns_ttl_and_collapse() -> None:
    """ttl becomes an absolute apns-expiration (0 stays 0); collapse_key becomes apns-collapse-id."""
    request = NotificationRequest(user_id="u", title="T", ttl=60, collapse_key="score")
    headers = apns_push("n1", request, IOS, NOW).headers
    assert (headers["apns-expiration"], headers["apns-collapse-id"]) == ("1060", "score")
    now_or_never = NotificationRequest(user_id="u", title="T", ttl=0)
    assert apns_push("n1", now_or_never, IOS, NOW).headers["apns-expiration"] == "0"


def test_fcm_alert() -> None:
    """An FCM alert has notification title/body, string data with notification_id, high priority."""
    request = NotificationRequest(user_id="u", title="T", body="B", data={"k": "v"})
    assert fcm_message("n1", request, ANDROID) == {
        "token": "t:APA",
        "notification": {"title": "T", "body": "B"},
        "data": {"k": "v", "notification_id": "n1"},
        "android": {"priority": "high"},
        "apns": {
            "headers": {"apns-push-type": "alert", "apns-priority": "10"},
            "payload": {"aps": {"alert": {"title": "T", "body": "B"}}},
        },
    }


def test_fcm_data() -> None:
    """An FCM data message has no notification block and normal priority by default."""
    request = NotificationRequest(
        user_id="u", kind="data", data={"k": "v"}, ttl=30, collapse_key="c"
    )
    assert fcm_message("n1", request, ANDROID) == {
        "token": "t:APA",
        "data": {"k": "v", "notification_id": "n1"},
        "android": {"priority": "normal", "collapse_key": "c", "ttl": "30s"},
        "apns": {
            "headers": {
                "apns-push-type": "background",
                "apns-priority": "5",
                "apns-collapse-id": "c",
                "apns-expiration": "30",
            },
            "payload": {"aps": {"content-available": 1}},
        },
    }


def test_apns_alert_extras() -> None:
    """badge, sound, thread_id and category go into aps as badge, sound, thread-id, category."""
    request = NotificationRequest(
        user_id="u", title="T", badge=3, sound="default", thread_id="chat-1", category="REPLY"
    )
    assert apns_push("n1", request, IOS, NOW).payload["aps"] == {
        "alert": {"title": "T"},
        "badge": 3,
        "sound": "default",
        "thread-id": "chat-1",
        "category": "REPLY",
    }


def test_apns_data_ignores_alert_extras() -> None:
    """A background push keeps aps to content-available even when badge or sound are given."""
    request = NotificationRequest(user_id="u", kind="data", badge=3, sound="default")
    assert apns_push("n1", request, IOS, NOW).payload["aps"] == {"content-available": 1}


def test_fcm_alert_extras_go_to_android_notification() -> None:
    """sound, thread_id, category and badge map to android.notification sound/tag/click_action/count."""
    request = NotificationRequest(
        user_id="u", title="T", badge=2, sound="ding", thread_id="chat", category="OPEN"
    )
    android = fcm_message("n1", request, ANDROID)["android"]
    assert android["notification"] == {
        "sound": "ding",
        "tag": "chat",
        "click_action": "OPEN",
        "notification_count": 2,
    }


def test_fcm_topic_message_targets_the_topic() -> None:
    """A topic notification is one FCM message with ``topic`` and no token."""
    request = NotificationRequest(topic="news", title="T")
    message = fcm_message("n1", request, None, topic="news")
    assert message["topic"] == "news"
    assert "token" not in message
