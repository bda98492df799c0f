"""The sender's live counters; a 410 (a dead token) flashes."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from simulator.tui.model import SenderTally

#: How long a 410 stays flashed, in real seconds.
FLASH_SECONDS = 1.5


class SenderPane(Static):
    """Requested, sent, accepted, failed by reason, retried, pruned, received, opened, dismissed."""

    def __init__(self, tally: SenderTally, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tally = tally
        self.border_title = "sender"
        self.summary = ""
        """The counters as shown, as one line of text."""
        self.flashed: str | None = None
        """The last 410 flashed (kept after the flash ends, for tests and the eye)."""

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        """Redraw the counters."""
        tally = self.tally
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim")
        table.add_column(justify="right", style="bold")
        table.add_column(style="dim")
        table.add_column(justify="right", style="bold")
        counts = {
            "requested": tally.requested,
            "sent": tally.sent,
            "accepted": tally.accepted,
            "retried": tally.retried,
            "pruned": tally.pruned,
            "received": tally.received,
            "opened": tally.opened,
            "dismissed": tally.dismissed,
        }
        self.summary = " ".join(f"{name} {count}" for name, count in counts.items())
        table.add_row("requested", str(tally.requested), "sent", str(tally.sent))
        table.add_row("accepted", str(tally.accepted), "retried", str(tally.retried))
        table.add_row("pruned", str(tally.pruned), "received", str(tally.received))
        table.add_row("opened", str(tally.opened), "dismissed", str(tally.dismissed))
        failures = Text()
        for label, count in sorted(tally.failed.items()):
            failures.append(f"✘ {count} × {label}\n", style="red")
        self.update(_stack(table, failures))

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
