"""A phone, drawn like one: status bar, lock-screen clock, app icons with badges, then the
notifications grouped per app (and per thread), newest group first.

One widget per phone, drawn from the phone's state by :meth:`PhoneCard.render` (no child widgets,
so 200 cards stay cheap). It is redrawn when the app's refresh timer finds it dirty, not on every
event. Clicking a line selects that app or notification.

The card is a list of sections (:attr:`PhoneCard.SECTIONS`), each a method returning its lines;
a new section (the Wallet's cards, say) is one more method and one more name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

from devices.android import AndroidPhone
from devices.apps import InstalledApp
from devices.ios import IosPhone
from devices.permissions import Permission
from devices.phone import Phone
from devices.tray import TrayEntry
from simulator.tui.labels import printable
from simulator.tui.meaning import Meaning, style
from simulator.tui.model import Dashboard

_PERMISSION = {
    Permission.AUTHORIZED: ("✔", Meaning.SUCCESS),
    Permission.PROVISIONAL: ("◐", Meaning.WARNING),
    Permission.EPHEMERAL: ("◐", Meaning.WARNING),
    Permission.DENIED: ("✘", Meaning.ERROR),
    Permission.NOT_DETERMINED: ("?", Meaning.WARNING),
}
#: Spaces a sliding-in notification starts from, per tick left.
_SLIDE_STEP = 6


@dataclass(frozen=True, slots=True)
class Row:
    """What a line of the card is about (for mouse clicks)."""

    app_id: str | None = None
    entry_id: str | None = None


Line = tuple[Text, Row]


def short_app(app_id: str) -> str:
    """``com.example.demo`` → ``demo``: the name under the app's icon."""
    return app_id.rsplit(".", 1)[-1]


