from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from devices.android import FcmPushService
from fakeproviders.events import (
    NotificationDelivered,
    NotificationDiscarded,
    NotificationStored,
    ProviderEvent,
    TokenInvalidated,
    TokenIssued,
)
from fakeproviders.fcm import FcmRegistry
from fakeproviders.fcm.registry import DELETED_MESSAGES_PAYLOAD, Delivery
from tests.doubles import Inbox, ManualClock

DAY = 86_400.0
APP = "com.example.app"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def events() -> list[ProviderEvent]:
    return []


@pytest.fixture
def registry(clock: ManualClock, events: list[ProviderEvent]) -> FcmRegistry:
    return FcmRegistry(clock, events.append, "demo-proj")


def of(events: list[ProviderEvent], kind: type[ProviderEvent]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def send(registry: FcmRegistry, token: str, push_id: str, **headers: str) -> Delivery:
    return registry.deliver(
        token, push_id, {"priority": "high", **headers}, {"data": {"n": push_id}}
    )


def test_registry_has_the_push_service_methods() -> None:
    """FcmRegistry implements the FcmPushService protocol of devices' Android phone: same
    positional parameters."""
    for name in ("register", "unregister", "rotate", "connect", "disconnect", "report_app_removed"):
        theirs = list(inspect.signature(getattr(FcmPushService, name)).parameters)
        ours = [
            p.name
            for p in inspect.signature(getattr(FcmRegistry, name)).parameters.values()
            if p.kind is not inspect.Parameter.KEYWORD_ONLY
        ]
        assert ours == theirs, name


def test_token_has_a_realistic_shape(registry: FcmRegistry, events: list[ProviderEvent]) -> None:
    """A token is 22 url-safe chars, ':', APA91b and 134 more, and TokenIssued is emitted."""
    token = registry.register("phone-1", APP)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}:APA91b[A-Za-z0-9_-]{134}", token)
    assert registry.is_well_formed(token)
    assert of(events, TokenIssued) == [
        TokenIssued(at=1_800_000_000.0, provider="fcm", token=token, app_id=APP, phone_id="phone-1")
    ]


def test_same_app_keeps_its_token(registry: FcmRegistry) -> None:
    """Asking again for a working token returns the same one; another app gets its own."""
    token = registry.register("phone-1", APP)
    assert registry.register("phone-1", APP) == token
    assert registry.register("phone-1", "com.other") != token


@pytest.mark.parametrize(
    "token", ["not-a-token", "", "abc:def", "a" * 200, "fGw0qy4TGgk:APA 91b" * 5]
)
def test_malformed_tokens_are_not_well_formed(token: str) -> None:
    """Strings that cannot be FCM tokens are malformed (400, not 404)."""
    assert not FcmRegistry.is_well_formed(token)


def test_lookup_unknown_token(registry: FcmRegistry) -> None:
    """A token FCM never issued has no registration."""
    assert registry.lookup("fGw0qy4TGgk:APA91b" + "x" * 134) is None


def test_connected_phone_gets_push_at_once(
    registry: FcmRegistry, events: list[ProviderEvent]
) -> None:
    """A push to an online phone reaches its inbox and NotificationDelivered is emitted."""
    token = registry.register("phone-1", APP)
    inbox = Inbox()
    registry.connect("phone-1", inbox)
    assert send(registry, token, "m1") is Delivery.DELIVERED
    assert inbox.pushes == [(token, "m1", {"priority": "high"}, {"data": {"n": "m1"}})]
    [delivered] = of(events, NotificationDelivered)
    assert (delivered.push_id, delivered.from_storage) == ("m1", False)


def test_offline_push_is_stored_then_flushed_on_connect(
    registry: FcmRegistry, events: list[ProviderEvent]
) -> None:
    """Offline, the push is stored; on connect it is delivered with from_storage=True."""
    token = registry.register("phone-1", APP)
    assert send(registry, token, "m1") is Delivery.STORED
    assert [e.push_id for e in of(events, NotificationStored)] == ["m1"]
    inbox = Inbox()
    registry.connect("phone-1", inbox)
    assert inbox.ids == ["m1"]
    assert of(events, NotificationDelivered)[0].from_storage is True
    assert registry.pending_count(token) == 0


