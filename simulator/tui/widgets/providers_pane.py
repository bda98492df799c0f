"""The latest requests the fake APNs and the fake FCM answered, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from simulator.tui.labels import Labels, printable
from simulator.tui.meaning import of_status, style


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """One answered request, from either request log."""

    at: float
    provider: str
    status: int
    reason: str | None
    token: str | None
    what: str


def latest_requests(
    apns_log: Iterable[Any],
    fcm_log: Iterable[Any],
    count: int,
    apns_production_log: Iterable[Any] = (),
) -> list[ProviderRequest]:
    """The ``count`` newest requests of the logs (``fakeproviders/apns/log.py``,
    ``fakeproviders/fcm/inspection.py``), newest first; production APNs shows as "APNs prod"."""
    apns = [
        ProviderRequest(e.at, provider, e.status, e.reason, e.token, e.topic or e.path)
        for provider, log in (("APNs", apns_log), ("APNs prod", apns_production_log))
        for e in _tail(log, count)
    ]
    fcm = [
        ProviderRequest(e.at, "FCM", e.status, e.reason, e.token or e.topic, e.kind or e.path)
        for e in _tail(fcm_log, count)
    ]
    # Stable for equal times: APNs first, each log in its own order.
    return sorted(apns + fcm, key=lambda r: r.at, reverse=True)[:count]


def _tail(log: Iterable[Any], count: int) -> list[Any]:
    entries = list(log)
    return entries[-count:]


class ProvidersPane(Static, can_focus=True):
    """What the fakes were asked and what they answered."""

    def __init__(self, labels: Labels, *, rows: int = 10, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels = labels
        self.rows = rows
        self.border_title = "providers"
        self.shown: list[ProviderRequest] = []

    def show(self, requests: list[ProviderRequest]) -> None:
        """Draw ``requests`` (redraws only when they changed)."""
        if requests == self.shown and self.shown:
            return
        self.shown = requests
        # Fixed widths for the short columns: a long reason is cut, it never pushes the
        # provider and the time out of the pane.
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column("time", no_wrap=True, width=8)
        table.add_column("who", no_wrap=True, width=4)
        table.add_column("status", no_wrap=True, overflow="ellipsis", ratio=2)
        table.add_column("token", no_wrap=True, overflow="ellipsis", max_width=9)
        table.add_column("what", no_wrap=True, overflow="ellipsis", ratio=1)
        for request in requests:
            status = str(request.status) + (f" {request.reason}" if request.reason else "")
            table.add_row(
                self.labels.time(request.at)[-8:],
                request.provider,
                Text(printable(status), style=style(of_status(request.status))),
                self.labels.token(request.token) if request.token else "",
                Text(printable(request.what), style="dim"),
            )
        self.update(table if requests else Text("no requests yet", style="dim"))
