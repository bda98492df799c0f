"""The app's first screen: Textual's own, except that a focus change does not repaint it all."""

from __future__ import annotations

from typing import Any

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class MainScreen(Screen[Any]):
    """The screen holding the panes.

    The focus moves at every ←/→ in the phones pane, and Textual's screen repaints all of itself
    when it does (its ``focused`` is a repainting reactive), redrawing every card of the page. The
    widgets whose look depends on the focus are restyled, hence redrawn, by the focus change
    itself, so the whole-screen repaint only cost time.
    """

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