def test_disconnect_stores_again(registry: FcmRegistry) -> None:
    """After disconnect, pushes wait for the next connect."""
    token = registry.register("phone-1", APP)
    inbox = Inbox()
    registry.connect("phone-1", inbox)
    registry.disconnect("phone-1")
    assert send(registry, token, "m1") is Delivery.STORED
    assert inbox.pushes == []


def test_ttl_zero_offline_is_discarded(registry: FcmRegistry, events: list[ProviderEvent]) -> None:
    """ttl 0 means now or never: an offline phone never gets it (reference §5)."""
    token = registry.register("phone-1", APP)
    assert send(registry, token, "m1", ttl="0") is Delivery.DISCARDED
    assert [(e.push_id, e.reason) for e in of(events, NotificationDiscarded)] == [
        ("m1", "ttl_zero")
    ]
    inbox = Inbox()
    registry.connect("phone-1", inbox)
    assert inbox.pushes == []


def test_expired_ttl_at_connect_is_discarded(
    registry: FcmRegistry, clock: ManualClock, events: list[ProviderEvent]
) -> None:
    """A stored push whose TTL ran out before the phone came back is dropped."""
    token = registry.register("phone-1", APP)
    send(registry, token, "short", ttl="60")
    send(registry, token, "long", ttl="3600")
    clock.advance(61)
    inbox = Inbox()
    registry.connect("phone-1", inbox)
    assert inbox.ids == ["long"]
    assert [(e.push_id, e.reason) for e in of(events, NotificationDiscarded)] == [
        ("short", "expired")
    ]


def test_same_collapse_key_replaces(registry: FcmRegistry, events: list[ProviderEvent]) -> None:
    """A newer push with the same collapse_key replaces the stored one (reference §5)."""
    token = registry.register("phone-1", APP)
    send(registry, token, "old", collapse_key="score")
    send(registry, token, "other", collapse_key="news")
    send(registry, token, "new", collapse_key="score")
    inbox = Inbox()
    registry.connect("phone-1", inbox)
    assert sorted(inbox.ids) == ["new", "other"]
    assert [(e.push_id, e.reason) for e in of(events, NotificationDiscarded)] == [
        ("old", "collapsed")
    ]


def test_at_most_four_collapse_keys_are_kept(registry: FcmRegistry) -> None:
    """FCM stores at most 4 collapse keys per device (reference §0.13)."""
    token = registry.register("phone-1", APP)
    for i in range(5):
        send(registry, token, f"m{i}", collapse_key=f"k{i}")
    inbox = Inbox()
    registry.connect("phone-1", inbox)
    assert len(inbox.ids) == 4
    assert "m4" in inbox.ids


def test_hundred_pending_are_kept(registry: FcmRegistry) -> None:
    """Up to 100 non-collapsible pushes wait for the phone."""
    token = registry.register("phone-1", APP)
    for i in range(100):
        assert send(registry, token, f"m{i}") is Delivery.STORED
    inbox = Inbox()
    registry.connect("phone-1", inbox)
    assert len(inbox.pushes) == 100


def test_over_hundred_pending_drops_all_and_signals_deleted_messages(
    registry: FcmRegistry, events: list[ProviderEvent]
) -> None:
    """Past 100 pending, all are dropped and the app gets deleted_messages on connect (§5)."""
    token = registry.register("phone-1", APP)
    for i in range(101):
        send(registry, token, f"m{i}")
    discarded = of(events, NotificationDiscarded)
    assert len(discarded) == 101 and {e.reason for e in discarded} == {"too_many_pending"}
    send(registry, token, "after")
    inbox = Inbox()
    registry.connect("phone-1", inbox)
    assert inbox.pushes[0][3] == DELETED_MESSAGES_PAYLOAD
    assert inbox.ids[1:] == ["after"]


def test_uninstall_alone_keeps_the_token_working(registry: FcmRegistry) -> None:
    """FCM does not know of an uninstall until the phone tells it: sends are still accepted and
    stored for the phone (Google's documented flow, devices.md §2.6)."""
    token = registry.register("phone-1", APP)
    registry.unregister(token)
    assert registry.lookup(token).active  # type: ignore[union-attr]
    assert send(registry, token, "m1") is Delivery.STORED


