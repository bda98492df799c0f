"""The faults switchboard: bad days at Apple and Google, one switch each.

Each switch puts a :class:`~fakeproviders.faults.Fault` in force on a fake (``FaultInjector.add``)
or takes it out (``clear``). Faults added elsewhere (the control API, a scenario) are listed below
the switches, and a switch whose fault was cleared elsewhere turns itself off.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import SelectionList, Static

from fakeproviders.faults import Fault, FaultInjector


@dataclass(frozen=True, slots=True)
class FaultSwitch:
    """One switch: a provider and the fault it injects."""

    key: str
    provider: str
    """``"apns"`` or ``"fcm"``."""
    label: str
    fault: Fault


#: The switches, in board order. Reasons and statuses: reference/apns.md §2.3, reference/fcm.md §0.
SWITCHES = (
    FaultSwitch(
        "apns-410", "apns", "APNs 410 Unregistered", Fault(status=410, reason="Unregistered")
    ),
    FaultSwitch(
        "apns-400", "apns", "APNs 400 BadDeviceToken", Fault(status=400, reason="BadDeviceToken")
    ),
    FaultSwitch(
        "apns-429", "apns", "APNs 429 TooManyRequests", Fault(status=429, reason="TooManyRequests")
    ),
    FaultSwitch(
        "apns-503",
        "apns",
        "APNs 503 ServiceUnavailable",
        Fault(status=503, reason="ServiceUnavailable"),
    ),
    FaultSwitch("apns-slow", "apns", "APNs answers 2 s late", Fault(latency=2.0)),
    FaultSwitch("fcm-404", "fcm", "FCM 404 UNREGISTERED", Fault(status=404, reason="UNREGISTERED")),
    FaultSwitch(
        "fcm-429", "fcm", "FCM 429 QUOTA_EXCEEDED", Fault(status=429, reason="QUOTA_EXCEEDED")
    ),
    FaultSwitch("fcm-503", "fcm", "FCM 503 UNAVAILABLE", Fault(status=503, reason="UNAVAILABLE")),
    FaultSwitch("fcm-slow", "fcm", "FCM answers 2 s late", Fault(latency=2.0)),
)


class FaultsPane(Vertical):
    """Switches for :data:`SWITCHES` over the fakes' fault injectors."""

    def __init__(self, injectors: dict[str, FaultInjector], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.injectors = injectors
        self.border_title = "faults"
        self._others_shown: list[str] | None = None
        self.in_force: dict[str, str] = {}
        """Switch key → the id of the fault it put in force."""

    def compose(self) -> ComposeResult:
        yield SelectionList[str](*((s.label, s.key) for s in SWITCHES), id="fault-switches")
        yield Static(id="other-faults")

    def on_selection_list_selected_changed(
        self, message: SelectionList.SelectedChanged[str]
    ) -> None:
        message.stop()
        wanted = set(message.selection_list.selected)
        for switch in SWITCHES:
            if switch.key in wanted and switch.key not in self.in_force:
                added = self.injectors[switch.provider].add(switch.fault)
                self.in_force[switch.key] = added.fault_id
                self.notify(f"fault on: {switch.label}", severity="warning")
            elif switch.key not in wanted and switch.key in self.in_force:
                fault_id = self.in_force.pop(switch.key)
                with contextlib.suppress(KeyError):  # cleared elsewhere meanwhile
                    self.injectors[switch.provider].clear(fault_id)
                self.notify(f"fault off: {switch.label}")
        self.sync()

    def toggle(self, key: str) -> None:
        """Flip one switch (as a click would)."""
        self.query_one(SelectionList).toggle(key)

    def clear_all(self) -> None:
        """Every fault out of force, on both fakes (including those added elsewhere)."""
        for injector in self.injectors.values():
            injector.clear()
        self.sync()

    def sync(self) -> None:
        """Match the switches and the list to the faults actually in force."""
        switches = self.query_one(SelectionList)
        for provider, injector in self.injectors.items():
            active = {f.fault_id for f in injector.active()}
            for switch in SWITCHES:
                if switch.provider == provider and self.in_force.get(switch.key) not in (
                    None,
                    *active,
                ):
                    del self.in_force[switch.key]
                    switches.deselect(switch.key)
        ours = set(self.in_force.values())
        others = [
            f"{provider} {_describe(f)}"
            for provider, injector in self.injectors.items()
            for f in injector.active()
            if f.fault_id not in ours
        ]
        if others != self._others_shown:
            self._others_shown = others
            self.query_one("#other-faults", Static).update(
                Text("\n".join(others)) if others else Text("no other faults", style="dim")
            )


def _describe(fault: Fault) -> str:
    parts = [fault.fault_id]
    if fault.status is not None:
        parts.append(f"{fault.status} {fault.reason or ''}".strip())
    if fault.latency:
        parts.append(f"+{fault.latency:g}s")
    if fault.times is not None:
        parts.append(f"×{fault.times}")
    if fault.token:
        parts.append(f"token {fault.token[:8]}…")
    return " ".join(parts)
