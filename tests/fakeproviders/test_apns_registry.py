from __future__ import annotations

import re

import pytest

from fakeproviders.apns import ApnsOptions, ApnsRegistry, UnknownToken
from fakeproviders.events import (
    NotificationDelivered,
    NotificationDiscarded,
    NotificationStored,
    ProviderEvent,
    TokenInvalidated,
    TokenIssued,
)
from tests.doubles import Inbox, ManualClock

APP = "com.example.app"
T0 = 1_700_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def events() -> list[ProviderEvent]:
    return []


@pytest.fixture
def registry(clock: ManualClock, events: list[ProviderEvent]) -> ApnsRegistry:
    return ApnsRegistry(clock, events.append)


PAYLOAD = {"aps": {"alert": "hi"}}


def test_register_issues_64_lowercase_hex() -> None:
    """A token is 32 random bytes as 64 lowercase hex, announced as TokenIssued."""
    events: list[ProviderEvent] = []
    token = ApnsRegistry(ManualClock(T0), events.append).register("p1", APP)
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert events == [TokenIssued(at=T0, provider="apns", token=token, app_id=APP, phone_id="p1")]


def test_register_again_returns_the_same_token(registry: ApnsRegistry) -> None:
    """An app asking again while its token is valid gets the same token."""
    assert registry.register("p1", APP) == registry.register("p1", APP)


def test_lookup_returns_the_record(registry: ApnsRegistry) -> None:
    """lookup() tells which app and phone a token belongs to; unknown tokens give None."""
    token = registry.register("p1", APP)
    record = registry.lookup(token)
    assert record is not None
    assert (record.app_id, record.phone_id, record.invalidated_at) == (APP, "p1", None)
    assert registry.lookup("00" * 32) is None


def test_unregister_in_immediate_mode_invalidates_at_the_clock_time(
    clock: ManualClock, events: list[ProviderEvent]
) -> None:
    """In the "immediate" test mode, uninstall marks the token invalid at clock.now()."""
    registry = ApnsRegistry(
        clock, events.append, options=ApnsOptions(uninstall_invalidation="immediate")
    )
    token = registry.register("p1", APP)
    clock.t += 60
    registry.unregister(token)
    record = registry.lookup(token)
    assert record is not None and record.invalidated_at == T0 + 60
    assert events[-1] == TokenInvalidated(
        at=T0 + 60, provider="apns", token=token, app_id=APP, phone_id="p1", reason="uninstalled"
    )


def test_register_after_uninstall_issues_a_new_token(registry: ApnsRegistry) -> None:
    """Reinstalling after an uninstall gives a fresh token."""
    old = registry.register("p1", APP)
    registry.unregister(old)
    assert registry.register("p1", APP) != old


def test_unregister_unknown_token_raises(registry: ApnsRegistry) -> None:
    """Unregistering a token never issued is an UnknownToken error."""
    with pytest.raises(UnknownToken):
        registry.unregister("ab" * 32)


def test_deliver_to_connected_phone_reaches_its_inbox(
    registry: ApnsRegistry, events: list[ProviderEvent]
) -> None:
    """A connected phone gets the push at once, and NotificationDelivered is emitted."""
    token = registry.register("p1", APP)
    inbox = Inbox()
    registry.connect("p1", inbox)
    registry.deliver(token, "id-1", {"apns-priority": "10"}, PAYLOAD)
    assert inbox.pushes == [(token, "id-1", {"apns-priority": "10"}, PAYLOAD)]
    assert events[-1] == NotificationDelivered(
        at=T0, provider="apns", push_id="id-1", token=token, phone_id="p1"
    )


def test_offline_push_is_stored_then_flushed_on_connect(
    registry: ApnsRegistry, events: list[ProviderEvent]
) -> None:
    """An offline phone's push is stored, and handed over from storage when it connects."""
    token = registry.register("p1", APP)
    registry.deliver(token, "id-1", {}, PAYLOAD)
    assert events[-1] == NotificationStored(
        at=T0, provider="apns", push_id="id-1", token=token, phone_id="p1"
    )
    inbox = Inbox()
    registry.connect("p1", inbox)
    assert [p[1] for p in inbox.pushes] == ["id-1"]
    assert events[-1:] == [
        NotificationDelivered(
            at=T0, provider="apns", push_id="id-1", token=token, phone_id="p1", from_storage=True
        )
    ]
    assert registry.stored_push_id(token) is None


