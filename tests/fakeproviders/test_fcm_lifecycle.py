"""Token lifecycle in the FCM registry: rotation, uninstall delay, projects, iOS storage."""

from __future__ import annotations

import pytest

from fakeproviders.events import NotificationDiscarded, TokenInvalidated
from fakeproviders.fcm.registry import Delivery, FcmRegistry, UnknownToken
from tests.fakeproviders.fcm_support import APP, DAY, PROJECT, Inbox, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def events() -> list[object]:
    return []


@pytest.fixture
def registry(clock: ManualClock, events: list[object]) -> FcmRegistry:
    return FcmRegistry(clock, events.append, PROJECT)


def test_rotate_issues_a_new_token_and_kills_the_old_one(registry: FcmRegistry) -> None:
    """rotate() returns a new token; by default the old one is UNREGISTERED at once."""
    old = registry.register("phone-1", APP)
    new = registry.rotate(old)
    assert new != old
    assert registry.lookup(new).active  # type: ignore[union-attr]
    old_state = registry.lookup(old)
    assert old_state is not None
    assert (old_state.active, old_state.invalidated_reason) == (False, "rotated")
    assert registry.register("phone-1", APP) == new


def test_old_token_works_during_the_rotation_grace(
    registry: FcmRegistry, clock: ManualClock, events: list[object]
) -> None:
    """With rotation_grace, the old token stays valid that long, then dies (noticed lazily, and
    stamped with the time it died)."""
    registry.rotation_grace = 600.0
    rotated_at = clock.now()
    old = registry.register("phone-1", APP)
    registry.rotate(old)
    clock.advance(599)
    assert registry.lookup(old).active  # type: ignore[union-attr]
    clock.advance(2)
    assert not registry.lookup(old).active  # type: ignore[union-attr]
    [dead] = [e for e in events if isinstance(e, TokenInvalidated)]
    assert (dead.reason, dead.at) == ("rotated", rotated_at + 600)


def test_rotate_does_not_carry_topics_over(registry: FcmRegistry) -> None:
    """Topics belong to the old app instance: the new token starts with none."""
    old = registry.register("phone-1", APP)
    registry.subscribe(old, "news")
    new = registry.rotate(old)
    assert registry.topics_of(new) == {}


def test_rotate_of_an_unknown_token_raises(registry: FcmRegistry) -> None:
    """rotate() of a token FCM never issued is an error."""
    with pytest.raises(UnknownToken):
        registry.rotate("never:issued")


def test_uninstall_delay_keeps_the_token_valid_for_a_while(
    registry: FcmRegistry, clock: ManualClock
) -> None:
    """With uninstall_delay, sends still work that long after the phone's report, then
    UNREGISTERED."""
    registry.uninstall_delay = 3600.0
    token = registry.register("phone-1", APP)
    registry.unregister(token)
    registry.report_app_removed(token)  # a push reached the phone, which said so
    clock.advance(3599)
    assert registry.lookup(token).active  # type: ignore[union-attr]
    clock.advance(1)
    state = registry.lookup(token)
    assert state is not None
    assert (state.active, state.invalidated_reason) == (False, "uninstalled")


def test_reinstall_during_the_uninstall_delay_gets_a_new_token(registry: FcmRegistry) -> None:
    """A reinstall never gets back a token whose death is scheduled."""
    registry.uninstall_delay = 3600.0
    token = registry.register("phone-1", APP)
    registry.unregister(token)
    assert registry.register("phone-1", APP) != token


def test_uninstall_drops_topic_subscriptions(registry: FcmRegistry) -> None:
    """Dead tokens' topic subscriptions are garbage-collected (reference §5)."""
    token = registry.register("phone-1", APP)
    registry.subscribe(token, "news")
    registry.unregister(token)
    registry.report_app_removed(token)  # a push reached the phone, which said so
    assert registry.topics.subscribers("news") == []


def test_same_app_in_two_projects_has_two_tokens(registry: FcmRegistry) -> None:
    """A token belongs to one project (sender); another project's registration is separate."""
    mine = registry.register("phone-1", APP)
    theirs = registry.register("phone-1", APP, project_id="other")
    assert mine != theirs
    assert registry.lookup(theirs).project_id == "other"  # type: ignore[union-attr]


def test_ios_offline_keeps_only_the_newest_push(
    registry: FcmRegistry, events: list[object]
) -> None:
    """An offline iOS app gets only the newest push, as APNs stores one per app."""
    token = registry.register("iphone", APP, platform="ios")
    results = [registry.deliver(token, f"m{i}", {}, {"aps": {}}) for i in range(3)]
    assert results == [Delivery.STORED] * 3
    assert registry.pending_count(token) == 1
    inbox = Inbox()
    registry.connect("iphone", inbox)
    assert inbox.ids == ["m2"]
    assert [e.reason for e in events if isinstance(e, NotificationDiscarded)] == ["replaced"] * 2


def test_ios_push_expires_at_apns_expiration(registry: FcmRegistry, clock: ManualClock) -> None:
    """A stored iOS push past its apns-expiration is dropped when the phone comes back."""
    token = registry.register("iphone", APP, platform="ios")
    expiry = str(int(clock.now() + DAY))
    registry.deliver(token, "m1", {"apns-expiration": expiry}, {"aps": {}})
    clock.advance(2 * DAY)
    inbox = Inbox()
    registry.connect("iphone", inbox)
    assert inbox.pushes == []


def test_ios_apns_expiration_zero_is_now_or_never(registry: FcmRegistry) -> None:
    """apns-expiration 0 to an offline iPhone is discarded, never stored."""
    token = registry.register("iphone", APP, platform="ios")
    result = registry.deliver(token, "m1", {"apns-expiration": "0"}, {"aps": {}})
    assert result is Delivery.DISCARDED


def test_registrations_lists_every_token(registry: FcmRegistry) -> None:
    """registrations() shows every token issued with its platform and state."""
    android = registry.register("a", APP)
    ios = registry.register("b", APP, platform="ios")
    registry.unregister(android)
    registry.report_app_removed(android)  # a push reached the phone, which said so
    states = {r.token: (r.platform, r.active) for r in registry.registrations()}
    assert states == {android: ("android", False), ios: ("ios", True)}
