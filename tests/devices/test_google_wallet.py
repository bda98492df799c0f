"""Google Wallet on the Android phone: saving, syncing, notifications and the user's switches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from devices import events as ev
from devices import wallet_events as wev
from devices.errors import DeviceError
from devices.google_wallet import GOOGLE_WALLET_APP
from devices.phone import AndroidPhone

from .fakes import RecordingPushService, SettableClock

PASS_ID = "3388000000022000001.alice"
LINK = "https://pay.google.com/gp/v/save/a.b.c"


@dataclass(frozen=True)
class Notice:
    notice_id: str
    kind: str
    header: str | None = None
    body: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Saved:
    object_id: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    passes: tuple[Saved, ...] = ()
    error: str | None = None


def view(points: int = 10, **obj: Any) -> dict[str, Any]:
    return {
        "object": {
            "id": PASS_ID,
            "classId": "3388000000022000001.gold",
            "loyaltyPoints": {"label": "Stars", "balance": {"int": points}},
            **obj,
        },
        "class": {"programName": "Coffee Club", "issuerName": "Coffee"},
    }


@dataclass
class WalletDouble:
    """Google's side, scripted: a save answers ``outcome``; connections are recorded."""

    outcome: Outcome = field(default_factory=lambda: Outcome((Saved(PASS_ID, view()),)))
    inboxes: dict[str, Any] = field(default_factory=dict)
    removed: list[tuple[str, str]] = field(default_factory=list)

    def save(self, phone_id: str, link: str) -> Outcome:
        return self.outcome

    def remove(self, phone_id: str, object_id: str) -> None:
        self.removed.append((phone_id, object_id))

    def connect(self, phone_id: str, inbox: Any) -> None:
        self.inboxes[phone_id] = inbox

    def disconnect(self, phone_id: str) -> None:
        self.inboxes.pop(phone_id, None)


@pytest.fixture
def google() -> WalletDouble:
    return WalletDouble()


@pytest.fixture
def events() -> list[ev.DeviceEvent]:
    return []


@pytest.fixture
def phone(google: WalletDouble, events: list[ev.DeviceEvent]) -> AndroidPhone:
    return AndroidPhone(
        "pixel",
        push_service=RecordingPushService(),
        clock=SettableClock(),
        emit=events.append,
        google_wallet=google,
    )


