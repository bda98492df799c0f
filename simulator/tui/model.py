"""What the TUI shows, kept up to date from timeline events (sans-IO).

The timeline calls :meth:`Dashboard.observe` for every event, possibly hundreds a second. It only
records, in O(1): which phones changed (dirty flags), the sender's counters, suppressed
notifications, new tray entries to slide in, and the events still to be written to the timeline
pane. The app drains all of that on a timer (:meth:`take_dirty`, :meth:`take_rows`), so the
screen is redrawn a few times a second however fast events come.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from sender.errors import SenderError
from simulator.timeline import kind_of
from simulator.tui.labels import Labels

if TYPE_CHECKING:
    from simulator.simulation import Simulation


@dataclass(frozen=True, slots=True)
class Suppressed:
    """An alert that reached a phone and was not shown, drawn greyed with its reason."""

    app_id: str
    notification_id: str | None
    reason: str
    at: float


@dataclass
class SenderTally:
    """The sender's live counters, from its events (``sender/events.py``)."""

    requested: int = 0
    accepted: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    """Final refusals by ``"<status> <reason>"``."""
    retried: int = 0
    pruned: int = 0
    received: int = 0
    opened: int = 0
    dismissed: int = 0
    last_failure: str | None = None
    shown: int = 0
    """Alerts the phones displayed (what "received" would count if the apps reported it)."""
    swipes_unreported: int = 0
    """Swipes the apps were not told of (iOS without customDismissAction, Android without a
    delete intent: reference/devices.md §1.9), so ``dismissed`` cannot count them."""

    @property
    def sent(self) -> int:
        """Pushes with a final outcome."""
        return self.accepted + sum(self.failed.values())

    def add(self, event: Any) -> str | None:
        """Count ``event``; returns a text to flash when it is a 410 (a dead token)."""
        kind = kind_of(event)
        if kind == "NotificationRequested":
            self.requested += 1
        elif kind == "PushSent":
            self.accepted += 1
        elif kind == "PushRetried":
            self.retried += 1
        elif kind == "PushFailed":
            label = f"{event.status} {event.reason}"
            self.failed[label] += 1
            self.last_failure = label
            if event.status == 410:
                return label
        elif kind == "TokenPruned":
            self.pruned += 1
        elif kind == "EngagementRecorded" and event.event in ("received", "opened", "dismissed"):
            setattr(self, event.event, getattr(self, event.event) + 1)
        elif kind == "NotificationDisplayed":
            self.shown += 1
        elif kind == "NotificationDismissed" and not event.reported:
            self.swipes_unreported += 1
        return None


