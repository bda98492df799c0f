"""One timeline for the whole simulation (DESIGN.md, principle 3).

Every package emits its own frozen, past-tense event dataclasses; the timeline stores them in order
and answers queries. It relies only on the field-name convention the packages share: ``at`` (the
clock time), actors ``phone_id``, ``app_id``, ``token``, ``user_id``, and correlation ids
``notification_id`` (the sender's) and ``push_id`` (the provider's ``apns-id`` or FCM message name).
Correlation ids that appear together in one event are linked, so a query by the sender's
notification id also finds the provider's and the phone's events for it.

Every event gets a sequence number, ``seq``, when it is recorded: 1, 2, 3… in the order the
timeline learnt of them, never reused (not even after :meth:`Timeline.clear`). ``since=N`` in
queries and waits means "recorded after event N", so the ``seq`` of the last event a client saw is
its cursor. The timeline itself is kept in the order of its clock: a fact learnt late keeps the time
it happened and is filed there. A provider finds out that a token died only when the next push for it
arrives, and its ``TokenInvalidated`` carries the moment of death; such an event is placed among the
events of that moment, with a ``seq`` higher than its neighbours'.
"""

from __future__ import annotations

import array
import asyncio
import bisect
import dataclasses
import datetime
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

#: Fields that tie events of one notification together, across packages.
CORRELATION_FIELDS = ("notification_id", "push_id")

Listener = Callable[[Any], None]
EntryListener = Callable[["Entry"], None]


class Entry(NamedTuple):
    """An event with the sequence number the timeline gave it."""

    seq: int
    event: Any


def kind_of(event: Any) -> str:
    """An event's kind is its class name: ``NotificationDisplayed``, ``TokenPruned``…"""
    return type(event).__name__


