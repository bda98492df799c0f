"""A phone, drawn small: platform, name, online state, apps and permissions, the lock screen.

One widget per phone, drawn from the phone's state by :meth:`PhoneCard.render` (no child widgets,
so 50 cards stay cheap). It is redrawn when the app's refresh timer finds it dirty, not on every
event. Clicking a line selects that app or notification.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

from devices.apps import InstalledApp
from devices.permissions import Permission
from devices.phone import Phone
from devices.tray import TrayEntry
from simulator.tui.model import Dashboard

_PERMISSION_MARK = {
    Permission.AUTHORIZED: ("✔", "green"),
    Permission.PROVISIONAL: ("◐", "yellow"),
    Permission.EPHEMERAL: ("◐", "yellow"),
    Permission.DENIED: ("✘", "red"),
    Permission.NOT_DETERMINED: ("?", "yellow"),
}
#: Spaces a sliding-in notification starts from, per tick left.
_SLIDE_STEP = 6


@dataclass(frozen=True, slots=True)
class Row:
    """What a line of the card is about (for mouse clicks)."""

    app_id: str | None = None
    entry_id: str | None = None


class PhoneCard(Widget, can_focus=True):
    """One simulated phone; focus selects it, the app's actions apply to the selected phone."""

    BINDINGS = [
        Binding("up", "select_entry(-1)", "Newer", show=False),
        Binding("down", "select_entry(1)", "Older", show=False),
        Binding("left_square_bracket", "select_app(-1)", "Previous app", show=False),
        Binding("right_square_bracket", "select_app(1)", "Next app", show=False),
        Binding("left", "app.focus_previous", "Previous phone", show=False),
        Binding("right", "app.focus_next", "Next phone", show=False),
    ]
    """
    | Key | Action |
    | :- | :- |
    | up / down | Select the newer / older notification. |
    | [ / ] | Select the previous / next app. |
    | left / right | Select the previous / next phone. |
    """

    class Selected(Message):
        """The user selected this phone (focus or click)."""

        def __init__(self, card: PhoneCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, phone: Phone, dashboard: Dashboard) -> None:
        super().__init__(id=f"phone-{phone.phone_id}", classes=phone.platform)
        self.phone = phone
        self.dashboard = dashboard
        self.selected_app: str | None = None
        self.selected_entry: str | None = None
        self._rows: list[Row] = []
        self.border_title = phone.phone_id
        api_level = getattr(phone, "api_level", None)
        self.border_subtitle = "iOS" if phone.platform == "ios" else f"Android {api_level}"

    # -- selection ------------------------------------------------------------------------------

    def current_app(self) -> InstalledApp | None:
        """The selected app (the first one when none was chosen)."""
        apps = self.phone.apps
        chosen = next((a for a in apps if a.app_id == self.selected_app), None)
        return chosen or (apps[0] if apps else None)

    def entries(self) -> list[TrayEntry]:
        """The tray, newest first, in the order the card draws it (grouped by app and thread)."""
        newest_first = list(reversed(self.phone.notifications()))
        order: dict[tuple[str, str | None], int] = {}
        for entry in newest_first:
            order.setdefault((entry.app_id, entry.thread_id), len(order))
        return sorted(newest_first, key=lambda e: order[(e.app_id, e.thread_id)])

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

    def render(self) -> Text:
        phone = self.phone
        self.set_class(not phone.online, "-offline")
        width = max(10, self.content_size.width)
        height = max(1, self.content_size.height)
        lines: list[tuple[Text, Row]] = []
        status = Text.assemble(
            ("● online" if phone.online else "○ offline", "green" if phone.online else "red"),
        )
        lines.append((status, Row()))
        selected_app = self.current_app()
        for app in phone.apps:
            lines += self._app_lines(app, app is selected_app and self.is_selected)
        if not phone.apps:
            lines.append((Text("no apps: [i] install", style="dim italic"), Row()))
        lines.append((Text("─ lock screen " + "─" * width, style="dim"), Row()))
        # (every line is cut to the card's width below: a card never wraps)
        tray_lines = self._tray_lines(width)
        room = height - len(lines)
        if len(tray_lines) > room:
            hidden = {row.entry_id for _, row in tray_lines[max(0, room - 1) :] if row.entry_id}
            tray_lines = tray_lines[: max(0, room - 1)]
            more = Text(f"+ {len(hidden)} more", style="dim italic")
            tray_lines.append((more, Row()))
        lines += tray_lines
        self._rows = [row for _, row in lines]
        for line, _ in lines:
            line.truncate(width, overflow="ellipsis")
        return Text("\n").join(line for line, _ in lines)

    def _app_lines(self, app: InstalledApp, selected: bool) -> list[tuple[Text, Row]]:
        labels = self.dashboard.labels
        mark, colour = _PERMISSION_MARK.get(app.permission, ("?", "yellow"))
        name = Text.assemble(
            ("▸ " if selected else "  ", "bold"),
            (app.app_id, "bold reverse" if selected else "bold"),
            f" {app.user_id}",
        )
        badge = getattr(app, "badge", 0)
        if badge:
            name.append(f" ({badge})", style="bold white on red")
        detail = Text.assemble(
            "  ",
            (f"{mark} {app.permission.value}", colour),
            ("" if app.enabled_in_settings else "  off in Settings", "red"),
            (f"  {labels.token(app.token)}", "dim"),
        )
        if app.permission is Permission.NOT_DETERMINED:
            detail.append("  [y]/[n]?", style="bold yellow")
        row = Row(app_id=app.app_id)
        return [(name, row), (detail, row)]

    def _tray_lines(self, width: int) -> list[tuple[Text, Row]]:
        labels = self.dashboard.labels
        lines: list[tuple[Text, Row]] = []
        selected = self.current_entry()
        several_apps = len(self.phone.apps) > 1
        group: tuple[str, str | None] | None = None
        for entry in self.entries():
            if entry.thread_id and group != (entry.app_id, entry.thread_id):
                lines.append((Text(f"┆ {entry.thread_id}", style="italic cyan"), Row()))
            group = (entry.app_id, entry.thread_id)
            row = Row(app_id=entry.app_id, entry_id=entry.entry_id)
            indent = " " * (_SLIDE_STEP * self.dashboard.slide(self.phone.phone_id, entry.entry_id))
            is_selected = entry is selected and self.is_selected
            style = "reverse" if is_selected else ("bold" if entry.banner else "")
            when = labels.time(entry.shown_at)[-8:]
            app_name = f"{entry.app_id.rsplit('.', 1)[-1]} · " if several_apps else ""
            head = Text.assemble(indent, (f"{app_name}{entry.title or '(no title)'}", style))
            head.append(" " * max(1, width - head.cell_len - len(when)) + when, style="dim")
            lines.append((head, row))
            if entry.body:
                lines.append(
                    (Text(f"{indent}  {entry.body}", style="dim" if not is_selected else ""), row)
                )
        for hidden in reversed(self.dashboard.suppressed.get(self.phone.phone_id, ())):
            text = Text(
                f"⊘ {labels.ident(hidden.notification_id)} {hidden.reason}", style="dim italic"
            )
            lines.append((text, Row(app_id=hidden.app_id)))
        if not lines:
            lines.append((Text("no notifications", style="dim italic"), Row()))
        return lines