def test_the_phones_report_makes_the_token_unregistered(
    registry: FcmRegistry, events: list[ProviderEvent]
) -> None:
    """Once the phone reports the app gone, the token is inactive, what was stored for it is
    dropped and sends are refused."""
    token = registry.register("phone-1", APP)
    send(registry, token, "m1")
    registry.unregister(token)
    registry.report_app_removed(token)
    registration = registry.lookup(token)
    assert registration is not None
    assert (registration.active, registration.invalidated_reason) == (False, "uninstalled")
    assert send(registry, token, "m2") is Delivery.UNREGISTERED
    [invalidated] = of(events, TokenInvalidated)
    assert (invalidated.reason, invalidated.app_id, invalidated.phone_id) == (
        "uninstalled", APP, "phone-1"
    )  # fmt: skip
    assert [e.reason for e in of(events, NotificationDiscarded)] == ["uninstalled"]


def test_a_push_for_an_uninstalled_app_reaches_the_phone_that_reports_it(
    registry: FcmRegistry,
) -> None:
    """The first push after an uninstall is delivered; the phone's report ends the token."""

    class ReportingInbox(Inbox):
        def push_arrived(self, token: str, *rest: Any) -> None:
            super().push_arrived(token, *rest)
            registry.report_app_removed(token)

    inbox = ReportingInbox()
    registry.connect("phone-1", inbox)
    token = registry.register("phone-1", APP)
    registry.unregister(token)
    assert send(registry, token, "m1") is Delivery.DELIVERED
    assert inbox.ids == ["m1"]
    assert send(registry, token, "m2") is Delivery.UNREGISTERED


def test_immediate_mode_ends_the_token_at_uninstall(registry: FcmRegistry) -> None:
    """uninstall_invalidation="immediate" (a test switch) needs no report from the phone."""
    registry.uninstall_invalidation = "immediate"
    token = registry.register("phone-1", APP)
    registry.unregister(token)
    assert send(registry, token, "m1") is Delivery.UNREGISTERED


def test_reinstall_gets_a_new_token(registry: FcmRegistry) -> None:
    """An uninstalled token is never handed out again."""
    token = registry.register("phone-1", APP)
    registry.unregister(token)
    assert registry.register("phone-1", APP) != token


def test_token_of_a_phone_silent_270_days_is_still_valid(
    registry: FcmRegistry, clock: ManualClock
) -> None:
    """Exactly 270 days offline is not yet stale."""
    token = registry.register("phone-1", APP)
    clock.advance(270 * DAY)
    registration = registry.lookup(token)
    assert registration is not None and registration.active


def test_token_of_a_phone_silent_over_270_days_is_stale(
    registry: FcmRegistry, clock: ManualClock, events: list[ProviderEvent]
) -> None:
    """Over 270 days without connecting, the token expires, noticed once (reference §0.14)."""
    token = registry.register("phone-1", APP)
    registry.connect("phone-1", Inbox())
    registry.disconnect("phone-1")
    clock.advance(271 * DAY)
    for _ in range(2):
        registration = registry.lookup(token)
        assert registration is not None
        assert (registration.active, registration.invalidated_reason) == (False, "stale")
    assert [e.reason for e in of(events, TokenInvalidated)] == ["stale"]


def test_connected_phone_never_goes_stale(registry: FcmRegistry, clock: ManualClock) -> None:
    """A phone that stays online keeps its token however long."""
    token = registry.register("phone-1", APP)
    registry.connect("phone-1", Inbox())
    clock.advance(400 * DAY)
    registration = registry.lookup(token)
    assert registration is not None and registration.active


def test_stale_token_stays_dead_after_reconnect(registry: FcmRegistry, clock: ManualClock) -> None:
    """A phone back after 271 days keeps its expired token dead and gets a new one."""
    token = registry.register("phone-1", APP)
    clock.advance(271 * DAY)
    registry.connect("phone-1", Inbox())
    registration = registry.lookup(token)
    assert registration is not None and not registration.active
    fresh = registry.register("phone-1", APP)
    assert fresh != token
    assert send(registry, fresh, "m1") is Delivery.DELIVERED
