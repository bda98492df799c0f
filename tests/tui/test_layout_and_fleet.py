"""Pilot tests: the layout at 80x24 (one pane at a time, nothing hidden is focusable), focus that
stays in the fleet, big fleets (add many, find, paging, the wheel), the sender pane's reasons,
Ctrl-C and the palette's screenshot."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, SelectionList

from simulator import DEFAULT_APP_ID, Simulation
from simulator.tui.app import PANES, PushsimApp
from simulator.tui.labels import StableLabels
from simulator.tui.widgets.fleet import Fleet
from simulator.tui.widgets.phone_card import PhoneCard
from simulator.tui.widgets.sender_pane import SenderPane
from tests.tui.conftest import settle, tui


def _fleet_of(sim: Simulation, count: int) -> None:
    for n in range(count):
        user = f"u{n:02}"
        phone = sim.add_iphone(f"{user}-iphone") if n % 2 else sim.add_android(f"{user}-pixel")
        phone.install(DEFAULT_APP_ID, user_id=user, answer="allow")


def _small(sim: Simulation, **options: Any) -> Any:
    app = PushsimApp(sim, labels=StableLabels(), pace=0, refresh=5.0, **options)
    app.animation_level = "none"
    return app


@pytest.mark.parametrize("key", ["1", "2", "3", "4", "5"])
async def test_at_80x24_each_pane_is_reachable_and_the_others_are_not_focusable(
    sim: Simulation, key: str
) -> None:
    """At 80x24 the digit shows its pane alone, marked active; no widget of a hidden pane is in
    the focus chain (so space cannot flip a switch no one sees)."""
    sim.add_iphone().install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    app = _small(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await asyncio.wait_for(app.ready.wait(), 10)
        await pilot.press(key)
        await settle(app, pilot)
        name = list(PANES)[int(key) - 1]
        shown = [n for n in PANES if app.pane(n).display and app.pane(n).region.area]
        assert (app.compact, shown, app.active_pane) == (True, [name], name)
        assert app.pane(name).has_class("-active")
        hidden = [app.pane(n) for n in PANES if n != name]
        assert not [
            w for w in app.screen.focus_chain if any(w is p or p in w.ancestors for p in hidden)
        ]


async def test_space_in_the_phones_pane_never_flips_a_hidden_fault(sim: Simulation) -> None:
    """At 80x24, arrows and space on the phones pane leave every fault off."""
    _fleet_of(sim, 3)
    app = _small(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await asyncio.wait_for(app.ready.wait(), 10)
        await pilot.press("right", "right", "right", "right", "space", "down", "space")
        await settle(app, pilot)
        assert sim.apns.faults.active() == sim.fcm.faults.active() == []
        assert isinstance(app.focused, PhoneCard)


async def test_right_on_the_last_phone_keeps_the_focus_on_it(sim: Simulation) -> None:
    """→ past the last phone stays on it; ← then goes back one phone."""
    _fleet_of(sim, 2)
    async with tui(sim) as (app, pilot):
        await pilot.press("right", "right", "right")
        await settle(app, pilot)
        assert isinstance(app.focused, PhoneCard) and app.focused.phone.phone_id == "u01-iphone"
        await pilot.press("left")
        await settle(app, pilot)
        assert app.selected_card() is not None
        assert app.selected_card().phone.phone_id == "u00-pixel"


async def test_f_focuses_the_switchboard_visibly(sim: Simulation) -> None:
    """f moves the focus to the faults switchboard, whose pane is then the active one."""
    async with tui(sim) as (app, pilot):
        await pilot.press("f")
        await settle(app, pilot)
        assert isinstance(app.focused, SelectionList)
        assert app.active_pane == "faults" and app.pane("faults").has_class("-active")


async def test_shift_n_adds_many_phones_with_named_users_and_the_app(sim: Simulation) -> None:
    """N, 6, ⏎: six phones (iPhone and Android alternating), each a distinct named user with
    the app installed and allowed, the first one selected."""
    async with tui(sim) as (app, pilot):
        await pilot.press("N")
        await pilot.pause()
        app.screen.query_one("#count", Input).value = "6"
        await pilot.press("enter")
        await settle(app, pilot)
        users = [a.user_id for p in sim.phones for a in p.apps]
        assert users == ["alice", "bob", "carol", "dave", "erin", "frank"]
        assert [p.platform for p in sim.phones[:2]] == ["ios", "android"]
        assert all(a.permission.value == "authorized" for p in sim.phones for a in p.apps)
        card = app.selected_card()
        assert card is not None and card.phone.phone_id == "alice-iphone"


async def test_a_adds_an_iphone_for_a_new_user_with_the_app(sim: Simulation) -> None:
    """a adds an iPhone signed in as the next free name, not "iphone"."""
    sim.add_iphone("alice-iphone").install(DEFAULT_APP_ID, user_id="alice", answer="allow")
    async with tui(sim) as (app, pilot):
        await pilot.press("a")
        await settle(app, pilot)
        assert [(p.phone_id, [a.user_id for a in p.apps]) for p in sim.phones][-1] == (
            "bob-iphone",
            ["bob"],
        )


async def test_slash_finds_a_phone_by_its_user_on_another_page(sim: Simulation) -> None:
    """/ u37 ⏎ selects u37's phone, showing the page it is on."""
    _fleet_of(sim, 40)
    async with tui(sim) as (app, pilot):
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"u37", "enter")
        await settle(app, pilot)
        card = app.selected_card()
        assert card is not None and card.phone.phone_id == "u37-iphone"
        assert app.focused is card


