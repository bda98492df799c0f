"""Pilot tests: compose form, faults switchboard, sender and providers panes, timeline filters,
scenarios, help screen, command palette, and who stops the simulation."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, Select

from simulator import DEFAULT_APP_ID, Simulation, SimulationError
from simulator.tui.app import PushsimApp
from simulator.tui.commands import ACTIONS
from simulator.tui.screens.forms import ComposeScreen, ScenarioScreen
from simulator.tui.screens.help import HelpScreen
from simulator.tui.widgets.faults_pane import FaultsPane
from simulator.tui.widgets.phone_card import PhoneCard
from simulator.tui.widgets.providers_pane import ProvidersPane
from simulator.tui.widgets.sender_pane import SenderPane
from simulator.tui.widgets.timeline_pane import TimelinePane
from tests.tui.conftest import SIZE, card_of, settle, tui

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


async def test_compose_form_sends_an_alert_to_the_selected_apps_user(sim: Simulation) -> None:
    """The compose form (c) is addressed to the selected app's user and its alert is shown."""
    phone = sim.add_iphone()
    phone.install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    async with tui(sim) as (app, pilot):
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        await pilot.press(*"Hi")
        await pilot.click("#ok")
        shown = await sim.wait_for("NotificationDisplayed", phone=phone.phone_id)
        assert shown.title == "Hi"


async def test_compose_form_sends_to_everyone(sim: Simulation) -> None:
    """With the target "everyone" the form's push reaches every user's phone."""
    for user in ("ann", "bob"):
        sim.add_android(f"{user}-pixel").install(DEFAULT_APP_ID, user_id=user, answer="allow")
    async with tui(sim) as (app, pilot):
        await pilot.press("c")
        await pilot.pause()
        app.screen.query_one("#target", Select).value = "everyone"
        app.screen.query_one("#title", Input).value = "To all"
        await pilot.click("#ok")
        for phone_id in ("ann-pixel", "bob-pixel"):
            shown = await sim.wait_for("NotificationDisplayed", phone=phone_id)
            assert shown.title == "To all"


async def test_a_fault_switch_puts_the_fault_in_force_and_takes_it_out(sim: Simulation) -> None:
    """Flipping the first switch (f, space) injects APNs 410; flipping it again clears it."""
    async with tui(sim) as (app, pilot):
        await pilot.press("f", "space")
        await settle(app, pilot)
        assert [(f.status, f.reason) for f in sim.apns.faults.active()] == [(410, "Unregistered")]
        await pilot.press("space")
        await settle(app, pilot)
        assert sim.apns.faults.active() == []


async def test_a_410_flashes_on_the_sender_pane(sim: Simulation) -> None:
    """A push refused with 410 flashes its reason on the sender pane and counts as failed."""
    phone = sim.add_iphone()
    phone.install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    async with tui(sim) as (app, pilot):
        app.query_one(FaultsPane).toggle("apns-410")
        await settle(app, pilot)
        await sim.notify("ann", title="Gone?")
        await sim.wait_for("PushFailed", status=410)
        await settle(app, pilot)
        pane = app.query_one(SenderPane)
        assert (pane.flashed, pane.has_class("-flash")) == ("410 Unregistered", True)
        assert app.dashboard.sender.failed == {"410 Unregistered": 1}


async def test_clear_faults_also_clears_faults_added_elsewhere(sim: Simulation) -> None:
    """X takes every fault out of force, including one the switchboard did not add."""
    from fakeproviders.faults import Fault

    sim.fcm.faults.add(Fault(status=503, reason="UNAVAILABLE"))
    async with tui(sim) as (app, pilot):
        await pilot.press("X")
        await settle(app, pilot)
        assert sim.fcm.faults.active() == []


async def test_providers_pane_lists_the_latest_answers(sim: Simulation) -> None:
    """The providers pane shows the fake's answer to each push, newest first."""
    sim.add_iphone().install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    async with tui(sim) as (app, pilot):
        notification_id = await sim.notify("ann", title="One")
        await sim.notification(notification_id)
        await settle(app, pilot)
        shown = app.query_one(ProvidersPane).shown
        assert [(r.provider, r.status) for r in shown] == [("APNs", 200)]


async def test_l_filters_the_timeline_to_the_selected_phone(sim: Simulation) -> None:
    """With l, the timeline shows only the selected phone's events (and its tokens' events)."""
    for user in ("ann", "bob"):
        sim.add_iphone(f"{user}-iphone").install(DEFAULT_APP_ID, user_id=user, answer="allow")
    async with tui(sim) as (app, pilot):
        await pilot.click(card_of(app, "bob-iphone"))
        await pilot.press("l")
        await settle(app, pilot)
        pane = app.query_one(TimelinePane)
        bob = [e for e in sim.timeline if app.dashboard.belongs_to(e, "bob-iphone")]
        assert pane.phone_filter == "bob-iphone"
        assert pane.rows_written == len(bob) < len(sim.timeline)


async def test_the_kind_filter_keeps_matching_kinds_only(sim: Simulation) -> None:
    """Typing after k keeps only the events whose kind contains the text."""
    sim.add_iphone().install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    async with tui(sim) as (app, pilot):
        await pilot.press("k")
        await pilot.pause()
        await pilot.press(*"tokenreceived")
        await settle(app, pilot)
        assert app.query_one(TimelinePane).rows_written == 1