class PhoneCard(Widget, can_focus=True):
    """One simulated phone; focus selects it, the app's actions apply to the selected phone."""

    SECTIONS: tuple[str, ...] = ("status", "clock", "apps", "cards", "tray")
    """The card's sections, top to bottom; each is drawn by ``_section_<name>(width)``. The tray
    comes last: it takes the room left and says how many notifications it could not show."""

    BINDINGS = [
        Binding("up", "select_entry(-1)", "Newer", show=False),
        Binding("down", "select_entry(1)", "Older", show=False),
        Binding("left_square_bracket", "select_app(-1)", "Previous app", show=False),
        Binding("right_square_bracket", "select_app(1)", "Next app", show=False),
    ]

    class Selected(Message):
        """The user selected this phone (focus or click)."""

        def __init__(self, card: PhoneCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, phone: Phone, dashboard: Dashboard) -> None:
        # No id: the phones pane re-points its cards at other phones as its page moves.
        super().__init__(classes=phone.platform)
        self.phone = phone
        self.dashboard = dashboard
        self.selected_app: str | None = None
        self.selected_entry: str | None = None
        self._rows: list[Row] = []
        self._label()

    def _label(self) -> None:
        phone = self.phone
        self.border_title = printable(phone.phone_id)
        api_level = getattr(phone, "api_level", None)
        self.border_subtitle = "iOS" if phone.platform == "ios" else f"Android {api_level}"

    def point_at(self, phone: Phone, picks: dict[str, Row]) -> None:
        """Show ``phone`` instead (cheaper than a new card). The app and notification chosen on
        each phone are kept in ``picks`` so they come back with the phone."""
        if phone is self.phone:
            return
        if self.selected_app is not None or self.selected_entry is not None:
            picks[self.phone.phone_id] = Row(self.selected_app, self.selected_entry)
        if phone.platform != self.phone.platform:
            self.remove_class(self.phone.platform, update=False).add_class(phone.platform)
        self.phone = phone
        pick = picks.pop(phone.phone_id, Row())
        self.selected_app, self.selected_entry = pick.app_id, pick.entry_id
        self._label()
        self.update()

    # -- selection ------------------------------------------------------------------------------

    def current_app(self) -> InstalledApp | None:
        """The selected app (the first one when none was chosen)."""
        apps = self.phone.apps
        chosen = next((a for a in apps if a.app_id == self.selected_app), None)
        return chosen or (apps[0] if apps else None)

    def entries(self) -> list[TrayEntry]:
        """The tray, newest first, in the order the card draws it: grouped by app, then by
        thread, the group with the newest notification first."""
        newest_first = list(reversed(self.phone.notifications()))
        apps: dict[str, int] = {}
        threads: dict[tuple[str, str | None], int] = {}
        for entry in newest_first:
            apps.setdefault(entry.app_id, len(apps))
            threads.setdefault((entry.app_id, entry.thread_id), len(threads))
        return sorted(
            newest_first, key=lambda e: (apps[e.app_id], threads[(e.app_id, e.thread_id)])
        )

    def current_entry(self) -> TrayEntry | None:
        """The selected notification (the newest when none was chosen)."""
        entries = self.entries()
        chosen = next((e for e in entries if e.entry_id == self.selected_entry), None)
        return chosen or (entries[0] if entries else None)

    def action_select_entry(self, step: int) -> None:
        entries = self.entries()
        if entries:
            current = self.current_entry()
            index = entries.index(current) if current in entries else 0
            self.selected_entry = entries[(index + step) % len(entries)].entry_id
            self.refresh()

    def action_select_app(self, step: int) -> None:
        apps = self.phone.apps
        current = self.current_app()
        if apps and current is not None:
            self.selected_app = apps[(apps.index(current) + step) % len(apps)].app_id
            self.refresh()

    @property
    def is_selected(self) -> bool:
        """Whether this is the phone the app's actions apply to."""
        return self.has_class("-selected")

    def on_focus(self) -> None:
        self.post_message(self.Selected(self))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and 0 <= offset.y < len(self._rows):
            row = self._rows[offset.y]
            if row.app_id is not None:
                self.selected_app = row.app_id
            if row.entry_id is not None:
                self.selected_entry = row.entry_id
            self.refresh()
        self.focus()

    # -- drawing --------------------------------------------------------------------------------

    def update(self) -> None:
        """Redraw from the phone's state (the offline look is a class: set before drawing)."""
        self.set_class(not self.phone.online, "-offline")
        self.refresh()

    def on_mount(self) -> None:
        self.set_class(not self.phone.online, "-offline")

    def render(self) -> Text:
        width = max(10, self.content_size.width)
        height = max(1, self.content_size.height)
        lines: list[Line] = []
        for name in self.SECTIONS:
            section: Callable[[int], list[Line]] = getattr(self, f"_section_{name}")
            if name == "tray":
                lines += self._fit(section(width), height - len(lines))
            else:
                lines += section(width)
        lines = lines[:height]
        self._rows = [row for _, row in lines]
        for line, _ in lines:
            line.truncate(width, overflow="ellipsis")  # a card never wraps
        return Text("\n").join(line for line, _ in lines)

    @staticmethod
    def _fit(lines: list[Line], room: int) -> list[Line]:
        """The first lines that fit in ``room``, the last one saying how many were left out."""
        if len(lines) <= room:
            return lines
        kept = lines[: max(0, room - 1)]
        hidden = {row.entry_id for _, row in lines[len(kept) :] if row.entry_id}
        more = f"+ {len(hidden)} more" if hidden else "+ more"
        return [*kept, (Text(more, style="dim italic"), Row())]

    def _section_status(self, width: int) -> list[Line]:
        phone = self.phone
        users = sorted({printable(a.user_id) for a in phone.apps if a.user_id})
        status = Text.assemble(
            ("● online", style(Meaning.SUCCESS))
            if phone.online
            else ("○ offline", style(Meaning.ERROR)),
            "  ",
            (", ".join(users), "bold"),
        )
        return [(status, Row())]

    def _section_clock(self, width: int) -> list[Line]:
        clock, date = self.dashboard.labels.wall(self.dashboard.now())
        line = Text.assemble((clock, "bold"), "  ", (date, "dim"))
        line.align("center", width)
        return [(line, Row())]

    def _section_apps(self, width: int) -> list[Line]:
        phone = self.phone
        if not phone.apps:
            return [(Text("no apps: [i] install", style="dim italic"), Row())]
        labels = self.dashboard.labels
        selected_app = self.current_app()
        lines: list[Line] = []
        for app in phone.apps:
            chosen = app is selected_app and self.is_selected
            mark, meaning = _PERMISSION.get(app.permission, ("?", Meaning.WARNING))
            line = Text.assemble(
                ("▸" if chosen else " ", "bold"),
                (f"▣ {short_app(app.app_id)}", "bold reverse" if chosen else "bold"),
            )
            if badge := self._badge(app):
                line.append(f" {badge}", style="bold white on red")
            line.append(f" {mark} {app.permission.value}", style=style(meaning))
            if not app.enabled_in_settings:
                line.append(" off in Settings", style=style(Meaning.WARNING))
            if app.permission is Permission.NOT_DETERMINED:
                line.append(" [y]/[n]?", style="bold " + style(Meaning.WARNING))
            line.append(f" {labels.token(app.token)}", style="dim")
            lines.append((line, Row(app_id=app.app_id)))
        return lines

    def _section_cards(self, width: int) -> list[Line]:
        """Loyalty cards in the phone's wallet: points, tier, updates, switches that are off."""
        phone = self.phone
        lines: list[Line] = []
        if isinstance(phone, IosPhone) and phone.has_wallet:
            for held in phone.wallet.passes():
                fields = held.fields
                line = Text.assemble(
                    ("  ▤ ", "bold"),
                    (printable(held.organization_name), "bold"),
                    f" {fields.get('points', '')} pts {printable(str(fields.get('tier', '')))}",
                    (f" · {held.updates} updates", "dim"),
                )
                if not held.notifications:
                    line.append(" notifications off", style=style(Meaning.WARNING))
                if not held.automatic_updates:
                    line.append(" updates off", style=style(Meaning.WARNING))
                lines.append((line, Row()))
        elif isinstance(phone, AndroidPhone):
            for gpass in phone.passes():
                line = Text.assemble(
                    ("  ▤ ", "bold"),
                    (printable(gpass.program_name), "bold"),
                    f" {gpass.points} pts",
                )
                if not gpass.notifications:
                    line.append(" notifications off", style=style(Meaning.WARNING))
                lines.append((line, Row()))
        return lines

    def _badge(self, app: InstalledApp) -> int:
        """The icon's badge: ``aps.badge`` on iOS; the launcher's count of the app's
        notifications on Android (reference/devices.md §1.7, §2)."""
        if self.phone.platform == "ios":
            return int(getattr(app, "badge", 0) or 0)
        return len(self.phone.notifications(app.app_id))

    def _section_tray(self, width: int) -> list[Line]:
        lines: list[Line] = [(Text("─" * width, style="dim"), Row())]
        labels = self.dashboard.labels
        selected = self.current_entry()
        group: str | None = None
        thread: tuple[str, str | None] | None = None
        entries = self.entries()
        for entry in entries:
            if entry.app_id != group:
                group = entry.app_id
                count = sum(1 for e in entries if e.app_id == group)
                head = Text.assemble(
                    (f"▣ {short_app(group).upper()}", "bold"), (f"  {count}", "dim")
                )
                lines.append((head, Row(app_id=group)))
            if entry.thread_id and thread != (entry.app_id, entry.thread_id):
                lines.append((Text(f" ┆ {printable(entry.thread_id)}", style="italic"), Row()))
            thread = (entry.app_id, entry.thread_id)
            row = Row(app_id=entry.app_id, entry_id=entry.entry_id)
            indent = " " * (_SLIDE_STEP * self.dashboard.slide(self.phone.phone_id, entry.entry_id))
            chosen = entry is selected and self.is_selected
            look = "reverse" if chosen else ("bold" if entry.banner else "")
            when = labels.wall(entry.shown_at)[0]
            title = printable(entry.title or "(no title)")
            head = Text.assemble(indent, " ", (title, look))
            head.append(" " * max(1, width - head.cell_len - len(when)) + when, style="dim")
            lines.append((head, row))
            if entry.body:
                body = Text(f"{indent}   {printable(entry.body)}", style="" if chosen else "dim")
                lines.append((body, row))
        for hidden in reversed(self.dashboard.suppressed.get(self.phone.phone_id, ())):
            what = printable(self.dashboard.title_of(hidden.notification_id))
            text = Text.assemble(
                ("⊘ ", style(Meaning.WARNING)), (what, "italic"), (f" · {hidden.reason}", "dim")
            )
            lines.append((text, Row(app_id=hidden.app_id)))
        if len(lines) == 1:
            lines.append((Text("no notifications", style="dim italic"), Row()))
        return lines