async def test_paging_moves_the_selection_with_the_page(sim: Simulation) -> None:
    """pgdn selects the phone a page further, end the last phone, home the first; the selected
    card is always shown."""
    _fleet_of(sim, 40)
    async with tui(sim) as (app, pilot):
        fleet = app.query_one(Fleet)
        per_page = fleet.per_page
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert fleet.selected == sim.phones[per_page].phone_id == app.selected_card().phone.phone_id
        await pilot.press("end")
        await settle(app, pilot)
        assert app.selected_card().phone is sim.phones[-1]
        await pilot.press("home")
        await settle(app, pilot)
        assert app.selected_card().phone is sim.phones[0] and fleet.first == 0


async def test_a_page_move_repoints_the_cards_and_a_phones_choice_comes_back(
    sim: Simulation,
) -> None:
    """pgdn shows the next page on the same card widgets, titled and classed for their new
    phones; the app chosen on a phone is chosen again when its page comes back."""
    _fleet_of(sim, 40)
    async with tui(sim) as (app, pilot):
        fleet = app.query_one(Fleet)
        first_page = fleet.cards()
        first_page[0].selected_app = "com.example.other"  # as [ or a click would choose
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert fleet.cards() == first_page  # the very same widgets
        for card, phone in zip(fleet.cards(), sim.phones[fleet.first :], strict=False):
            assert card.phone is phone and card.border_title == phone.phone_id
            assert card.has_class(phone.platform) and card.selected_app is None
        await pilot.press("pageup")
        await settle(app, pilot)
        assert fleet.cards()[0].phone is sim.phones[0]
        assert fleet.cards()[0].selected_app == "com.example.other"


async def test_a_short_last_page_hides_spare_cards_and_home_shows_them_again(
    sim: Simulation,
) -> None:
    """End on a fleet whose last page is short hides the cards it does not need; Home shows
    the first page on the very same widgets, none mounted or removed."""
    _fleet_of(sim, 41)
    async with tui(sim) as (app, pilot):
        fleet = app.query_one(Fleet)
        pool = list(fleet.query(PhoneCard))
        assert len(sim.phones) % fleet.per_page != 0  # the last page is short
        await pilot.press("end")
        await settle(app, pilot)
        shown = fleet.cards()
        assert [c.phone for c in shown] == sim.phones[fleet.first :]
        assert len(shown) < len(pool) and list(fleet.query(PhoneCard)) == pool
        await pilot.press("home")
        await settle(app, pilot)
        assert fleet.cards() == pool and [c.phone for c in pool] == sim.phones[: len(pool)]


async def test_the_wheel_moves_the_page_and_the_selection_follows(sim: Simulation) -> None:
    """Scrolling down past the selected phone selects one that is shown."""
    _fleet_of(sim, 40)
    async with tui(sim) as (app, pilot):
        fleet = app.query_one(Fleet)
        for _ in range(3):
            app.call_later(fleet.scroll_rows, 1)  # what a wheel notch down does
            await settle(app, pilot)
        assert fleet.first > 0
        shown = [c.phone.phone_id for c in fleet.cards()]
        assert fleet.selected in shown and app.selected_card() is not None


async def test_the_sender_pane_says_why_received_and_dismissed_stay_at_zero(
    sim: Simulation,
) -> None:
    """An alert shown and swiped away on Android: shown 1, received and dismissed 0, and the
    pane says the apps report neither unless they ask to."""
    sim.add_android().install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    async with tui(sim) as (app, pilot):
        notification_id = await sim.notify("ann", title="Hi")
        await sim.wait_for("NotificationDisplayed", notification=notification_id)
        await settle(app, pilot)
        await pilot.press("w")
        await settle(app, pilot)
        pane = app.query_one(SenderPane)
        assert "shown 1 received 0 opened 0 dismissed 0" in pane.summary
        assert "do not report receipt" in pane.notes and "1 swipes not reported" in pane.notes


async def test_ctrl_c_quits(sim: Simulation) -> None:
    """Ctrl-C quits, as pushsim up says it does (not "press ctrl+q")."""
    async with tui(sim) as (app, pilot):
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app._exit


async def test_the_palette_screenshot_lands_in_the_current_folder_without_downloads(
    sim: Simulation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no ~/Downloads the screenshot is saved in the current folder instead of failing."""
    monkeypatch.setattr("platformdirs.user_downloads_path", lambda: tmp_path / "no-downloads")
    monkeypatch.chdir(tmp_path)
    async with tui(sim) as (app, pilot):
        app.action_screenshot(filename="shot.svg")
        await settle(app, pilot)
        assert (tmp_path / "shot.svg").read_text().startswith("<svg")
