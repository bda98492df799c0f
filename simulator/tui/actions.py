"""The TUI's actions on the simulation: phones, apps, notifications, the clock, sending.

A mixin of :class:`~simulator.tui.app.PushsimApp`: each ``action_*`` acts on the selected phone
(its selected app or notification) and reports what it did, or why it could not, as a toast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from textual.app import App

from devices.apps import InstalledApp
from devices.errors import DeviceError
from devices.tray import TrayEntry
from simulator.simulation import Simulation, SimulationError
from simulator.tui.model import Dashboard
from simulator.tui.screens.fleet_forms import (
    AddPhonesRequest,
    AddPhonesScreen,
    FindScreen,
    new_user_names,
)
from simulator.tui.screens.forms import ComposeScreen, InstallRequest, InstallScreen
from simulator.tui.widgets.faults_pane import FaultsPane
from simulator.tui.widgets.phone_card import PhoneCard


class PhoneActions(App[int]):
    """Key and palette actions; the running app is a :class:`~simulator.tui.app.PushsimApp`."""

    dashboard: Dashboard
    _select_on_mount: str | None

    # Provided by PushsimApp.
    @property
    def sim(self) -> Simulation:
        raise NotImplementedError

    @property
    def faults_pane(self) -> FaultsPane:
        raise NotImplementedError

    def selected_card(self) -> PhoneCard | None:
        raise NotImplementedError

    async def select_phone(self, phone_id: str) -> bool:
        raise NotImplementedError

    def action_show_pane(self, name: str) -> None:
        raise NotImplementedError

    async def flush(self) -> None:
        raise NotImplementedError

    # -- phones ---------------------------------------------------------------------------------

    def action_add_iphone(self) -> None:
        """Add an iPhone for a new user, the app installed and allowed, and select it."""
        self._attempt(lambda: self._added(self._add_for_new_users(1, "ios")[-1]))

    def action_add_android(self, api_level: int = 34) -> None:
        """Add an Android phone for a new user, the app installed and allowed, and select it."""
        self._attempt(
            lambda: self._added(self._add_for_new_users(1, "android", api_level=api_level)[-1])
        )

    def action_add_bare_iphone(self) -> None:
        """Add an iPhone with nothing installed."""
        self._attempt(lambda: self._added(self.sim.add_iphone().phone_id))

    def action_add_phones(self) -> None:
        self.push_screen(AddPhonesScreen(self.sim.app_ids), self._add_phones)

    def _add_phones(self, request: AddPhonesRequest | None) -> None:
        if request is not None:
            self._attempt(lambda: self._added_many(request))

    def _added_many(self, request: AddPhonesRequest) -> None:
        added = self._add_for_new_users(
            request.count, request.platform, app_id=request.app_id, answer=request.answer
        )
        self.notify(f"added {len(added)} phones: {added[0]} … {added[-1]}")
        self._added(added[0])

    def _add_for_new_users(
        self,
        count: int,
        platform: str,
        *,
        app_id: str | None = None,
        answer: str | None = "allow",
        api_level: int = 34,
    ) -> list[str]:
        """``count`` phones, each for a user not in the fleet yet, with the app installed;
        ``platform`` is ``ios``, ``android`` or ``both`` (alternating). Returns their ids."""
        sim = self.sim
        taken = {a.user_id for p in sim.phones for a in p.apps} | {p.phone_id for p in sim.phones}
        users = new_user_names(taken, count)
        added = []
        for n, user in enumerate(users):
            ios = platform == "ios" or (platform == "both" and n % 2 == 0)
            phone = (
                sim.add_iphone(f"{user}-iphone")
                if ios
                else sim.add_android(f"{user}-pixel", api_level=api_level)
            )
            phone.install(
                app_id or sim.app_ids[0],
                user_id=user,
                answer=answer or "allow",
                ask=answer is not None,
            )
            added.append(phone.phone_id)
        return added

    def action_find_phone(self) -> None:
        phones = [
            (p.phone_id, sorted({a.user_id for a in p.apps if a.user_id})) for p in self.sim.phones
        ]
        self.push_screen(FindScreen(phones), self._found)

    async def _found(self, phone_id: str | None) -> None:
        if phone_id is not None and not await self.select_phone(phone_id):
            self.notify(f"{phone_id} is gone", severity="warning")

    def action_remove_phone(self) -> None:
        card = self._card()
        if card is not None:
            self._attempt(lambda: self.sim.remove_phone(card.phone.phone_id))

    def action_toggle_online(self) -> None:
        card = self._card()
        if card is not None:
            phone = card.phone
            self._attempt(phone.go_offline if phone.online else phone.go_online)

    # -- apps -----------------------------------------------------------------------------------

    def action_install(self) -> None:
        card = self._card()
        if card is None:
            return
        phone_id = card.phone.phone_id
        # The phone's user, else its owner's name (kim-iphone), else a new name (not "iphone").
        users = [a.user_id for a in card.phone.apps if a.user_id]
        owner = phone_id.split("-")[0]
        if not users and owner not in ("iphone", "android", phone_id):
            users = [owner]
        taken = {a.user_id for p in self.sim.phones for a in p.apps}
        user = users[0] if users else new_user_names(taken | {phone_id}, 1)[0]
        self.push_screen(
            InstallScreen(phone_id, self.sim.app_ids, user),
            lambda request: self._install(card, request),
        )

    def _install(self, card: PhoneCard, request: InstallRequest | None) -> None:
        if request is None:
            return
        phone = card.phone

        def install() -> None:
            phone.install(
                request.app_id,
                user_id=request.user_id,
                answer=request.answer or "allow",
                ask=request.answer is not None,
            )
            card.selected_app = request.app_id

        self._attempt(install)

    def action_uninstall(self) -> None:
        app = self._app()
        if app is not None:
            self._attempt(lambda: self._require_card().phone.uninstall(app.app_id))

    def action_answer(self, answer: str) -> None:
        """Answer the selected app's permission prompt."""
        app = self._app()
        if app is not None:
            self._attempt(lambda: self._require_card().phone.request_permission(app.app_id, answer))

    def action_toggle_settings(self) -> None:
        app = self._app()
        if app is not None:
            phone = self._require_card().phone
            self._attempt(
                lambda: phone.set_notifications_enabled(app.app_id, not app.enabled_in_settings)
            )

    def action_launch(self) -> None:
        app = self._app()
        if app is not None:
            self._attempt(lambda: self._require_card().phone.launch(app.app_id))

    def action_rotate_token(self) -> None:
        """iOS rotates tokens at an OS update, Android when the app's data is cleared
        (reference/devices.md §1.4, §2.6); the app is then launched and reports its new token."""
        app = self._app()
        if app is None:
            return
        phone = self._require_card().phone

        def rotate() -> None:
            clear_data = getattr(phone, "clear_data", None)
            if phone.platform == "android" and clear_data is not None:
                clear_data(app.app_id)
            else:
                phone.update_os()
            phone.launch(app.app_id)

        self._attempt(rotate)

    # -- notifications --------------------------------------------------------------------------

    def action_tap(self) -> None:
        entry = self._entry()
        if entry is not None:
            self._attempt(lambda: self._require_card().phone.tap(entry.entry_id))

    def action_dismiss(self) -> None:
        entry = self._entry()
        if entry is not None:
            self._attempt(lambda: self._require_card().phone.dismiss(entry.entry_id))

    def action_compose(self) -> None:
        app = self._app()
        screen = ComposeScreen(app.user_id if app is not None else "")
        self.push_screen(screen, self._send)

    def _send(self, request: dict[str, Any] | None) -> None:
        if request is not None:
            self.run_worker(self.send(request), group="send")

    async def send(self, request: dict[str, Any]) -> str | None:
        """``POST /v1/notifications`` on the sender; returns the notification id (None: refused)."""
        await self.sim.settle()  # tokens the apps reported reach the sender first
        try:
            response = await self.sim.sender_api.post("/v1/notifications", json=request)
        except httpx.HTTPError as exc:  # the sender did not answer: say so, keep running
            self.notify(f"the sender did not answer: {exc!r}", severity="error", timeout=6)
            return None
        if response.status_code != 202:
            self.notify(f"the sender refused it: {response.text}", severity="error", timeout=6)
            return None
        notification_id = str(response.json()["id"])
        self.notify(f"sent {self.dashboard.labels.ident(notification_id)}")
        return notification_id

    # -- the clock and faults -------------------------------------------------------------------

    def action_advance(self, seconds: float) -> None:
        """Move the shared clock forward."""
        self.sim.advance(seconds)
        for phone in self.sim.phones:
            self.dashboard.touch(phone.phone_id)
        self.notify(f"clock +{_duration(seconds)}")

    def action_faults(self) -> None:
        self.action_show_pane("faults")

    def action_clear_faults(self) -> None:
        self.faults_pane.clear_all()
        self.notify("every fault cleared")

    # -- helpers --------------------------------------------------------------------------------

    def _attempt(self, change: Callable[[], object]) -> None:
        """Run a change to the simulation; a refusal (no such app…) becomes a toast."""
        try:
            change()
        except (DeviceError, SimulationError) as exc:
            self.notify(str(exc), severity="error")
        self.call_later(self.flush)

    def _added(self, phone_id: str) -> None:
        self._select_on_mount = phone_id

    def _card(self) -> PhoneCard | None:
        card = self.selected_card()
        if card is None:
            self.notify("no phone selected: add one with a", severity="warning")
        return card

    def _require_card(self) -> PhoneCard:
        card = self.selected_card()
        if card is None:
            raise SimulationError("no phone selected")
        return card

    def _app(self) -> InstalledApp | None:
        card = self._card()
        if card is None:
            return None
        app = card.current_app()
        if app is None:
            self.notify(f"no app on {card.phone.phone_id}: install one with i", severity="warning")
        return app

    def _entry(self) -> TrayEntry | None:
        card = self._card()
        if card is None:
            return None
        entry = card.current_entry()
        if entry is None:
            self.notify(f"no notification on {card.phone.phone_id}", severity="warning")
        return entry


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"
