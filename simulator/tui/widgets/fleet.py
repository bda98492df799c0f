"""The phones pane: a page of phone cards over the whole fleet, like htop's and k9s's lists.

Only the cards that fit are mounted (a fleet of 200 costs what a screenful costs), and a page move
re-points them at other phones rather than mounting new ones; a short last page hides the cards it
does not need rather than removing them. The page moves with the selection:
←/→ one phone, PgUp/PgDn a page, Home/End the ends, the mouse wheel a row, and the selection stays
on a shown phone. The border says which phones are shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ItemGrid, Vertical
from textual.css.scalar import Scalar

from devices.phone import Phone
from simulator.tui.model import Dashboard
from simulator.tui.widgets.phone_card import PhoneCard, Row

#: Narrowest a card gets before the grid drops a column.
CARD_WIDTH = 34
#: A card's usual height, border included; cards stretch or shrink a little to fill the pane.
CARD_HEIGHT = 15
#: The least a card is given.
MIN_CARD_HEIGHT = 10


class Fleet(Vertical, can_focus=False):
    """The page of :class:`PhoneCard` shown; the focused card is the selected phone."""

    BINDINGS = [
        Binding("left", "move(-1)", "Previous phone", show=False),
        Binding("right", "move(1)", "Next phone", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First phone", show=False),
        Binding("end", "jump(-1)", "Last phone", show=False),
    ]

    def __init__(self, dashboard: Dashboard, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.dashboard = dashboard
        self.phones: list[Phone] = []
        """The whole fleet, in order."""
        self.first = 0
        """Index of the first phone shown."""
        self.selected: str | None = None
        """The selected phone's id."""
        self.picks: dict[str, Row] = {}
        """The app and notification chosen on phones whose card went to another phone."""

    def compose(self) -> ComposeResult:
        yield ItemGrid(id="phones", min_column_width=CARD_WIDTH)

    # -- geometry -------------------------------------------------------------------------------

    @property
    def columns(self) -> int:
        return max(1, (self.content_size.width - 2 + 1) // (CARD_WIDTH + 1))

    @property
    def rows(self) -> int:
        """Rows of cards on a page: as many as fit near their usual height."""
        height = self.content_size.height
        return max(1, min(round(height / CARD_HEIGHT), height // MIN_CARD_HEIGHT))

    @property
    def card_height(self) -> int:
        return max(MIN_CARD_HEIGHT, self.content_size.height // self.rows)

    @property
    def per_page(self) -> int:
        """Cards that fit (at least one)."""
        return self.columns * self.rows

    def index_of(self, phone_id: str | None) -> int | None:
        return next((n for n, p in enumerate(self.phones) if p.phone_id == phone_id), None)

    # -- what is shown --------------------------------------------------------------------------

    def cards(self) -> list[PhoneCard]:
        """The cards shown, in order."""
        return [card for card in self.query(PhoneCard) if card.display]

    async def show(self, phones: Sequence[Phone], dashboard: Dashboard) -> None:
        """Show the page of ``phones`` that holds the selection (mounting only that page)."""
        self.phones, self.dashboard = list(phones), dashboard
        if self.index_of(self.selected) is None:
            self.selected = self.phones[0].phone_id if self.phones else None
        await self._sync_page()

    async def _sync_page(self) -> None:
        per_page, columns = self.per_page, self.columns
        selected = self.index_of(self.selected) or 0
        if selected < self.first:
            self.first = selected - selected % columns
        elif selected >= self.first + per_page:
            self.first = selected - selected % columns - per_page + columns
        self.first = max(0, min(self.first, max(0, len(self.phones) - 1)))
        page = self.phones[self.first : self.first + per_page]
        if [c.phone for c in self.cards()] != page:
            await self._point_cards_at(page)
        height = self.card_height
        grid = self.query_one(ItemGrid)
        if grid.styles.grid_rows != (Scalar.parse(str(height)),):
            grid.styles.grid_rows = str(height)
            for card in grid.query(PhoneCard):
                card.styles.height = height
        last = min(len(self.phones), self.first + per_page)
        self.border_title = (
            f"phones {self.first + 1}–{last} of {len(self.phones)}" if self.phones else "phones"
        )
        for card in self.cards():
            card.set_class(card.phone.phone_id == self.selected, "-selected")

    async def _point_cards_at(self, page: list[Phone]) -> None:
        """Show ``page`` on the mounted cards, mounting more only if the page is bigger than
        ever. Mounting and unmounting a page of widgets (their styles, their layout) was most of
        a page move's cost; a card hidden or shown again costs a layout only."""
        grid = self.query_one(ItemGrid)
        pool = list(grid.query(PhoneCard))
        for card, phone in zip(pool, page, strict=False):
            if not card.display or card.dashboard is not self.dashboard:
                # A hidden card was not kept up to date; another simulation has its own board.
                card.dashboard, card.display = self.dashboard, True
                card.update()
            card.point_at(phone, self.picks)
        for card in pool[len(page) :]:
            card.display = False
        new = [PhoneCard(phone, self.dashboard) for phone in page[len(pool) :]]
        for card in new:
            card.styles.height = self.card_height
        if new:
            await grid.mount_all(new)

    def card(self, phone_id: str | None) -> PhoneCard | None:
        return next((c for c in self.cards() if c.phone.phone_id == phone_id), None)

    async def select(self, phone_id: str, *, focus: bool = True) -> PhoneCard | None:
        """Select ``phone_id``: its page is shown, its card focused."""
        if self.index_of(phone_id) is None:
            return None
        self.selected = phone_id
        await self._sync_page()
        card = self.card(phone_id)
        if card is not None and focus:
            card.focus(scroll_visible=False)
        return card

    # -- keys and the wheel ---------------------------------------------------------------------

    async def _select_index(self, index: int) -> None:
        if self.phones:
            index = max(0, min(len(self.phones) - 1, index))
            await self.select(self.phones[index].phone_id)

    async def action_move(self, step: int) -> None:
        """One phone along; stays on the first or last one (focus never leaves the fleet)."""
        await self._select_index((self.index_of(self.selected) or 0) + step)

    async def action_page(self, direction: int) -> None:
        """A page of phones up or down, the selection with it."""
        self.first = max(0, self.first + direction * self.per_page)
        await self._select_index((self.index_of(self.selected) or 0) + direction * self.per_page)

    async def action_jump(self, index: int) -> None:
        await self._select_index(index if index >= 0 else len(self.phones) - 1)

    async def scroll_rows(self, rows: int) -> None:
        """The wheel: the page moves a row; the selection follows if it went out of sight."""
        columns, per_page = self.columns, self.per_page
        limit = max(0, len(self.phones) - per_page + (-len(self.phones)) % columns)
        self.first = max(0, min(limit, self.first + rows * columns))
        index = self.index_of(self.selected) or 0
        index = max(self.first, min(self.first + per_page - 1, index))
        await self._select_index(index)

    async def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        await self.scroll_rows(1)

    async def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        await self.scroll_rows(-1)

    async def on_resize(self, event: events.Resize) -> None:
        await self._sync_page()
