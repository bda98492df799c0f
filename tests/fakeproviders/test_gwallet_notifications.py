"""Notifications of the fake Wallet API: what notifies, the per-pass quota, syncing to phones."""

from __future__ import annotations

import pytest

from fakeproviders.gwallet import WalletQuotaExceeded

from .gwallet_support import DAY, ISSUER, OBJECT_ID, Harness, body

NOTIFY = {"notifyPreference": "NOTIFY_ON_UPDATE"}


@pytest.fixture
def wallet() -> Harness:
    harness = Harness()
    harness.card()
    return harness


def points(value: int, **extra: object) -> dict[str, object]:
    return {"loyaltyPoints": {"balance": {"int": value}}, **extra}


def test_text_and_notify_message_notifies(wallet: Harness) -> None:
    """A TEXT_AND_NOTIFY message reaches the holder with a notice carrying header and body."""
    phone = wallet.holder()
    wallet.message(messageType="TEXT_AND_NOTIFY")
    (notice,) = phone.notices
    assert (notice.kind, notice.header, notice.body) == ("message", "Hi", "Coffee on us")


def test_text_message_syncs_without_notifying(wallet: Harness) -> None:
    """A TEXT message updates the pass's back only."""
    phone = wallet.holder()
    wallet.message(messageType="TEXT")
    assert phone.notices == []
    assert phone.synced[-1][1]["object"]["messages"][0]["messageType"] == "TEXT"


def test_allowlisted_update_with_notify_on_update_notifies(wallet: Harness) -> None:
    """NOTIFY_ON_UPDATE with loyaltyPoints.balance changed notifies, naming the field."""
    phone = wallet.holder()
    wallet.patch(OBJECT_ID, points(20, **NOTIFY))
    (notice,) = phone.notices
    assert (notice.kind, notice.fields) == ("update", ("loyaltyPoints.balance",))


@pytest.mark.parametrize(
    "patch",
    [points(20), points(10, **NOTIFY), {"accountName": "Alice", **NOTIFY}],
    ids=["no-preference", "unchanged-balance", "field-not-allowlisted"],
)
def test_updates_that_do_not_notify(wallet: Harness, patch: dict[str, object]) -> None:
    """Without NOTIFY_ON_UPDATE, or with no allowlisted field changed, the pass syncs silently."""
    phone = wallet.holder()
    assert wallet.patch(OBJECT_ID, patch).status == 200
    assert phone.notices == []
    assert len(phone.synced) == 1


def test_fourth_notification_in_a_day_is_quota_exceeded(wallet: Harness) -> None:
    """Messages and updates together: three notify, the fourth is 403 quotaExceeded as Google
    words it, with no status, and the message is not added (§7, [S-G1])."""
    phone = wallet.holder()
    wallet.message(messageType="TEXT_AND_NOTIFY")
    wallet.patch(OBJECT_ID, points(20, **NOTIFY))
    wallet.message(messageType="TEXT_AND_NOTIFY")
    reply = wallet.message(header="4th", messageType="TEXT_AND_NOTIFY")
    text = (
        f"Quota exceeded for issuer ({ISSUER}) when adding TEXT_AND_NOTIFY message to object "
        f"{OBJECT_ID}."
    )
    assert reply.status == 403
    assert body(reply) == {
        "error": {
            "code": 403,
            "message": text,
            "errors": [{"message": text, "domain": "walletobjects", "reason": "quotaExceeded"}],
        }
    }
    assert len(phone.notices) == 3
    assert [e.used for e in wallet.events if isinstance(e, WalletQuotaExceeded)] == [3]
    stored = body(wallet.api.get("loyaltyObject", OBJECT_ID, "Bearer ya29.wallet"))
    assert "4th" not in [m["header"] for m in stored["messages"]]


def test_text_message_still_goes_over_quota(wallet: Harness) -> None:
    """Over the quota, Google's advice works: the same message as TEXT is accepted."""
    wallet.holder()
    for _ in range(3):
        wallet.message(messageType="TEXT_AND_NOTIFY")
    assert wallet.message(messageType="TEXT").status == 200


