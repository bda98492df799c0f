"""Token lifecycle in the APNs registry: uninstall (Apple's rule), rotation, expiry, environments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from fakeproviders.apns import ApnsOptions, ApnsRegistry
from fakeproviders.events import NotificationDiscarded, ProviderEvent, TokenInvalidated

APP = "com.example.app"
T0 = 1_700_000_000.0
PAYLOAD = {"aps": {"alert": "hi"}}
NO_DELAY = ApnsOptions(invalidation_delay=0.0)


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.t = now

    def now(self) -> float:
        return self.t


class Inbox:
    def __init__(self) -> None:
        self.pushes: list[str] = []

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        self.pushes.append(push_id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_uninstalled_token_stays_valid_until_a_push_reaches_the_phone(clock: FakeClock) -> None:
    """After uninstall the token is still valid (200) while no push has reached the phone."""
    registry = ApnsRegistry(clock)
    token = registry.register("p1", APP)
    registry.unregister(token)
    clock.t += 40 * 86_400
    record = registry.lookup(token)
    assert record is not None and record.invalidated_at is None


def test_uninstalled_token_is_invalid_once_a_push_reached_the_phone(clock: FakeClock) -> None:
    """The first push delivered after the deletion makes the token invalid (delay 0)."""
    events: list[ProviderEvent] = []
    registry = ApnsRegistry(clock, events.append, options=NO_DELAY)
    token = registry.register("p1", APP)
    registry.connect("p1", Inbox())
    registry.unregister(token)
    clock.t += 5
    registry.deliver(token, "id-1", {}, PAYLOAD)
    record = registry.lookup(token)
    assert record is not None and record.invalidated_at == T0 + 5
    invalidated = [e for e in events if isinstance(e, TokenInvalidated)]
    assert [(e.at, e.reason) for e in invalidated] == [(T0 + 5, "uninstalled")]


def test_invalidation_delay_postpones_the_410(clock: FakeClock) -> None:
    """With invalidation_delay, the token turns invalid that long after the push reached it."""
    registry = ApnsRegistry(clock, options=ApnsOptions(invalidation_delay=3600.0))
    token = registry.register("p1", APP)
    registry.connect("p1", Inbox())
    registry.unregister(token)
    registry.deliver(token, "id-1", {}, PAYLOAD)
    clock.t += 3599
    assert registry.lookup(token).invalidated_at is None  # type: ignore[union-attr]
    clock.t += 1
    assert registry.lookup(token).invalidated_at == T0 + 3600  # type: ignore[union-attr]


def test_stored_push_delivered_after_uninstall_triggers_invalidation(clock: FakeClock) -> None:
    """A push stored while offline and delivered after the deletion counts as reaching it."""
    registry = ApnsRegistry(clock, options=NO_DELAY)
    token = registry.register("p1", APP)
    registry.deliver(token, "id-1", {}, PAYLOAD)
    registry.unregister(token)
    clock.t += 10
    registry.connect("p1", Inbox())
    assert registry.lookup(token).invalidated_at == T0 + 10  # type: ignore[union-attr]


def test_rotate_issues_a_new_token_for_the_same_app_and_phone(clock: FakeClock) -> None:
    """rotate() returns a new token of the same app and phone; the old one keeps working."""
    registry = ApnsRegistry(clock)
    old = registry.register("p1", APP)
    new = registry.rotate(old)
    assert new != old
    record = registry.lookup(new)
    assert record is not None and (record.app_id, record.phone_id) == (APP, "p1")
    assert registry.lookup(old).invalidated_at is None  # type: ignore[union-attr]
    assert registry.register("p1", APP) == new


def test_rotated_token_lifetime_ends_the_old_token(clock: FakeClock) -> None:
    """With rotated_token_lifetime, the old token turns Unregistered that long after rotation."""
    registry = ApnsRegistry(clock, options=ApnsOptions(rotated_token_lifetime=60.0))
    old = registry.register("p1", APP)
    registry.rotate(old)
    clock.t += 60
    record = registry.lookup(old)
    assert record is not None
    assert (record.invalidated_at, record.invalid_reason) == (T0 + 60, "Unregistered")


def test_expire_makes_the_token_expired_token(clock: FakeClock) -> None:
    """expire() gives the token the 410 reason ExpiredToken from now on."""
    registry = ApnsRegistry(clock)
    token = registry.register("p1", APP)
    registry.expire(token)
    record = registry.lookup(token)
    assert record is not None
    assert (record.invalidated_at, record.invalid_reason) == (T0, "ExpiredToken")


def test_register_in_another_environment_gives_another_token(clock: FakeClock) -> None:
    """The same app on the same phone has distinct sandbox and production tokens."""
    registry = ApnsRegistry(clock)
    sandbox = registry.register("p1", APP)
    production = registry.register("p1", APP, "production")
    assert sandbox != production
    assert registry.lookup(production).environment == "production"  # type: ignore[union-attr]


def test_same_collapse_id_replaces_the_stored_push_as_collapsed(clock: FakeClock) -> None:
    """A stored push replaced by one with the same apns-collapse-id is discarded as collapsed."""
    events: list[ProviderEvent] = []
    registry = ApnsRegistry(clock, events.append)
    token = registry.register("p1", APP)
    registry.deliver(token, "id-1", {"apns-collapse-id": "score"}, PAYLOAD)
    registry.deliver(token, "id-2", {"apns-collapse-id": "score"}, PAYLOAD)
    discarded = [e for e in events if isinstance(e, NotificationDiscarded)]
    assert [(e.push_id, e.reason) for e in discarded] == [("id-1", "collapsed")]
    assert registry.stored_push_id(token) == "id-2"


def test_default_invalidation_delay_is_a_day_after_the_push_reached_the_phone(
    clock: FakeClock,
) -> None:
    """By default the 410 comes one day after the first push that reached the phone post-uninstall."""
    registry = ApnsRegistry(clock)
    token = registry.register("p1", APP)
    registry.connect("p1", Inbox())
    registry.unregister(token)
    registry.deliver(token, "id-1", {}, PAYLOAD)
    clock.t += 86_399
    assert registry.lookup(token).invalidated_at is None  # type: ignore[union-attr]
    clock.t += 1
    assert registry.lookup(token).invalidated_at == T0 + 86_400  # type: ignore[union-attr]


def test_invalidation_delay_can_change_while_running(clock: FakeClock) -> None:
    """A delay set on the running registry applies to uninstalls triggered afterwards."""
    registry = ApnsRegistry(clock)
    registry.invalidation_delay = 60.0
    token = registry.register("p1", APP)
    registry.connect("p1", Inbox())
    registry.unregister(token)
    registry.deliver(token, "id-1", {}, PAYLOAD)
    clock.t += 60
    assert registry.lookup(token).invalidated_at == T0 + 60  # type: ignore[union-attr]


def test_special_tokens_are_separate_per_kind_and_activity(clock: FakeClock) -> None:
    """Each kind (and each Live Activity) gets its own token, stable while valid."""
    registry = ApnsRegistry(clock)
    tokens = {
        kind: registry.register("p1", APP, kind=kind)
        for kind in ("notification", "voip", "pushtostart", "pushtotalk", "location")
    }
    first = registry.register("p1", APP, kind="liveactivity", activity_id="a1")
    second = registry.register("p1", APP, kind="liveactivity", activity_id="a2")
    assert len({*tokens.values(), first, second}) == 7
    assert registry.register("p1", APP, kind="voip") == tokens["voip"]
    record = registry.lookup(first)
    assert record is not None and (record.kind, record.activity_id) == ("liveactivity", "a1")


def test_a_live_activity_token_needs_its_activity(clock: FakeClock) -> None:
    """register() refuses a liveactivity token without an activity id, and an unknown kind."""
    registry = ApnsRegistry(clock)
    with pytest.raises(ValueError, match="activity_id"):
        registry.register("p1", APP, kind="liveactivity")
    with pytest.raises(ValueError, match="kind"):
        registry.register("p1", APP, kind="fax")
