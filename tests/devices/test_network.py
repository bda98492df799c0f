"""Offline and online against the real provider registries (sans-IO, no sockets): on reconnect
the stored messages arrive under each provider's rules (devices.md §1.6, §2.7)."""

from __future__ import annotations

from devices import events as ev
from devices.phone import AndroidPhone, IosPhone
from fakeproviders.apns import ApnsRegistry
from fakeproviders.fcm import FcmRegistry
from tests.devices.fakes import SettableClock

APP = "com.example.app"


def _phone(cls, registry_cls):
    events: list = []
    clock = SettableClock()
    registry = registry_cls(clock, events.append)
    phone = cls("phone-1", push_service=registry, clock=clock, emit=events.append)
    token = phone.install(APP, user_id="alice").token
    phone.background(APP)
    return phone, registry, token, events


def _shown(phone):
    return [e.title or e.body for e in phone.notifications()]


def test_offline_phone_gets_nothing_until_it_reconnects():
    """While offline nothing reaches the phone; the provider stores it."""
    phone, registry, token, _ = _phone(IosPhone, ApnsRegistry)
    phone.go_offline()
    registry.deliver(token, "p1", {"apns-priority": "10"}, {"aps": {"alert": "one"}})
    assert _shown(phone) == []
    phone.go_online()
    assert _shown(phone) == ["one"]


def test_apns_keeps_one_stored_push_per_app():
    """APNs stores one notification per app: after reconnecting only the newest shows."""
    phone, registry, token, _ = _phone(IosPhone, ApnsRegistry)
    phone.go_offline()
    for n in range(3):
        registry.deliver(token, f"p{n}", {"apns-priority": "10"}, {"aps": {"alert": f"m{n}"}})
    phone.go_online()
    assert _shown(phone) == ["m2"]


def test_fcm_delivers_every_stored_message_up_to_the_limit():
    """FCM keeps non-collapsible messages (up to 100) and delivers them all on reconnect."""
    phone, registry, token, _ = _phone(AndroidPhone, FcmRegistry)
    phone.go_offline()
    for n in range(5):
        registry.deliver(token, f"p{n}", {"priority": "high"}, {"notification": {"title": f"m{n}"}})
    phone.go_online()
    assert sorted(_shown(phone)) == [f"m{n}" for n in range(5)]


def test_fcm_over_100_pending_sends_the_deleted_messages_signal():
    """Past 100 pending messages FCM drops them; the app's onDeletedMessages runs on reconnect."""
    phone, registry, token, events = _phone(AndroidPhone, FcmRegistry)
    phone.go_offline()
    for n in range(101):
        registry.deliver(token, f"p{n}", {"priority": "high"}, {"data": {"n": str(n)}})
    phone.go_online()
    assert any(isinstance(e, ev.PendingMessagesDeleted) for e in events)
    assert phone.app(APP).data_pushes == []


def test_fcm_keeps_the_newest_per_collapse_key():
    """Messages sharing a collapse key replace each other while the phone is offline."""
    phone, registry, token, _ = _phone(AndroidPhone, FcmRegistry)
    phone.go_offline()
    for n in range(3):
        registry.deliver(
            token, f"p{n}", {"collapse_key": "score"}, {"notification": {"title": f"m{n}"}}
        )
    phone.go_online()
    assert _shown(phone) == ["m2"]