def test_only_the_newest_push_per_app_is_stored(
    registry: ApnsRegistry, events: list[ProviderEvent]
) -> None:
    """A second offline push replaces the first, which is discarded as "replaced"."""
    token = registry.register("p1", APP)
    registry.deliver(token, "id-1", {}, PAYLOAD)
    registry.deliver(token, "id-2", {}, PAYLOAD)
    assert (
        NotificationDiscarded(
            at=T0, provider="apns", push_id="id-1", token=token, phone_id="p1", reason="replaced"
        )
        in events
    )
    inbox = Inbox()
    registry.connect("p1", inbox)
    assert [p[1] for p in inbox.pushes] == ["id-2"]


def test_each_app_keeps_its_own_stored_push(registry: ApnsRegistry) -> None:
    """Storage is one push per app, so two apps on one phone each keep one."""
    a = registry.register("p1", APP)
    b = registry.register("p1", "com.example.other")
    registry.deliver(a, "id-a", {}, PAYLOAD)
    registry.deliver(b, "id-b", {}, PAYLOAD)
    inbox = Inbox()
    registry.connect("p1", inbox)
    assert sorted(p[1] for p in inbox.pushes) == ["id-a", "id-b"]


def test_expiration_zero_while_offline_is_discarded(
    registry: ApnsRegistry, events: list[ProviderEvent]
) -> None:
    """apns-expiration 0 means one attempt: an offline phone loses it, reason "expired"."""
    token = registry.register("p1", APP)
    registry.deliver(token, "id-1", {"apns-expiration": "0"}, PAYLOAD)
    assert events[-1] == NotificationDiscarded(
        at=T0, provider="apns", push_id="id-1", token=token, phone_id="p1", reason="expired"
    )
    assert registry.stored_push_id(token) is None


def test_stored_push_past_its_expiration_is_discarded_on_connect(
    registry: ApnsRegistry, clock: ManualClock, events: list[ProviderEvent]
) -> None:
    """A stored push whose apns-expiration passed before the phone connects is discarded."""
    token = registry.register("p1", APP)
    registry.deliver(token, "id-1", {"apns-expiration": str(int(T0) + 60)}, PAYLOAD)
    clock.t += 61
    inbox = Inbox()
    registry.connect("p1", inbox)
    assert inbox.pushes == []
    assert events[-1] == NotificationDiscarded(
        at=T0 + 61, provider="apns", push_id="id-1", token=token, phone_id="p1", reason="expired"
    )


def test_push_without_expiration_is_kept_for_30_days(
    registry: ApnsRegistry, clock: ManualClock
) -> None:
    """Without apns-expiration a stored push lives 30 days, no longer."""
    token = registry.register("p1", APP)
    registry.deliver(token, "id-1", {}, PAYLOAD)
    clock.t += 30 * 24 * 3600 + 1
    inbox = Inbox()
    registry.connect("p1", inbox)
    assert inbox.pushes == []


def test_disconnect_makes_later_pushes_stored(registry: ApnsRegistry) -> None:
    """After disconnect, pushes are stored instead of delivered."""
    token = registry.register("p1", APP)
    inbox = Inbox()
    registry.connect("p1", inbox)
    registry.disconnect("p1")
    registry.deliver(token, "id-1", {}, PAYLOAD)
    assert inbox.pushes == []
    assert registry.stored_push_id(token) == "id-1"


def test_uninstall_in_immediate_mode_discards_the_stored_push(
    clock: ManualClock, events: list[ProviderEvent]
) -> None:
    """In the "immediate" mode, the stored push of an uninstalled app is discarded."""
    registry = ApnsRegistry(
        clock, events.append, options=ApnsOptions(uninstall_invalidation="immediate")
    )
    token = registry.register("p1", APP)
    registry.deliver(token, "id-1", {}, PAYLOAD)
    registry.unregister(token)
    discarded = [e for e in events if isinstance(e, NotificationDiscarded)]
    assert [(e.push_id, e.reason) for e in discarded] == [("id-1", "unregistered")]
