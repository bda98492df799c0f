"""Hypothesis stateful tests: the phones' permission and tray models against simple references."""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from devices import events as ev
from devices.errors import DeviceError
from devices.phone import AndroidPhone, IosPhone
from tests.devices.fakes import Rig

APP = "com.example.app"
ANSWERS = st.sampled_from(["allow", "deny", "dismiss"])
#: Enough runs to reach deep states (e.g. "denied twice") reliably, few enough to stay fast.
DEEP = settings(max_examples=200, stateful_step_count=30, deadline=None)
FAST = settings(max_examples=60, stateful_step_count=30, deadline=None)


def _outcome(rig: Rig) -> tuple[str, Any]:
    """What the last alert push became: ("shown", (banner, sound)) or ("suppressed", reason)."""
    last = rig.events[-1]
    if isinstance(last, ev.NotificationDisplayed):
        return "shown", (last.banner, last.sound)
    assert isinstance(last, ev.NotificationSuppressed), last
    return "suppressed", last.reason


class IosPermissionMachine(RuleBasedStateMachine):
    """iOS authorization (§1.1-§1.3) against a dictionary-sized reference."""

    def __init__(self) -> None:
        super().__init__()
        self.rig = Rig(IosPhone)
        self.rig.phone.install(APP, user_id="alice", ask=False)
        self.rig.phone.background(APP)
        self.ref = {"status": "notDetermined", "prompted": False, "enabled": True}
        self.ref.update(alerts=True, sounds=True, badges=True)

    @rule(answer=ANSWERS)
    def request(self, answer: str) -> None:
        self.rig.phone.request_permission(APP, answer)
        ref = self.ref
        if ref["prompted"] or ref["status"] not in ("notDetermined", "provisional"):
            return
        if answer != "dismiss":
            ref["prompted"] = True
            ref["status"] = "authorized" if answer == "allow" else "denied"

    @rule()
    def request_provisional(self) -> None:
        self.rig.phone.request_permission(APP, "allow", provisional=True)
        if self.ref["status"] == "notDetermined":
            self.ref["status"] = "provisional"

    @rule(enabled=st.booleans())
    def switch_app(self, enabled: bool) -> None:
        if self.ref["status"] == "notDetermined":
            try:
                self.rig.phone.set_notifications_enabled(APP, enabled)
            except DeviceError:
                return
            raise AssertionError("Settings has no switch before the app asked")
        self.rig.phone.set_notifications_enabled(APP, enabled)
        self.ref["enabled"] = enabled
        if enabled and self.ref["status"] == "denied":
            self.ref.update(status="authorized", alerts=True, sounds=True, badges=True)

    @precondition(lambda self: self.ref["status"] != "notDetermined")
    @rule(setting=st.sampled_from(["alerts", "sounds", "badges"]), on=st.booleans())
    def switch_option(self, setting: str, on: bool) -> None:
        getattr(self.rig.phone, f"set_{setting}_enabled")(APP, on)
        self.ref[setting] = on

    @rule()
    def promote(self) -> None:
        if self.ref["status"] != "provisional":
            try:
                self.rig.phone.promote(APP)
            except DeviceError:
                return
            raise AssertionError("only provisional apps can be promoted")
        self.rig.phone.promote(APP)
        self.ref.update(status="authorized", alerts=True, sounds=True, badges=True)

    @rule()
    def alert_arrives(self) -> None:
        self.rig.push(APP, {"aps": {"alert": "x", "sound": "default"}})
        ref = self.ref
        if not ref["enabled"]:
            expected: tuple[str, Any] = ("suppressed", "notifications turned off in Settings")
        elif ref["status"] == "notDetermined":
            expected = ("suppressed", "permission not determined")
        elif ref["status"] == "denied":
            expected = ("suppressed", "permission denied")
        elif ref["status"] == "provisional":
            expected = ("shown", (False, False))
        else:
            expected = ("shown", (ref["alerts"], ref["sounds"]))
        assert _outcome(self.rig) == expected

    @invariant()
    def status_matches(self) -> None:
        assert self.rig.phone.app(APP).permission.value == self.ref["status"]


