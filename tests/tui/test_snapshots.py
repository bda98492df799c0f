"""Snapshot tests of the main screens (pytest-textual-snapshot; update with --snapshot-update).

The scenes are deterministic (``tests/tui/scenes.py``): fixed phone ids and titles, times with
the seconds masked, tokens and notification ids numbered in order of appearance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.conftest import SIZE
from tests.tui.scenes import demo_fleet, scene_app, settle

Compare = Callable[..., bool]


def _then_press(*keys: str) -> Callable[[Pilot[int]], Any]:
    async def run_before(pilot: Pilot[int]) -> None:
        await demo_fleet(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


def test_main_screen(snap_compare: Compare, state_dir: Path) -> None:
    """The main screen shows the phones, the sender and providers panes, faults and timeline."""
    assert snap_compare(scene_app(state_dir), terminal_size=SIZE, run_before=demo_fleet)


def test_help_screen(snap_compare: Compare, state_dir: Path) -> None:
    """The help screen lists every key and action."""
    app = scene_app(state_dir)
    assert snap_compare(app, terminal_size=SIZE, run_before=_then_press("question_mark"))


def test_compose_form(snap_compare: Compare, state_dir: Path) -> None:
    """The compose form opens addressed to the selected phone's user."""
    app = scene_app(state_dir)
    assert snap_compare(app, terminal_size=SIZE, run_before=_then_press("c"))


def test_install_form(snap_compare: Compare, state_dir: Path) -> None:
    """The install form offers the apps, the user and the prompt's answers."""
    app = scene_app(state_dir)
    assert snap_compare(app, terminal_size=SIZE, run_before=_then_press("i"))


def test_timeline_filtered_to_one_phone(snap_compare: Compare, state_dir: Path) -> None:
    """With l the timeline shows only the selected phone's events."""
    app = scene_app(state_dir)
    assert snap_compare(app, terminal_size=SIZE, run_before=_then_press("l"))
