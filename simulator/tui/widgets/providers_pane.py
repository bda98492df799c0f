"""The latest requests the fake APNs and the fake FCM answered, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from simulator.tui.labels import Labels


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


class ProvidersPane(Static):
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
        table = Table.grid(padding=(0, 1))
        for column in ("time", "who", "status", "token", "what"):
            table.add_column(column, no_wrap=True, overflow="ellipsis")
        for request in requests:
            ok = 200 <= request.status < 300
            status = str(request.status) + (f" {request.reason}" if request.reason else "")
            table.add_row(
                self.labels.time(request.at)[-8:],
                request.provider,
                Text(status, style="green" if ok else "bold red"),
                self.labels.token(request.token) if request.token else "",
                Text(request.what, style="dim"),
            )
        if not requests:
            table.add_row(Text("no requests yet", style="dim"))
        self.update(table)