def of(kind: type, events: list[ev.DeviceEvent]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def test_saving_a_link_adds_the_pass(phone: AndroidPhone, events: list[ev.DeviceEvent]) -> None:
    """save_pass puts the pass in Google Wallet with its data, and says so on the timeline."""
    (saved,) = phone.save_pass(LINK)
    assert (saved.object_id, saved.points, saved.program_name) == (PASS_ID, 10, "Coffee Club")
    assert [(e.pass_id, e.wallet) for e in of(wev.PassAdded, events)] == [(PASS_ID, "google")]


def test_refused_link_adds_nothing(
    phone: AndroidPhone, google: WalletDouble, events: list[ev.DeviceEvent]
) -> None:
    """A link Google refuses: PassRefused with the reason, DeviceError, no pass."""
    google.outcome = Outcome(error="the JWT's signature does not verify")
    with pytest.raises(DeviceError, match="does not verify"):
        phone.save_pass(LINK)
    assert phone.passes() == []
    assert of(wev.PassRefused, events)[0].reason == "the JWT's signature does not verify"


def test_sync_keeps_latest_data_and_shows_update(
    phone: AndroidPhone, google: WalletDouble, events: list[ev.DeviceEvent]
) -> None:
    """An update with a notice: the pass holds the new points and the tray shows them."""
    phone.save_pass(LINK)
    notice = Notice("gw-1", "update", fields=("loyaltyPoints.balance",))
    google.inboxes["pixel"].pass_synced(PASS_ID, view(25), notice)
    assert phone.passes()[0].points == 25
    (entry,) = phone.notifications()
    assert (entry.app_id, entry.title, entry.body) == (
        GOOGLE_WALLET_APP,
        "Coffee Club",
        "Stars: 25",
    )
    (updated,) = of(wev.PassUpdated, events)
    assert updated.changed == ("loyaltyPoints.balance.int",) and updated.push_id == "gw-1"


def test_message_notice_shows_header_and_body(phone: AndroidPhone, google: WalletDouble) -> None:
    """A TEXT_AND_NOTIFY message is shown with its header and body."""
    phone.save_pass(LINK)
    google.inboxes["pixel"].pass_synced(PASS_ID, view(), Notice("gw-2", "message", "Hi", "Free"))
    assert [(n.title, n.body) for n in phone.notifications()] == [("Hi", "Free")]


def test_silent_sync_shows_nothing(phone: AndroidPhone, google: WalletDouble) -> None:
    """A change without a notice updates the pass only."""
    phone.save_pass(LINK)
    google.inboxes["pixel"].pass_synced(PASS_ID, view(30), None)
    assert phone.passes()[0].points == 30
    assert phone.notifications() == []


def test_notifications_off_for_the_pass(
    phone: AndroidPhone, google: WalletDouble, events: list[ev.DeviceEvent]
) -> None:
    """With the pass's notifications off, the pass updates and nothing is shown (suppressed)."""
    phone.save_pass(LINK)
    phone.set_pass_notifications(PASS_ID, False)
    google.inboxes["pixel"].pass_synced(PASS_ID, view(40), Notice("gw-3", "message", "Hi", "x"))
    assert phone.passes()[0].points == 40
    assert phone.notifications() == []
    (suppressed,) = of(ev.NotificationSuppressed, events)
    assert suppressed.reason == "notifications are off for this pass"
    assert of(wev.PassSettingChanged, events)[0].enabled is False


def test_all_wallet_notifications_off(phone: AndroidPhone, google: WalletDouble) -> None:
    """The Wallet-wide switch ("Updates about your passes") silences every pass."""
    phone.save_pass(LINK)
    phone.set_pass_notifications(None, False)
    google.inboxes["pixel"].pass_synced(PASS_ID, view(), Notice("gw-4", "message", "Hi", "x"))
    assert phone.notifications() == []


def test_removing_the_pass_tells_google(phone: AndroidPhone, google: WalletDouble) -> None:
    """remove_pass deletes it here and stops Google's sync; later syncs are ignored."""
    phone.save_pass(LINK)
    phone.remove_pass(PASS_ID)
    assert google.removed == [("pixel", PASS_ID)]
    google.inboxes["pixel"].pass_synced(PASS_ID, view(), Notice("gw-5", "message", "Hi", "x"))
    assert phone.passes() == [] and phone.notifications() == []


def test_offline_phone_disconnects_its_wallet(phone: AndroidPhone, google: WalletDouble) -> None:
    """Going offline disconnects Google Wallet; coming back reconnects it."""
    phone.go_offline()
    assert "pixel" not in google.inboxes
    phone.go_online()
    assert "pixel" in google.inboxes


def test_phone_without_google_wallet() -> None:
    """A phone built without Google's side has no Wallet: saving says so."""
    phone = AndroidPhone("p", push_service=RecordingPushService(), clock=SettableClock())
    with pytest.raises(DeviceError, match="no Google Wallet"):
        phone.save_pass(LINK)


def test_class_field_update_names_its_label(phone: AndroidPhone, google: WalletDouble) -> None:
    """An updated class field is shown with its sibling label (rewardsTierLabel)."""
    phone.save_pass(LINK)
    data = view()
    data["class"].update(rewardsTier="Gold", rewardsTierLabel="Tier")
    google.inboxes["pixel"].pass_synced(
        PASS_ID, data, Notice("gw-6", "update", fields=("rewardsTier",))
    )
    assert [n.body for n in phone.notifications()] == ["Tier: Gold"]
