"""Pilot tests: each key acts on the selected phone, its app or its notification."""

from __future__ import annotations

import pytest

from simulator import DEFAULT_APP_ID, Simulation
from simulator.tui.screens.forms import InstallScreen
from simulator.tui.widgets.phone_card import PhoneCard
from tests.tui.conftest import card_of, settle, tui


async def test_a_adds_an_iphone_and_selects_its_card(sim: Simulation) -> None:
    """Pressing a adds an iPhone, and its card appears selected."""
    async with tui(sim) as (app, pilot):
        await pilot.press("a")
        await settle(app, pilot)
        (phone,) = sim.phones
        assert phone.platform == "ios"
        card = app.selected_card()
        assert card is not None and card.phone is phone


async def test_shift_a_adds_an_android_phone(sim: Simulation) -> None:
    """Pressing A adds an Android phone with its card."""
    async with tui(sim) as (app, pilot):
        await pilot.press("A")
        await settle(app, pilot)
        assert [p.platform for p in sim.phones] == ["android"]
        assert len(app.query(PhoneCard)) == 1


async def test_delete_removes_the_selected_phone_and_its_card(sim: Simulation) -> None:
    """Pressing delete takes the selected phone out of the fleet and off the screen."""
    sim.add_iphone("keep")
    sim.add_iphone("gone")
    async with tui(sim) as (app, pilot):
        await pilot.click(card_of(app, "gone"))
        await pilot.press("delete")
        await settle(app, pilot)
        assert [p.phone_id for p in sim.phones] == ["keep"]
        # A card the page no longer needs is hidden, not removed.
        assert [c.phone.phone_id for c in app.query(PhoneCard) if c.display] == ["keep"]


async def test_install_form_installs_the_app_and_answers_allow(sim: Simulation) -> None:
    """The install form (i) installs the app for the typed user and allows notifications."""
    phone = sim.add_iphone("kim-iphone")
    async with tui(sim) as (app, pilot):
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, InstallScreen)
        await pilot.click("#ok")
        await settle(app, pilot)
        (installed,) = phone.apps
        assert (installed.app_id, installed.user_id) == (DEFAULT_APP_ID, "kim")
        assert installed.permission.value == "authorized"


@pytest.mark.parametrize(("key", "permission"), [("y", "authorized"), ("n", "denied")])
async def test_y_and_n_answer_the_permission_prompt(
    sim: Simulation, key: str, permission: str
) -> None:
    """An app that has not asked yet gets the answer y (allow) or n (deny) from the prompt."""
    phone = sim.add_iphone()
    phone.install(DEFAULT_APP_ID, user_id="ann", ask=False)
    async with tui(sim) as (app, pilot):
        await pilot.press(key)
        await settle(app, pilot)
        assert phone.app(DEFAULT_APP_ID).permission.value == permission


async def test_u_uninstalls_the_selected_app(sim: Simulation) -> None:
    """Pressing u uninstalls the selected app."""
    phone = sim.add_android()
    phone.install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    async with tui(sim) as (app, pilot):
        await pilot.press("u")
        await settle(app, pilot)
        assert phone.apps == []
        assert sim.timeline.events("AppUninstalled", phone=phone.phone_id)


async def test_s_toggles_notifications_in_settings(sim: Simulation) -> None:
    """Pressing s flips the app's Allow Notifications switch, and again flips it back."""
    phone = sim.add_iphone()
    installed = phone.install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    async with tui(sim) as (app, pilot):
        await pilot.press("s")
        await settle(app, pilot)
        assert installed.enabled_in_settings is False
        await pilot.press("s")
        await settle(app, pilot)
        assert installed.enabled_in_settings is True


async def test_o_takes_the_phone_offline_and_back_online(sim: Simulation) -> None:
    """Pressing o takes the selected phone offline, and again brings it back online."""
    phone = sim.add_iphone()
    async with tui(sim) as (app, pilot):
        await pilot.press("o")
        await settle(app, pilot)
        assert phone.online is False
        assert app.selected_card() is not None and app.selected_card().has_class("-offline")
        await pilot.press("o")
        await settle(app, pilot)
        assert phone.online is True


async def _shown(sim: Simulation, user: str, title: str) -> str:
    notification_id = await sim.notify(user, title=title, body="body")
    shown = await sim.wait_for("NotificationDisplayed", notification=notification_id)
    return str(shown.entry_id)


async def test_enter_taps_the_selected_notification(sim: Simulation) -> None:
    """Pressing enter on a phone taps its selected (newest) notification."""
    phone = sim.add_iphone()
    phone.install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    async with tui(sim) as (app, pilot):
        entry_id = await _shown(sim, "ann", "Hello")
        await settle(app, pilot)
        await pilot.click(card_of(app, phone.phone_id))
        await pilot.press("enter")
        await settle(app, pilot)
        assert sim.timeline.events("NotificationTapped", entry_id=entry_id)
        assert phone.notifications() == []


async def test_w_swipes_away_the_notification_selected_with_down(sim: Simulation) -> None:
    """down selects the older notification and w dismisses that one, not the newest."""
    phone = sim.add_iphone()
    phone.install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    async with tui(sim) as (app, pilot):
        older = await _shown(sim, "ann", "First")
        newer = await _shown(sim, "ann", "Second")
        await settle(app, pilot)
        await pilot.click(card_of(app, phone.phone_id))
        await pilot.press("down", "w")
        await settle(app, pilot)
        assert sim.timeline.events("NotificationDismissed", entry_id=older)
        assert [e.entry_id for e in phone.notifications()] == [newer]


@pytest.mark.parametrize("platform", ["ios", "android"])
async def test_r_rotates_the_apps_token_and_reports_it(sim: Simulation, platform: str) -> None:
    """Pressing r gives the selected app a new token, which it reports to the sender."""
    phone = sim.add_iphone() if platform == "ios" else sim.add_android()
    installed = phone.install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    old = installed.token
    async with tui(sim) as (app, pilot):
        await pilot.press("r")
        await settle(app, pilot)
        assert installed.token not in (None, old)
        assert sim.timeline.events("TokenRotated", old_token=old, token=installed.token)


async def test_plus_advances_the_clock_an_hour(sim: Simulation) -> None:
    """Pressing + moves the shared clock at least an hour forward."""
    async with tui(sim) as (app, pilot):
        before = sim.clock.now()
        await pilot.press("plus")
        await settle(app, pilot)
        assert sim.clock.now() - before >= 3600


async def test_a_suppressed_notification_is_drawn_greyed_with_its_reason(sim: Simulation) -> None:
    """A notification the phone suppressed shows on its card with its title and the reason."""
    phone = sim.add_iphone()
    phone.install(DEFAULT_APP_ID, user_id="ann", answer="allow")
    phone.set_notifications_enabled(DEFAULT_APP_ID, False)
    async with tui(sim) as (app, pilot):
        notification_id = await sim.notify("ann", title="Hidden")
        await sim.wait_for("NotificationSuppressed", notification=notification_id)
        await settle(app, pilot)
        card = app.query_one(PhoneCard)
        assert "⊘ Hidden · notifications turned off in Settings" in card.render().plain
