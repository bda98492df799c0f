"""``PushsimApp``: the simulation as a person would like to see it.

A grid of phones, the sender's counters, the providers' latest requests, a faults switchboard and
the timeline. The app either owns its simulation (started in its own event loop when it mounts,
stopped when it unmounts) or shows one that is already running (``pushsim up``).

Events reach the screen in batches: the timeline's listener only records them in a
:class:`~simulator.tui.model.Dashboard`, and a timer redraws what changed a few times a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import ComposeResult, SystemCommand
from textual.containers import Horizontal, ItemGrid, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker

from simulator.clock import VirtualClock
from simulator.simulation import Simulation
from simulator.tui.actions import PhoneActions
from simulator.tui.commands import ACTIONS, bindings
from simulator.tui.labels import Labels
from simulator.tui.model import Dashboard
from simulator.tui.playback import PlaybackResult, default_scenarios_dir, play, scenario_choices
from simulator.tui.screens.forms import ScenarioScreen
from simulator.tui.screens.help import HelpScreen
from simulator.tui.widgets.faults_pane import FaultsPane
from simulator.tui.widgets.phone_card import PhoneCard
from simulator.tui.widgets.providers_pane import ProvidersPane, latest_requests
from simulator.tui.widgets.sender_pane import SenderPane
from simulator.tui.widgets.timeline_pane import TimelinePane


class PushsimApp(PhoneActions):
    """The pushsim terminal UI.

    Args:
        sim: A running simulation to show; without it the app starts (and stops) its own.
        state_dir: The owned simulation's state directory.
        clock: The owned simulation's clock.
        demo: Add the demo fleet (alice and bob, an iPhone and an Android phone each) at start.
        scenario: A scenario script to play once the simulation runs.
        pace: Real seconds between a scenario's awaited steps (0: full speed).
        labels: How times and tokens are written (``StableLabels`` for snapshots).
        refresh: Seconds between screen refreshes.
        endpoints: Extra information for the help screen (``pushsim up``'s endpoints).
        scenarios_dir: Where the scenario picker looks.
    """

    CSS_PATH = "pushsim.tcss"
    TITLE = "pushsim"
    AUTO_FOCUS = None  # the first phone card takes the focus once it is mounted
    BINDINGS = bindings()

    def __init__(
        self,
        sim: Simulation | None = None,
        *,
        state_dir: Path | None = None,
        clock: VirtualClock | None = None,
        demo: bool = False,
        scenario: Path | None = None,
        pace: float = 0.8,
        labels: Labels | None = None,
        refresh: float = 0.2,
        endpoints: dict[str, Any] | None = None,
        scenarios_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self._given = sim
        self._state_dir = state_dir
        self._clock = clock
        self._demo = demo
        self._startup_scenario = scenario
        self.pace = pace
        self.refresh_interval = refresh
        self.endpoints = endpoints
        self.scenarios_dir = scenarios_dir or default_scenarios_dir()
        self.dashboard = Dashboard(labels or Labels())
        self.ready = asyncio.Event()
        """Set once the simulation runs and the screen shows it."""
        self.scenario_status = ""
        self.last_playback: PlaybackResult | None = None
        self.playback_finished = asyncio.Event()
        """Set when a scenario finished playing (cleared when the next one starts)."""
        self._sim: Simulation | None = None
        self._owned = False
        self._unsubscribe: Any = None
        self._select_on_mount: str | None = None
        self._requests_seen: tuple[Any, ...] = ()
        self._status_shown = ""

    @property
    def sim(self) -> Simulation:
        """The simulation shown (``SimulationError`` before it runs)."""
        if self._sim is None:
            from simulator.simulation import SimulationError

            raise SimulationError("the simulation is still starting")
        return self._sim

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("pushsim · starting the simulation…", id="status")
        with Horizontal(id="main"):
            with VerticalScroll(id="fleet"):
                yield ItemGrid(id="phones", min_column_width=34)
            with Vertical(id="side"):
                yield SenderPane(self.dashboard.sender, id="sender")
                yield ProvidersPane(self.dashboard.labels, id="providers")
                yield FaultsPane({}, id="faults")
        yield TimelinePane(self.dashboard, id="timeline")
        yield Footer()

    @property
    def faults_pane(self) -> FaultsPane:
        return self.screen_stack[0].query_one(FaultsPane)

    @property
    def timeline_pane(self) -> TimelinePane:
        return self.screen_stack[0].query_one(TimelinePane)

    # -- lifecycle ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.animation_level == "none":
            self.dashboard.slide_ticks = 0  # snapshots and tests see notifications in place
        self.set_interval(self.refresh_interval, self.flush)
        if self._given is not None:
            self.call_later(self._show_simulation, self._given)
        else:
            self.run_worker(self._start_owned(), group="simulation", exit_on_error=True)

    async def _start_owned(self) -> None:
        sim = Simulation(state_dir=self._state_dir, clock=self._clock)
        await sim.start()
        self._owned = True
        if self._demo:
            from simulator.up import add_demo_fleet

            await add_demo_fleet(sim)
        await self._show_simulation(sim)

    async def _show_simulation(self, sim: Simulation) -> None:
        self._sim = sim
        self.dashboard.labels.origin = sim.clock.now()
        for event in sim.timeline:  # what happened before the TUI opened
            self.dashboard.observe(event)
        self._unsubscribe = sim.timeline.subscribe(self.dashboard.observe)
        self.faults_pane.injectors = {"apns": sim.apns.faults, "fcm": sim.fcm.faults}
        await self.flush()
        self.ready.set()
        if self._startup_scenario is not None:
            self.play_scenario(self._startup_scenario)

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._owned and self._sim is not None:
            await self._sim.stop()

    # -- the refresh timer ----------------------------------------------------------------------

    async def flush(self) -> None:
        """Bring the screen up to date: phones added or removed, dirty phones, new timeline rows,
        counters, the providers' requests, the faults in force."""
        if self._sim is None or not self.screen_stack or self._exit:
            return
        # The main screen, also while a form or the help screen is on top of it.
        main = self.screen_stack[0]
        with contextlib.suppress(NoMatches):  # raised while the app exits and the screen goes
            await self._redraw(self._sim, main)

    async def _redraw(self, sim: Simulation, main: Screen[Any]) -> None:
        await self._sync_cards(sim, main)
        dirty = self.dashboard.tick()
        for card in main.query(PhoneCard):
            if card.phone.phone_id in dirty:
                card.refresh()
        main.query_one(TimelinePane).write(self.dashboard.take_rows())
        sender = main.query_one(SenderPane)
        if self.dashboard.take_sender_changed():
            sender.show()
        if (flash := self.dashboard.take_flash()) is not None:
            sender.flash(flash)
        apns_log, fcm_log = sim.apns.request_log, sim.fcm.request_log
        production_log = sim.apns_production.request_log
        requests_seen = (
            len(apns_log),
            apns_log[-1] if apns_log else None,
            len(fcm_log),
            production_log[-1] if production_log else None,
        )
        if requests_seen != self._requests_seen:  # (the logs are rings: length alone may stay)
            self._requests_seen = requests_seen
            main.query_one(ProvidersPane).show(
                latest_requests(apns_log, fcm_log, 10, production_log)
            )
        main.query_one(FaultsPane).sync()
        status = self._status(sim)
        if status != self._status_shown:
            self._status_shown = status
            main.query_one("#status", Static).update(status)

    async def _sync_cards(self, sim: Simulation, main: Screen[Any]) -> None:
        grid = main.query_one("#phones", ItemGrid)
        cards = {card.phone.phone_id: card for card in main.query(PhoneCard)}
        phones = {phone.phone_id: phone for phone in sim.phones}
        for phone_id, card in cards.items():
            if phones.get(phone_id) is not card.phone:
                await card.remove()
        new = [
            PhoneCard(phone, self.dashboard)
            for phone_id, phone in phones.items()
            if phone_id not in cards or cards[phone_id].phone is not phone
        ]
        if new:
            await grid.mount_all(new)
        if self._select_on_mount is not None:
            chosen, self._select_on_mount = self._select_on_mount, None
            for card in main.query(PhoneCard):
                if card.phone.phone_id == chosen:
                    card.focus()
        if self.selected_card() is None:
            first = next(iter(main.query(PhoneCard)), None)
            if first is not None:
                self._select(first)
                if self.screen is main and self.focused is None:
                    first.focus()

    def _status(self, sim: Simulation) -> str:
        labels = self.dashboard.labels
        parts = [
            "[b]pushsim[/b]",
            f"clock {labels.time(sim.clock.now())}",
            f"{len(sim.phones)} phones",
            f"{self.dashboard.events_seen} events",
        ]
        if self.scenario_status:
            parts.append(self.scenario_status)
        return " · ".join(parts)

    # -- selection ------------------------------------------------------------------------------

    def selected_card(self) -> PhoneCard | None:
        """The phone the actions apply to."""
        if not self.screen_stack:
            return None
        selected = self.screen_stack[0].query("PhoneCard.-selected").results(PhoneCard)
        return next(iter(selected), None)

    def on_phone_card_selected(self, message: PhoneCard.Selected) -> None:
        self._select(message.card)

    def _select(self, card: PhoneCard) -> None:
        if not self.screen_stack or not card.is_attached:
            return  # the app is exiting
        for other in card.screen.query("PhoneCard.-selected").results(PhoneCard):
            if other is not card:
                other.remove_class("-selected")
                other.refresh()
        card.add_class("-selected")
        card.refresh()

    # -- screens, filters, scenarios ------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.endpoints))

    def action_filter_phone(self) -> None:
        pane = self.timeline_pane
        card = self.selected_card()
        wanted = None if pane.phone_filter is not None or card is None else card.phone.phone_id
        pane.set_phone_filter(wanted)

    def action_filter_kind(self) -> None:
        self.query_one("#kind-filter", Input).focus()

    def on_timeline_pane_filter_changed(self, message: TimelinePane.FilterChanged) -> None:
        if self._sim is not None:
            self.dashboard.take_rows()  # the redraw below includes them
            self.timeline_pane.redraw(list(self._sim.timeline))

    def action_scenario(self) -> None:
        self.push_screen(
            ScenarioScreen(scenario_choices(self.scenarios_dir)),
            self._play_chosen,
        )

    def _play_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.play_scenario(path)

    def play_scenario(self, path: Path) -> Worker[PlaybackResult]:
        """Play the scenario at ``path`` against this simulation, ``pace`` seconds a step."""
        return self.run_worker(self._play(path), group="scenario", exclusive=True)

    async def _play(self, path: Path) -> PlaybackResult:
        name = path.stem
        self.playback_finished.clear()
        self.scenario_status = f"scenario {name} ▶"
        self.notify(f"playing {name}")

        def on_step(step: str) -> None:
            self.scenario_status = f"scenario {name} ▶ {step}"

        result = await play(path, self.sim, pace=self.pace, on_step=on_step)
        self.last_playback = result
        verdict = "PASS" if result.passed else "FAIL"
        self.scenario_status = f"scenario {name} {verdict}"
        if result.passed:
            self.notify(f"{name}: PASS")
        else:
            self.notify(f"{name}: FAIL\n{result.error}", severity="error", timeout=10)
        self.playback_finished.set()
        return result

    # -- the command palette --------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of :data:`~simulator.tui.commands.ACTIONS`, then Textual's own."""
        for action in ACTIONS:
            key = f" ({action.key_label or action.key})" if action.key else ""
            yield SystemCommand(
                action.title + key, action.help, partial(self.run_action, action.action)
            )
        yield from super().get_system_commands(screen)
