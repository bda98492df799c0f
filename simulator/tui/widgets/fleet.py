"""The phones pane: a scrolling grid of phone cards where the selection and the view move
together (←/→ one phone, PgUp/PgDn a screenful, Home/End the ends, the mouse wheel drags the
selection along), as in htop's and k9s's lists."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ItemGrid, VerticalScroll

from simulator.tui.widgets.phone_card import PhoneCard

#: Narrowest a card gets before the grid drops a column.
CARD_WIDTH = 34


class Fleet(VerticalScroll, can_focus=False):
    """The grid of :class:`PhoneCard`; the focused card is the selected phone."""

    BINDINGS = [
        Binding("left", "move(-1)", "Previous phone", show=False),
        Binding("right", "move(1)", "Next phone", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First phone", show=False),
        Binding("end", "jump(-1)", "Last phone", show=False),
    ]

    def on_mount(self) -> None:
        self.border_title = "phones"

    def compose(self) -> ComposeResult:
        yield ItemGrid(id="phones", min_column_width=CARD_WIDTH)

    def cards(self) -> list[PhoneCard]:
        """The cards in screen order."""
        return list(self.query(PhoneCard))

    def _index(self, cards: list[PhoneCard]) -> int:
        return next((n for n, card in enumerate(cards) if card.is_selected), 0)

    def select(self, card: PhoneCard) -> None:
        """Focus ``card`` (which selects it) and bring it into view."""
        card.focus(scroll_visible=False)
        self.scroll_to_widget(card, animate=False, immediate=True)

    def action_move(self, step: int) -> None:
        """One phone along; stays on the first or last one (focus never leaves the fleet)."""
        cards = self.cards()
        if cards:
            self.select(cards[max(0, min(len(cards) - 1, self._index(cards) + step))])

    def action_page(self, direction: int) -> None:
        """A screenful of phones up or down, selection and view together."""
        cards = self.cards()
        if cards:
            self.action_move(direction * self.per_page(cards))

    def action_jump(self, index: int) -> None:
        cards = self.cards()
        if cards:
            self.select(cards[index])

    def columns(self, cards: list[PhoneCard]) -> int:
        """Cards per grid row."""
        first = cards[0].virtual_region.y
        return max(1, sum(1 for card in cards if card.virtual_region.y == first))

    def per_page(self, cards: list[PhoneCard]) -> int:
        """Cards in one screenful (at least one row)."""
        card_height = max(1, cards[0].outer_size.height)
        rows = max(1, self.scrollable_content_region.height // card_height)
        return self.columns(cards) * rows

    def _in_view(self, card: PhoneCard) -> bool:
        top = card.virtual_region.y
        return self.scroll_y <= top and top + card.outer_size.height <= (
            self.scroll_y + self.scrollable_content_region.height
        )

    def watch_scroll_y(self, old: float, new: float) -> None:
        """Scrolled away from the selected phone (wheel, scrollbar): select a visible one."""
        super().watch_scroll_y(old, new)
        cards = self.cards()
        if not cards or self.app.screen is not self.screen:
            return
        selected = cards[self._index(cards)]
        if self._in_view(selected):
            return
        visible = [card for card in cards if self._in_view(card)]
        if visible:
            above = selected.virtual_region.y < self.scroll_y
            target = visible[0] if above else visible[-1]
            if self.app.focused is None or isinstance(self.app.focused, PhoneCard):
                target.focus(scroll_visible=False)
            else:
                target.post_message(PhoneCard.Selected(target))
