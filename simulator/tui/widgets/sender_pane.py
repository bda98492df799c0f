"""The sender's live counters; a 410 (a dead token) flashes."""

from __future__ import annotations

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

        def count(name: str, meaning: Meaning = Meaning.NEUTRAL) -> tuple[str, Text]:
            value = counts[name]
            return name, Text(str(value), style="bold " + (style(meaning) if value else ""))

        text = _grid(
            [
                [count("requested"), count("sent")],
                [count("accepted", Meaning.SUCCESS), count("retried", Meaning.WARNING)],
                [count("pruned", Meaning.ERROR), count("shown", Meaning.SUCCESS)],
                [count("received"), count("opened", Meaning.SUCCESS)],
                [count("dismissed")],
            ]
        )
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
        if notes:
            notes.rstrip()
            text.append("\n").append_text(notes)
        self.update(text)

    def flash(self, label: str) -> None:
        """Flash ``label`` (a 410) for a moment."""
        self.flashed = label
        self.add_class("-flash")
        self.border_subtitle = f"⚡ {label}"
        self.set_timer(FLASH_SECONDS, self._unflash)

    def _unflash(self) -> None:
        self.remove_class("-flash")
        self.border_subtitle = ""


def _grid(rows: list[list[tuple[str, Text]]]) -> Text:
    """Rows of (name, count) pairs as aligned columns: names dim, counts right-aligned. (Plain
    text, not a Rich table: the pane is redrawn at every focus change, and a table's layout cost
    more than the rest of a key press.)"""
    pairs = max(len(row) for row in rows)
    names = [max((len(row[n][0]) for row in rows if n < len(row)), default=0) for n in range(pairs)]
    counts = [
        max((row[n][1].cell_len for row in rows if n < len(row)), default=0) for n in range(pairs)
    ]
    lines = []
    for row in rows:
        line = Text()
        for n, (name, value) in enumerate(row):
            if n:
                line.append(" ")
            line.append(name.ljust(names[n]), style="dim")
            line.append(" " * (counts[n] - value.cell_len + 1)).append_text(value)
        lines.append(line)
    return Text("\n").join(lines)
