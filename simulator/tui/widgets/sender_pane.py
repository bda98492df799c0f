"""The sender's live counters; a 410 (a dead token) flashes."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from simulator.tui.labels import printable
from simulator.tui.meaning import Meaning, style
from simulator.tui.model import SenderTally

#: How long a 410 stays flashed, in real seconds.
FLASH_SECONDS = 1.5


class SenderPane(Static, can_focus=True):
    """Requested, sent, accepted, failed by reason, retried, pruned; shown on the phones, and
    what the apps reported: received, opened, dismissed (with why a count may stay at 0)."""

    def __init__(self, tally: SenderTally, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tally = tally
        self.border_title = "sender"
        self.summary = ""
        """The counters as shown, as one line of text."""
        self.notes = ""
        """The lines under the counters (failures, why a count stays at 0), as shown."""
        self.flashed: str | None = None
        """The last 410 flashed (kept after the flash ends, for tests and the eye)."""

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        """Redraw the counters."""
        tally = self.tally
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim")
        table.add_column(justify="right")
        table.add_column(style="dim")
        table.add_column(justify="right")
        counts = {
            "requested": tally.requested,
            "sent": tally.sent,
            "accepted": tally.accepted,
            "retried": tally.retried,
            "pruned": tally.pruned,
            "shown": tally.shown,
            "received": tally.received,
            "opened": tally.opened,
            "dismissed": tally.dismissed,
        }
        self.summary = " ".join(f"{name} {count}" for name, count in counts.items())

        def count(name: str, meaning: Meaning = Meaning.NEUTRAL) -> Text:
            value = counts[name]
            return Text(str(value), style="bold " + (style(meaning) if value else ""))

        table.add_row("requested", count("requested"), "sent", count("sent"))
        table.add_row(
            "accepted",
            count("accepted", Meaning.SUCCESS),
            "retried",
            count("retried", Meaning.WARNING),
        )
        table.add_row(
            "pruned", count("pruned", Meaning.ERROR), "shown", count("shown", Meaning.SUCCESS)
        )
        table.add_row("received", count("received"), "opened", count("opened", Meaning.SUCCESS))
        table.add_row("dismissed", count("dismissed"))
        notes = Text()
        for label, n in sorted(tally.failed.items()):
            notes.append(f"✘ {n} × {printable(label)}\n", style=style(Meaning.ERROR))
        if tally.shown and not tally.received:
            notes.append("received: the apps do not report receipt (off by default)\n", "dim")
        if tally.swipes_unreported:
            notes.append(
                f"{tally.swipes_unreported} swipes not reported: the app must ask for them "
                "(iOS customDismissAction, Android delete intent)\n",
                "dim",
            )
        self.notes = notes.plain
        self.update(_stack(table, notes))

    def flash(self, label: str) -> None:
        """Flash ``label`` (a 410) for a moment."""
        self.flashed = label
        self.add_class("-flash")
        self.border_subtitle = f"⚡ {label}"
        self.set_timer(FLASH_SECONDS, self._unflash)

    def _unflash(self) -> None:
        self.remove_class("-flash")
        self.border_subtitle = ""


def _stack(table: Table, failures: Text) -> Table:
    outer = Table.grid()
    outer.add_row(table)
    if failures:
        failures.rstrip()
        outer.add_row(failures)
    return outer