class Dashboard:
    """The TUI's view of the simulation, fed by timeline events; the widgets read from it.

    ``slide_ticks``: for how many refresh ticks a new notification slides in (0: no animation).
    ``timeline_cap``: the most rows the timeline pane keeps (older ones scroll away for good).
    """

    def __init__(
        self,
        labels: Labels,
        *,
        slide_ticks: int = 3,
        timeline_cap: int = 500,
        suppressed_per_phone: int = 3,
    ) -> None:
        self.labels = labels
        self.slide_ticks = slide_ticks
        self.timeline_cap = timeline_cap
        self.sender = SenderTally()
        self.suppressed: dict[str, deque[Suppressed]] = {}
        self.token_owner: dict[str, str] = {}
        """Token → the phone whose app holds (or held) it, so sender events can be filtered by phone."""
        self.sliding: dict[tuple[str, str], int] = {}
        """(phone id, entry id) → refresh ticks left in its slide-in."""
        self.events_seen = 0
        self._suppressed_per_phone = suppressed_per_phone
        self._dirty: set[str] = set()
        self._rows: deque[Any] = deque(maxlen=timeline_cap)
        self._flash: str | None = None
        self._sender_changed = False
        self.now: Callable[[], float] = lambda: labels.origin
        """The simulation's clock (the lock screens show it)."""
        self.lookup_title: Callable[[str], str | None] = lambda notification_id: None
        """Asks the sender for a notification's title (set by the app)."""
        self._titles: dict[str, str | None] = {}

    # -- fed by the timeline --------------------------------------------------------------------

    def observe(self, event: Any) -> None:
        """Record one timeline event (called for every event; never blocks, never redraws)."""
        self.events_seen += 1
        self._rows.append(event)
        phone_id = getattr(event, "phone_id", None)
        kind = kind_of(event)
        if notification_id := getattr(event, "notification_id", None):
            self.labels.note_id(notification_id)
        if phone_id is not None:
            self._dirty.add(phone_id)
            if kind in ("TokenReceived", "TokenRotated", "TokenIssued"):
                self.token_owner[event.token] = phone_id
                self.labels.note_token(event.token)
            elif kind == "NotificationDisplayed" and self.slide_ticks:
                self.sliding[(phone_id, event.entry_id)] = self.slide_ticks
            elif kind == "NotificationSuppressed":
                shelf = self.suppressed.setdefault(
                    phone_id, deque(maxlen=self._suppressed_per_phone)
                )
                shelf.append(
                    Suppressed(event.app_id, event.notification_id, event.reason, event.at)
                )
        # The sender pane also counts what the phones did (shown, swipes the apps never heard of).
        if type(event).__module__.startswith("sender.") or kind in (
            "NotificationDisplayed",
            "NotificationDismissed",
        ):
            self._sender_changed = True
            flash = self.sender.add(event)
            if flash is not None:
                self._flash = flash

    def title_of(self, notification_id: str | None) -> str:
        """A notification's title for a line that has only its id (a suppressed alert)."""
        if not notification_id:
            return "(no id)"
        if notification_id not in self._titles:
            if len(self._titles) > 10_000:
                self._titles.clear()
            self._titles[notification_id] = self.lookup_title(notification_id)
        return self._titles[notification_id] or self.labels.ident(notification_id)

    def touch(self, phone_id: str) -> None:
        """Mark a phone for redrawing (the TUI changed it, or the clock moved)."""
        self._dirty.add(phone_id)

    # -- drained by the refresh timer -----------------------------------------------------------

    def tick(self) -> set[str]:
        """One refresh tick: advance slide-ins; returns the phones to redraw (and clears them)."""
        for key, left in list(self.sliding.items()):
            self._dirty.add(key[0])
            if left <= 1:
                del self.sliding[key]
            else:
                self.sliding[key] = left - 1
        dirty, self._dirty = self._dirty, set()
        return dirty

    def slide(self, phone_id: str, entry_id: str) -> int:
        """How far (in ticks) the entry still has to slide in; 0 once it is in place."""
        return self.sliding.get((phone_id, entry_id), 0)

    def take_rows(self) -> list[Any]:
        """The events not yet written to the timeline pane (at most ``timeline_cap``)."""
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def take_flash(self) -> str | None:
        """A 410 to flash on the sender pane, once."""
        flash, self._flash = self._flash, None
        return flash

    def take_sender_changed(self) -> bool:
        changed, self._sender_changed = self._sender_changed, False
        return changed

    def belongs_to(self, event: Any, phone_id: str) -> bool:
        """Whether ``event`` is about ``phone_id``: its own events, or those naming its tokens."""
        if getattr(event, "phone_id", None) == phone_id:
            return True
        token = getattr(event, "token", None)
        return token is not None and self.token_owner.get(token) == phone_id


def follow(sim: Simulation, dashboard: Dashboard) -> Callable[[], None]:
    """Feed ``dashboard`` from ``sim``: what happened so far, then every event as it comes.
    Returns the function that stops it."""
    dashboard.labels.origin = sim.clock.now()
    dashboard.now = sim.clock.now
    dashboard.lookup_title = partial(_title, sim)
    for event in sim.timeline:
        dashboard.observe(event)
    return sim.timeline.subscribe(dashboard.observe)


def _title(sim: Simulation, notification_id: str) -> str | None:
    """A notification's title, from the sender's store (None if it has none or is unknown)."""
    try:
        title = sim.sender.get_notification(notification_id).request.title
    except SenderError:  # not the sender's (a push sent straight to a fake): the id is shown
        return None
    return title