@pytest.mark.parametrize("key", ["escape", "enter"])
async def test_esc_or_enter_leaves_the_kind_filter_and_keys_work_again(
    sim: Simulation, key: str
) -> None:
    """Esc or ⏎ in the kind filter gives the keys back (the filter stays): a then adds a phone."""
    async with tui(sim) as (app, pilot):
        await pilot.press("k")
        await pilot.pause()
        await pilot.press(*"push", key)
        await pilot.pause()
        assert not isinstance(app.focused, Input)
        await pilot.press("a")
        await settle(app, pilot)
        assert (app.timeline_pane.kind_filter, len(sim.phones)) == ("push", 1)


async def test_p_plays_a_scenario_in_its_own_simulation_and_b_returns(sim: Simulation) -> None:
    """Choosing opt_out in the picker (p) plays it in a fresh simulation, where it passes even
    though the live one has phones of the same users; b shows the live one again, unchanged."""
    for phone_id, user in (("ann-iphone", "alice"), ("ann-pixel", "bob")):
        sim.add_iphone(phone_id).install(DEFAULT_APP_ID, user_id=user, answer="allow")
    clock = sim.clock.now()
    async with tui(sim) as (app, pilot):
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ScenarioScreen)
        chosen = next(c for c in app.screen.choices if c.path.stem == "opt_out")
        # The first scenario is highlighted when the picker opens.
        await pilot.press(*["down"] * app.screen.choices.index(chosen), "enter")
        await pilot.pause()
        await asyncio.wait_for(app.playback_finished.wait(), 30)
        assert app.last_playback is not None
        assert (app.last_playback.name, app.last_playback.passed) == ("opt_out", True)
        assert app.sim is not sim and app.playing_in_own_simulation
        await pilot.press("b")
        await settle(app, pilot)
        assert app.sim is sim and not app.playing_in_own_simulation
        assert [p.phone_id for p in sim.phones] == ["ann-iphone", "ann-pixel"]
        assert sim.clock.now() - clock < 60
        assert {c.phone.phone_id for c in app.query(PhoneCard)} == {"ann-iphone", "ann-pixel"}


async def test_a_startup_scenario_plays_at_the_given_pace(sim: Simulation) -> None:
    """A scenario given at start (--scenario) plays in its own simulation once the TUI runs."""
    async with tui(sim, scenario=SCENARIOS / "opt_out.py") as (app, _):
        app.pace = 0.01  # the first step has not been awaited yet: the pace still applies
        await asyncio.wait_for(app.playback_finished.wait(), 30)
        assert app.last_playback is not None and app.last_playback.passed
        assert app.scenario_status == "opt_out PASS · b: back to live"
        assert sim.phones == []


async def test_help_screen_lists_every_action(sim: Simulation) -> None:
    """? opens the help screen with a row for every action; escape closes it."""
    async with tui(sim) as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert [title for _, title, _ in app.screen.rows][: len(ACTIONS)] == [
            a.title for a in ACTIONS
        ]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_every_action(sim: Simulation) -> None:
    """The command palette (ctrl+p) opens, and its commands include every action of the TUI."""
    async with tui(sim) as (app, pilot):
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        titles = [c.title for c in app.get_system_commands(app.screen_stack[0])]
        assert all(any(t.startswith(a.title) for t in titles) for a in ACTIONS)


async def test_a_palette_command_runs_its_action(sim: Simulation) -> None:
    """The palette's "Add an Android phone" command adds an Android phone."""
    async with tui(sim) as (app, pilot):
        commands = app.get_system_commands(app.screen)
        command = next(c for c in commands if c.title.startswith("Add an Android phone"))
        result = command.callback()
        if inspect.isawaitable(result):
            await result
        await settle(app, pilot)
        assert [p.platform for p in sim.phones] == ["android"]


async def test_the_app_leaves_a_simulation_it_was_given_running(sim: Simulation) -> None:
    """Quitting the TUI shown over a running simulation (pushsim up) does not stop it."""
    async with tui(sim) as (_, pilot):
        await pilot.press("q")
    assert sim.add_iphone().online


async def test_the_app_starts_and_stops_its_own_simulation(state_dir: Path) -> None:
    """Without a simulation the app starts one in its event loop and stops it when it exits."""
    app = PushsimApp(state_dir=state_dir, demo=True, pace=0)
    async with app.run_test(size=SIZE):
        await asyncio.wait_for(app.ready.wait(), 10)
        sim = app.sim
        assert [p.phone_id for p in sim.phones][:2] == ["alice-iphone", "alice-pixel"]
    with pytest.raises(SimulationError):
        sim.add_iphone()  # stopped


async def test_a_phone_card_shows_its_loyalty_card_and_updates(sim: Simulation) -> None:
    """The phone card lists the wallet's loyalty cards with points, updates and switches."""
    phone = sim.add_iphone("ann-iphone")
    card = await sim.issue_card("ann", points=10)
    await sim.add_card(phone, card)
    await sim.change_card(card["card_id"], points=25)
    await sim.set_card_notifications(phone, card["card_id"], False)
    async with tui(sim) as (app, pilot):
        await settle(app, pilot)
        [widget] = [c for c in app.query(PhoneCard) if c.phone is phone]
        drawn = widget.render().plain
        assert "pushsim Rewards 25 pts Member · 1 updates notifications off" in drawn
        assert "You now have 25 points" in drawn