def test_quota_window_rolls_after_24_hours(wallet: Harness) -> None:
    """The window is 24 h on the injected clock: a day after the first, one more notifies."""
    phone = wallet.holder()
    for _ in range(3):
        wallet.message(messageType="TEXT_AND_NOTIFY")
        wallet.clock.advance(60)
    wallet.clock.advance(DAY - 180)
    assert wallet.message(messageType="TEXT_AND_NOTIFY").status == 200
    assert len(phone.notices) == 4


def test_quota_is_per_pass(wallet: Harness) -> None:
    """Another pass of the same class has its own three."""
    from .gwallet_support import loyalty_object

    wallet.insert("loyaltyObject", loyalty_object(f"{ISSUER}.bob"))
    for _ in range(3):
        wallet.message(messageType="TEXT_AND_NOTIFY")
    assert wallet.message(f"{ISSUER}.bob", messageType="TEXT_AND_NOTIFY").status == 200


def test_update_over_quota_is_refused_by_default(wallet: Harness) -> None:
    """A notifying update over the quota is 403 and changes nothing (refuse_update_over_quota)."""
    wallet.holder()
    for _ in range(3):
        wallet.message(messageType="TEXT_AND_NOTIFY")
    reply = wallet.patch(OBJECT_ID, points(99, **NOTIFY))
    assert (reply.status, reply.reason) == (403, "quotaExceeded")
    stored = body(wallet.api.get("loyaltyObject", OBJECT_ID, "Bearer ya29.wallet"))
    assert stored["loyaltyPoints"]["balance"] == {"int": 10}


def test_update_over_quota_can_apply_silently() -> None:
    """refuse_update_over_quota=False: the update is applied and synced without a notice."""
    wallet = Harness(refuse_update_over_quota=False)
    wallet.card()
    phone = wallet.holder()
    for _ in range(3):
        wallet.message(messageType="TEXT_AND_NOTIFY")
    assert wallet.patch(OBJECT_ID, points(99, **NOTIFY)).status == 200
    assert len(phone.notices) == 3
    assert phone.synced[-1][1]["object"]["loyaltyPoints"]["balance"] == {"int": 99}


def test_quota_limit_is_an_option() -> None:
    """notifications_per_window sets the limit."""
    wallet = Harness(notifications_per_window=1)
    wallet.card()
    assert wallet.message(messageType="TEXT_AND_NOTIFY").status == 200
    assert wallet.message(messageType="TEXT_AND_NOTIFY").status == 403


def test_offline_phone_gets_latest_data_and_missed_notices(wallet: Harness) -> None:
    """A disconnected holder gets the latest version and each missed notice when it reconnects."""
    phone = wallet.holder()
    wallet.api.disconnect("pixel-1")
    wallet.patch(OBJECT_ID, points(20, **NOTIFY))
    wallet.patch(OBJECT_ID, points(30))
    assert phone.synced == []
    wallet.api.connect("pixel-1", phone)
    assert [n.kind for n in phone.notices] == ["update"]
    assert phone.synced[-1][1]["object"]["loyaltyPoints"]["balance"] == {"int": 30}


def test_removed_pass_is_no_longer_synced(wallet: Harness) -> None:
    """After the user removes the pass, changes no longer reach that phone."""
    phone = wallet.holder()
    wallet.api.remove("pixel-1", OBJECT_ID)
    wallet.message(messageType="TEXT_AND_NOTIFY")
    assert phone.synced == []


def test_class_tier_update_notifies_every_pass(wallet: Harness) -> None:
    """A class PATCH changing rewardsTier with NOTIFY_ON_UPDATE notifies each pass of the class,
    each counted against its own quota; a pass over it gets the update without a notice."""
    from .gwallet_support import CLASS_ID, loyalty_object

    wallet.insert("loyaltyObject", loyalty_object(f"{ISSUER}.bob"))
    alice, bob = wallet.holder("p1"), wallet.holder("p2", f"{ISSUER}.bob")
    for _ in range(3):
        wallet.message(f"{ISSUER}.bob", messageType="TEXT_AND_NOTIFY")
    raw = b'{"rewardsTier": "Gold", "notifyPreference": "NOTIFY_ON_UPDATE"}'
    reply = wallet.api.update("loyaltyClass", CLASS_ID, "Bearer ya29.wallet", raw, patch=True)
    assert reply.status == 200
    assert [n.fields for n in alice.notices] == [("rewardsTier",)]
    assert len(bob.notices) == 3 and bob.synced[-1][1]["class"]["rewardsTier"] == "Gold"