class AndroidPermissionMachine(RuleBasedStateMachine):
    """POST_NOTIFICATIONS (§2.1) against a reference with the two-denials rule."""

    # Denials are drawn twice as often so runs reach the "denied twice" state.

    @initialize(api_level=st.sampled_from([32, 33, 34]))
    def start(self, api_level: int) -> None:
        self.api = api_level
        self.rig = Rig(AndroidPhone, api_level=api_level)
        self.rig.phone.install(APP, user_id="alice", ask=False)
        self.rig.phone.background(APP)
        self.status = "notDetermined" if api_level >= 33 else "authorized"
        self.denials = 0
        self.enabled = True

    @rule(answer=st.sampled_from(["allow", "deny", "deny", "dismiss"]))
    def request(self, answer: str) -> None:
        self.rig.phone.request_permission(APP, answer)
        if self.api < 33 or self.status == "authorized" or self.denials >= 2:
            return
        if answer == "allow":
            self.status, self.enabled = "authorized", True
        elif answer == "deny":
            self.status, self.denials = "denied", self.denials + 1

    @rule(enabled=st.booleans())
    def switch_app(self, enabled: bool) -> None:
        self.rig.phone.set_notifications_enabled(APP, enabled)
        self.enabled = enabled
        if enabled and self.api >= 33:
            self.status = "authorized"

    @rule()
    def alert_arrives(self) -> None:
        self.rig.push(APP, {"notification": {"title": "x"}})
        if not self.enabled:
            expected: tuple[str, Any] = ("suppressed", "notifications turned off in Settings")
        elif self.status == "authorized":
            expected = ("shown", (False, True))  # the default channel: DEFAULT importance
        elif self.status == "denied":
            expected = ("suppressed", "permission denied")
        else:
            expected = ("suppressed", "permission not determined")
        assert _outcome(self.rig) == expected

    @invariant()
    def matches(self) -> None:
        if hasattr(self, "rig"):
            app = self.rig.phone.app(APP)
            assert app.permission.value == self.status
            assert self.rig.phone.should_show_rationale(APP) == (
                self.denials == 1 and self.status == "denied"
            )


class TrayMachine(RuleBasedStateMachine):
    """The tray (§1.7): collapse-id replacement, newest last, taps and dismissals, badges."""

    def __init__(self) -> None:
        super().__init__()
        self.rig = Rig(IosPhone)
        self.rig.phone.install(APP, user_id="alice")
        self.rig.phone.background(APP)
        self.entries: list[tuple[str, str | None]] = []  # (push id, collapse id), newest last
        self.badge = 0
        self.count = 0

    @rule(collapse=st.sampled_from([None, "a", "b"]), badge=st.sampled_from([None, 0, 1, 5]))
    def alert_arrives(self, collapse: str | None, badge: int | None) -> None:
        self.count += 1
        push_id = f"p{self.count}"
        aps: dict[str, Any] = {"alert": push_id}
        if badge is not None:
            aps["badge"] = badge
            self.badge = badge
        headers = {"apns-collapse-id": collapse} if collapse else {}
        self.rig.push(APP, {"aps": aps}, push_id=push_id, **headers)
        if collapse is not None:
            self.entries = [e for e in self.entries if e[1] != collapse]
        self.entries.append((push_id, collapse))

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), tap=st.booleans())
    def user_acts(self, data: st.DataObject, tap: bool) -> None:
        shown = self.rig.phone.notifications()
        index = data.draw(st.integers(0, len(shown) - 1))
        entry = shown[index]
        (self.rig.phone.tap if tap else self.rig.phone.dismiss)(entry.entry_id)
        if tap:
            self.rig.phone.background(APP)
        del self.entries[index]

    @invariant()
    def tray_matches(self) -> None:
        shown = [(e.push_id, e.collapse_id) for e in self.rig.phone.notifications()]
        assert shown == self.entries
        assert self.rig.phone.badge(APP) == self.badge


TestIosPermission = IosPermissionMachine.TestCase
TestIosPermission.settings = DEEP
TestAndroidPermission = AndroidPermissionMachine.TestCase
TestAndroidPermission.settings = DEEP
TestTray = TrayMachine.TestCase
TestTray.settings = FAST