class Timeline:
    """The ordered record of every event, with queries, waits and live listeners."""

    def __init__(self) -> None:
        # Two parallel lists in clock order: the events and their sequence numbers (a compact
        # array: a simulation of many phones keeps hundreds of thousands of events).
        self._events: list[Any] = []
        self._seqs = array.array("q")
        self._last_seq = 0
        self._listeners: list[EntryListener] = []
        self._waiters: list[_Waiter] = []
        # Union-find over correlation ids: ids seen in one event belong to one notification.
        self._parent: dict[str, str] = {}

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the latest event recorded (0 before the first); a cursor for ``since``."""
        return self._last_seq

    def record(self, event: Any) -> None:
        """File ``event`` at its clock time, numbered; tell listeners and wake waiters."""
        self._last_seq += 1
        seq = self._last_seq
        if not self._events or event.at >= self._events[-1].at:
            self._events.append(event)
            self._seqs.append(seq)
        else:  # learnt late: after every event of the same time or earlier
            at = bisect.bisect_right(self._events, event.at, key=lambda e: e.at)
            self._events.insert(at, event)
            self._seqs.insert(at, seq)
        self._link(_correlation_ids(event))
        for listener in list(self._listeners):
            listener(Entry(seq, event))
        if self._waiters:
            relinked = len(_correlation_ids(event)) > 1
            for waiter in self._waiters:
                if waiter.future.done():
                    continue
                if seq > waiter.since and waiter.matches(event):
                    waiter.future.set_result(Entry(seq, event))
                elif relinked and waiter.notification is not None:
                    # This event tied ids together: an earlier event may belong to the awaited
                    # notification now (the provider stored a push before the sender learnt its id).
                    found = self._first(since=waiter.since, **waiter.filters)
                    if found is not None:
                        waiter.future.set_result(found)
            self._waiters = [w for w in self._waiters if not w.future.done()]

    def clear(self) -> None:
        """Forget every event (listeners stay subscribed; pending waits keep waiting).

        Sequence numbers go on counting, so a client's cursor never points into the new events.
        """
        self._events.clear()
        del self._seqs[:]
        self._parent.clear()

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Any]:
        """The events in clock order."""
        return iter(list(self._events))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every new event; returns a function that unsubscribes."""
        return self.subscribe_entries(lambda entry: listener(entry.event))

    def subscribe_entries(self, listener: EntryListener) -> Callable[[], None]:
        """Like :meth:`subscribe`, each event with its ``seq``."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def events(
        self,
        kind: str | type | None = None,
        *,
        phone: str | None = None,
        notification: str | None = None,
        since: int = 0,
        **fields: Any,
    ) -> list[Any]:
        """The events that match every filter given, in clock order.

        ``kind`` is a class or a class name; ``phone`` a phone id; ``notification`` any correlation
        id of the notification (the sender's id, an ``apns-id`` or an FCM message name); ``since``
        a ``seq``: only events recorded after that one (:attr:`last_seq` taken earlier: what
        happens from then on); ``fields`` exact values of other event fields
        (``reason="Unregistered"``).
        """
        found = self.entries(kind, phone=phone, notification=notification, since=since, **fields)
        return [entry.event for entry in found]

    def entries(
        self,
        kind: str | type | None = None,
        *,
        phone: str | None = None,
        notification: str | None = None,
        since: int = 0,
        **fields: Any,
    ) -> list[Entry]:
        """Like :meth:`events`, each event with its ``seq``."""
        return list(self._matching(kind, since, phone=phone, notification=notification, **fields))

    def _first(self, kind: str | type | None, since: int, **filters: Any) -> Entry | None:
        """The first of :meth:`entries`, without matching the rest of the timeline."""
        return next(self._matching(kind, since, **filters), None)

    def _matching(self, kind: str | type | None, since: int, **filters: Any) -> Iterator[Entry]:
        matches = self._matcher(kind, **filters)
        for seq, event in zip(self._seqs, self._events, strict=True):
            if seq > since and matches(event):
                yield Entry(seq, event)

    def _matcher(
        self,
        kind: str | type | None,
        *,
        phone: str | None = None,
        notification: str | None = None,
        **fields: Any,
    ) -> Callable[[Any], bool]:
        wanted = _kind_name(kind)

        def matches(event: Any) -> bool:
            return (
                (wanted is None or kind_of(event) == wanted)
                and (phone is None or getattr(event, "phone_id", None) == phone)
                and all(getattr(event, name, _MISSING) == value for name, value in fields.items())
                # Linked ids are looked up when the event is checked: later events add links.
                and (
                    notification is None
                    or any(
                        self._root(i) == self._root(notification) for i in _correlation_ids(event)
                    )
                )
            )

        return matches

    def correlated_ids(self, some_id: str) -> set[str]:
        """Every correlation id linked to ``some_id`` through events that carry two of them."""
        root = self._root(some_id)
        return {some_id} | {i for i in self._parent if self._root(i) == root}

    def _root(self, some_id: str) -> str:
        parent = self._parent.get(some_id, some_id)
        while parent != some_id:
            grand = self._parent.get(parent, parent)
            self._parent[some_id] = grand  # path halving keeps lookups short
            some_id, parent = parent, grand
        return some_id

    def _link(self, ids: set[str]) -> None:
        roots = [self._root(i) for i in ids]
        for some_id in ids:
            self._parent.setdefault(some_id, some_id)
        for other in roots[1:]:
            self._parent[self._root(other)] = self._root(roots[0])

    async def wait_for(
        self,
        kind: str | type | None = None,
        *,
        timeout: float = 5.0,
        since: int = 0,
        **filters: Any,
    ) -> Any:
        """The first event (recorded after ``seq`` ``since``) matching the filters of :meth:`events`.

        Waits for it when it has not happened yet; raises ``TimeoutError`` (with the filters in the
        message) after ``timeout`` real seconds.
        """
        entry = await self.wait_for_entry(kind, timeout=timeout, since=since, **filters)
        return entry.event

    async def wait_for_entry(
        self,
        kind: str | type | None = None,
        *,
        timeout: float = 5.0,
        since: int = 0,
        **filters: Any,
    ) -> Entry:
        """Like :meth:`wait_for`, the event with its ``seq``."""
        found = self._first(kind, since, **filters)
        if found is not None:
            return found
        waiter = _Waiter(
            matches=self._matcher(kind, **filters),
            filters={"kind": kind, **filters},
            since=since,
            future=asyncio.get_running_loop().create_future(),
        )
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            described = ", ".join(f"{k}={v!r}" for k, v in filters.items())
            raise TimeoutError(
                f"no {_kind_name(kind) or 'event'} ({described}) within {timeout} s"
            ) from None

    def format(self, events: Iterable[Any] | None = None, *, origin: float | None = None) -> str:
        """Readable lines, one per event, with times relative to ``origin`` (the first event)."""
        chosen = list(self._events if events is None else events)
        if not chosen:
            return "(no events)"
        start = chosen[0].at if origin is None else origin
        return "\n".join(format_event(event, start) for event in chosen)


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Waiter:
    matches: Callable[[Any], bool]
    filters: dict[str, Any]
    since: int
    future: asyncio.Future[Entry]

    @property
    def notification(self) -> str | None:
        return self.filters.get("notification")


def format_event(event: Any, origin: float) -> str:
    """``T+0d 00:00:01.250  NotificationDisplayed  phone_id=ios-1 title='Hi' …``"""
    details = " ".join(
        f"{field.name}={_short(getattr(event, field.name))}"
        for field in dataclasses.fields(event)
        if field.name != "at" and getattr(event, field.name) not in (None, "", {}, ())
    )
    return f"{_offset(event.at - origin)}  {kind_of(event):<24} {details}"


def _offset(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    delta = datetime.timedelta(seconds=abs(seconds))
    hours, rest = divmod(delta.seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"T{sign}{delta.days}d {hours:02}:{minutes:02}:{secs:02}.{delta.microseconds // 1000:03}"


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str | dict | list | tuple) else str(value)
    return text if len(text) <= 48 else text[:45] + "…"


def _kind_name(kind: str | type | None) -> str | None:
    return kind.__name__ if isinstance(kind, type) else kind


def _correlation_ids(event: Any) -> set[str]:
    return {value for name in CORRELATION_FIELDS if (value := getattr(event, name, None))}


_MISSING = object()
