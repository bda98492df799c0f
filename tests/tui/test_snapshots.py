"""Snapshot tests of the main screens at 160x48, 100x30 and 80x24 (pytest-textual-snapshot;
update with --snapshot-update).

The scenes are deterministic (``tests/tui/scenes.py``): fixed phone ids and titles, times with
the seconds masked, lock screens at 09:41, tokens and notification ids numbered in order of
appearance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.scenes import demo_fleet, scene_app, settle

Compare = Callable[..., bool]
SIZES = {"160x48": (160, 48), "100x30": (100, 30), "80x24": (80, 24)}


def _then_press(*keys: str) -> Callable[[Pilot[int]], Any]:
    async def run_before(pilot: Pilot[int]) -> None:
        await demo_fleet(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare: Compare, state_dir: Path, size: str) -> None:
    """Wide: every pane at once; smaller: the phones pane under a tab line, footer keys kept."""
    assert snap_compare(scene_app(state_dir), terminal_size=SIZES[size], run_before=demo_fleet)


def test_help_screen_with_the_legend(snap_compare: Compare, state_dir: Path) -> None:
    """The help screen starts with the colour legend, then lists every key, at 80x24."""
    app = scene_app(state_dir)
    assert snap_compare(app, terminal_size=SIZES["80x24"], run_before=_then_press("question_mark"))


def test_compose_form(snap_compare: Compare, state_dir: Path) -> None:
    """The compose form opens addressed to the selected phone's user (100x30)."""
    app = scene_app(state_dir)
    assert snap_compare(app, terminal_size=SIZES["100x30"], run_before=_then_press("c"))


def test_install_form(snap_compare: Compare, state_dir: Path) -> None:
    """The install form offers the apps, the user and the prompt's answers (160x48)."""
    app = scene_app(state_dir)
    assert snap_compare(app, terminal_size=SIZES["160x48"], run_before=_then_press("i"))


def test_timeline_tab_filtered_to_one_phone(snap_compare: Compare, state_dir: Path) -> None:
    """At 80x24, 5 shows the timeline alone; l keeps only the selected phone's events."""
    app = scene_app(state_dir)
    assert snap_compare(app, terminal_size=SIZES["80x24"], run_before=_then_press("l", "5"))
