"""``PushsimApp``: the simulation as a person would like to see it.

Five panes: the phones, the sender's counters, the providers' latest requests, a faults
switchboard and the timeline. On a big terminal all show at once; on a small one (80x24) one pane
fills the screen and a tab line switches between them (1-5), like htop's and k9s's views: a
hidden pane is never focusable, and the active pane is always the one drawn highlighted.

The app either owns its simulation (started in its own event loop when it mounts, stopped when it
unmounts) or shows one that is already running (``pushsim up``). A scenario plays in a fresh
simulation of its own; ``b`` (or the next scenario) goes back to the live one.

Events reach the screen in batches: the timeline's listener only records them in a
:class:`~simulator.tui.model.Dashboard`, and a timer redraws what changed a few times a second.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, SelectionList, Static

from simulator.clock import VirtualClock
from simulator.simulation import Simulation, SimulationError
from simulator.tui.actions import PhoneActions
from simulator.tui.commands import bindings, footer_keys
from simulator.tui.labels import Labels
from simulator.tui.model import Dashboard, follow
from simulator.tui.playback import PlaybackMixin, default_scenarios_dir
from simulator.tui.screens.help import HelpScreen
from simulator.tui.screens.main import MainScreen
from simulator.tui.widgets.event_log import EventLog
from simulator.tui.widgets.faults_pane import FaultsPane
from simulator.tui.widgets.fleet import Fleet
from simulator.tui.widgets.phone_card import PhoneCard
from simulator.tui.widgets.providers_pane import ProvidersPane, latest_requests
from simulator.tui.widgets.sender_pane import SenderPane
from simulator.tui.widgets.timeline_pane import TimelinePane

#: The panes, in tab order: name → the widget's id.
PANES = {
    "phones": "fleet",
    "sender": "sender",
    "providers": "providers",
    "faults": "faults",
    "timeline": "timeline",
}
#: Below this size one pane is shown at a time (columns, rows).
WIDE = (120, 36)


class PushsimApp(PlaybackMixin, PhoneActions):
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
        self._labels = labels or Labels()
        self.dashboard = Dashboard(self._labels)
        self.init_playback()
        self._sim: Simulation | None = None
        self._owned = False
        self._unsubscribe: Any = None
        self._select_on_mount: str | None = None
        self._requests_seen: tuple[Any, ...] = ()
        self._status_shown = ""
        self._minute_shown: tuple[str, str] | None = None
        self._heap_frozen = False
        self.compact = False
        """One pane at a time (a small terminal)."""
        self.active_pane = "phones"

    @property
    def sim(self) -> Simulation:
        """The simulation shown (``SimulationError`` before it runs)."""
        if self._sim is None:
            raise SimulationError("the simulation is still starting")
        return self._sim

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("pushsim · starting the simulation…", id="status")
        yield Static(id="tabs")
        with Horizontal(id="main"):
            yield Fleet(self.dashboard, id="fleet")
            with Vertical(id="side"):
                yield SenderPane(self.dashboard.sender, id="sender")
                yield ProvidersPane(self.dashboard.labels, id="providers")
                yield FaultsPane({}, id="faults")
        yield TimelinePane(self.dashboard, id="timeline")
        # The keys line: the same keys whatever has the focus. (Textual's Footer would rebuild
        # itself at every focus change, a third of a key's cost with a big fleet.)
        yield Static(footer_keys(), id="keys")

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(id="_default")

    @property
    def main_screen(self) -> Screen[Any]:
        return self.screen_stack[0]

    @property
    def faults_pane(self) -> FaultsPane:
        return self.main_screen.query_one(FaultsPane)

    @property
    def timeline_pane(self) -> TimelinePane:
        return self.main_screen.query_one(TimelinePane)

    def pane(self, name: str) -> Widget:
        return self.main_screen.query_one(f"#{PANES[name]}")

    def on_resize(self, event: events.Resize) -> None:
        if not self.screen_stack:
            return  # exiting
        compact = event.size.width < WIDE[0] or event.size.height < WIDE[1]
        if compact != self.compact:
            self.compact = compact
            self.apply_layout()

    def apply_layout(self) -> None:
        """Show every pane (wide) or only the active one (compact), and mark the active one."""
        main = self.main_screen
        main.set_class(self.compact, "-compact")
        for name in PANES:
            widget = self.pane(name)
            widget.display = not self.compact or name == self.active_pane
            active = name == self.active_pane
            if widget.has_class("-active") != active:
                # Only the pane's own border shows it (pushsim.tcss): restyling the pane's whole
                # subtree, as a class change does, redrew every phone card at each pane switch.
                widget.set_class(active, "-active", update=False)
                self.stylesheet.update_nodes([widget], animate=True)
        side = ("sender", "providers", "faults")
        main.query_one("#side").display = not self.compact or self.active_pane in side
        main.query_one("#main").display = not self.compact or self.active_pane != "timeline"
        tab_line = main.query_one("#tabs", Static)
        tab_line.display = self.compact
        if self.compact:  # (a hidden line's update would still cost a layout of the screen)
            tab_line.update(
                "  ".join(
                    f"[reverse b] {n} {name} [/]"
                    if name == self.active_pane
                    else f"[dim]{n}[/] {name}"
                    for n, name in enumerate(PANES, start=1)
                )
            )

    def action_show_pane(self, name: str) -> None:
        """Make ``name`` the active pane (the only one shown when compact) and focus it."""
        self.active_pane = name
        self.apply_layout()
        target: Widget | None = {
            "phones": self.selected_card(),
            "faults": self.faults_pane.query_one(SelectionList),
            "timeline": self.timeline_pane.query_one(EventLog),
        }.get(name, self.pane(name))
        if target is not None and self.screen is self.main_screen:
            target.focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The pane holding the focus is the active one."""
        if not self.screen_stack or not event.widget.is_attached:
            return
        for name in PANES:
            pane = self.pane(name)
            if event.widget is pane or pane in event.widget.ancestors:
                if name != self.active_pane:
                    self.active_pane = name
                    self.apply_layout()
                return

    # -- lifecycle ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.animation_level == "none":
            self.dashboard.slide_ticks = 0  # snapshots and tests see notifications in place
        self.apply_layout()
        self.set_interval(self.refresh_interval, self.flush)
        if self._given is not None:
            self.call_later(self._show_live, self._given)
        else:
            self.run_worker(self._start_owned(), group="simulation", exit_on_error=True)

    async def _start_owned(self) -> None:
        sim = Simulation(state_dir=self._state_dir, clock=self._clock)
        await sim.start()
        self._owned = True
        if self._demo:
            from simulator.up import add_demo_fleet

            await add_demo_fleet(sim)
        await self._show_live(sim)

    async def _show_live(self, sim: Simulation) -> None:
        self.live = sim
        self._unsubscribe = follow(sim, self.dashboard)
        await self.show_simulation(sim, self.dashboard)
        self._freeze_heap()
        self.ready.set()
        if self._startup_scenario is not None:
            self.play_scenario(self._startup_scenario)

    async def show_simulation(self, sim: Simulation, dashboard: Dashboard) -> None:
        """Show ``sim`` instead of what was shown; ``dashboard`` must be fed by it already
        (:func:`follow`)."""
        main = self.main_screen
        fleet = main.query_one(Fleet)
        fleet.selected = None
        await fleet.show([], dashboard)
        self._sim, self.dashboard = sim, dashboard
        main.query_one(SenderPane).tally = dashboard.sender
        main.query_one(SenderPane).show()
        main.query_one(ProvidersPane).labels = dashboard.labels
        self._requests_seen = ()
        self.faults_pane.injectors = {"apns": sim.apns.faults, "fcm": sim.fcm.faults}
        timeline = self.timeline_pane
        timeline.dashboard = dashboard
        dashboard.take_rows()
        timeline.redraw(list(sim.timeline))
        for phone in sim.phones:
            dashboard.touch(phone.phone_id)
        await self.flush()

    def _freeze_heap(self) -> None:
        """Keep what exists once the fleet is shown (Textual, the simulation, every phone) out
        of the cyclic garbage collector's full passes. With 200 phones a full pass took 80-450
        ms, a key press that met one took as long; objects made later are collected as usual."""
        gc.collect()
        gc.freeze()
        self._heap_frozen = True

    async def on_unmount(self) -> None:
        if self._heap_frozen:
            gc.unfreeze()  # collectable again, e.g. when the app ran inside a test process
        if self._unsubscribe is not None:
            self._unsubscribe()
        await self.stop_playback_simulation()
        if self._owned and self.live is not None:
            await self.live.stop()

    # -- the refresh timer ----------------------------------------------------------------------

    async def flush(self) -> None:
        """Bring the screen up to date: phones added or removed, dirty phones, new timeline rows,
        counters, the providers' requests, the faults in force."""
        if self._sim is None or not self.screen_stack or self._exit or not self.redraw_due():
            return
        with contextlib.suppress(NoMatches):  # raised while the app exits and the screen goes
            await self._redraw(self._sim, self.main_screen)

    async def _redraw(self, sim: Simulation, main: Screen[Any]) -> None:
        await self._sync_cards(sim, main)
        dirty = self.dashboard.tick()
        minute = self.dashboard.labels.wall(sim.clock.now())
        if minute != self._minute_shown:  # every lock screen's clock moves on
            self._minute_shown = minute
            dirty = {phone.phone_id for phone in sim.phones}
        if dirty:
            for card in main.query_one(Fleet).cards():
                if card.phone.phone_id in dirty:
                    card.update()
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
        fleet = main.query_one(Fleet)
        phones = sim.phones
        if self._select_on_mount is not None:
            chosen, self._select_on_mount = self._select_on_mount, None
            fleet.phones = phones
            await self.select_phone(chosen)
        elif phones != fleet.phones:  # added or removed (cheap enough for big fleets)
            await fleet.show(phones, self.dashboard)
        if self.focused is None and self.screen is main and self.active_pane == "phones":
            card = self.selected_card()
            if card is not None:
                card.focus(scroll_visible=False)

    def _status(self, sim: Simulation) -> str:
        labels = self.dashboard.labels
        parts = [
            "[b]pushsim[/b]",
            "[b reverse] scenario [/]" if self.playing_in_own_simulation else "live",
            f"clock {labels.time(sim.clock.now())}",
            f"{len(sim.phones)} phones",
            f"{self.dashboard.events_seen} events",
        ]
        if self.scenario_status:
            parts.append(self.scenario_status)
        return " · ".join(parts)

    # -- selection ------------------------------------------------------------------------------

    def selected_card(self) -> PhoneCard | None:
        """The phone the actions apply to (its card is always on the page shown)."""
        if not self.screen_stack:
            return None
        fleet = self.main_screen.query_one(Fleet)
        return fleet.card(fleet.selected)

    async def select_phone(self, phone_id: str) -> bool:
        """Select and show the phone ``phone_id``; False if there is no such phone."""
        fleet = self.main_screen.query_one(Fleet)
        if fleet.index_of(phone_id) is None:
            return False
        if self.compact and self.active_pane != "phones":
            self.action_show_pane("phones")
        await fleet.select(phone_id, focus=self.screen is self.main_screen)
        return True

    def on_phone_card_selected(self, message: PhoneCard.Selected) -> None:
        if not self.screen_stack:
            return  # exiting
        fleet = self.main_screen.query_one(Fleet)
        if message.card.is_attached and fleet.selected != message.card.phone.phone_id:
            fleet.selected = message.card.phone.phone_id
            for card in fleet.cards():
                card.set_class(card is message.card, "-selected")

    # -- screens and filters --------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.endpoints))

    def action_filter_phone(self) -> None:
        pane = self.timeline_pane
        card = self.selected_card()
        wanted = None if pane.phone_filter is not None or card is None else card.phone.phone_id
        pane.set_phone_filter(wanted)

    def action_filter_kind(self) -> None:
        self.action_show_pane("timeline")
        self.query_one("#kind-filter", Input).focus()

    def on_timeline_pane_filter_changed(self, message: TimelinePane.FilterChanged) -> None:
        if self._sim is not None:
            self.dashboard.take_rows()  # the redraw below includes them
            self.timeline_pane.redraw(list(self._sim.timeline))

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """Save the screenshot in the downloads folder if there is one, else the current one."""
        if path is None and not self.is_web:
            from platformdirs import user_downloads_path

            downloads = user_downloads_path()
            path = str(downloads if downloads.is_dir() else Path.cwd())
        return super().deliver_screenshot(filename, path, time_format)

    # -- the command palette --------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of :data:`~simulator.tui.commands.ACTIONS`, then Textual's own."""
        from simulator.tui.commands import ACTIONS

        for action in ACTIONS:
            key = f" ({action.key_label or action.key})" if action.key else ""
            yield SystemCommand(
                action.title + key, action.help, partial(self.run_action, action.action)
            )
        yield from super().get_system_commands(screen)
