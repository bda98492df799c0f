from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from simulator.timeline import Timeline


@dataclass(frozen=True, kw_only=True)
class Sent:
    at: float
    notification_id: str
    push_id: str
    token: str


@dataclass(frozen=True, kw_only=True)
class Shown:
    at: float
    phone_id: str
    push_id: str
    notification_id: str | None = None


def _timeline() -> Timeline:
    timeline = Timeline()
    timeline.record(Sent(at=1.0, notification_id="n1", push_id="apns-1", token="t1"))
    timeline.record(Shown(at=2.0, phone_id="iphone-1", push_id="apns-1"))
    timeline.record(Shown(at=3.0, phone_id="android-1", push_id="fcm-9"))
    return timeline


def test_query_by_kind_accepts_a_class_or_its_name():
    """events(kind) matches the event's class, given as the class or as its name."""
    timeline = _timeline()
    assert timeline.events(Shown) == timeline.events("Shown")
    assert len(timeline.events("Shown")) == 2


def test_query_by_phone():
    """events(phone=...) keeps the events whose phone_id matches."""
    assert [e.push_id for e in _timeline().events(phone="android-1")] == ["fcm-9"]


def test_query_by_notification_follows_linked_ids():
    """The sender's id finds the phone's event through the push id they share."""
    found = _timeline().events(notification="n1")
    assert [type(e).__name__ for e in found] == ["Sent", "Shown"]


def test_query_by_other_fields():
    """Extra keyword filters compare event fields exactly."""
    assert len(_timeline().events(token="t1")) == 1
    assert _timeline().events(token="nope") == []


async def test_wait_for_returns_a_past_event_at_once():
    """wait_for finds an event that already happened without waiting."""
    event = await _timeline().wait_for("Shown", phone="iphone-1", timeout=0.01)
    assert event.push_id == "apns-1"


async def test_wait_for_wakes_on_a_later_event():
    """wait_for returns the matching event as soon as it is recorded."""
    timeline = _timeline()
    waiter = asyncio.ensure_future(timeline.wait_for("Shown", notification="n2", timeout=1.0))
    await asyncio.sleep(0)
    timeline.record(Sent(at=4.0, notification_id="n2", push_id="apns-2", token="t1"))
    timeline.record(Shown(at=5.0, phone_id="iphone-1", push_id="apns-2"))
    event = await waiter
    assert event.at == 5.0


async def test_wait_for_times_out_with_the_filters_in_the_message():
    """A wait that is never satisfied raises TimeoutError naming what was awaited."""
    with pytest.raises(TimeoutError, match=r"Shown.*phone='nobody'"):
        await _timeline().wait_for("Shown", phone="nobody", timeout=0.01)


def test_format_shows_relative_times_and_fields():
    """Each formatted line has the time since the first event, the kind and the fields."""
    lines = _timeline().format().splitlines()
    assert lines[0].startswith("T+0d 00:00:00.000  Sent")
    assert "phone_id='iphone-1'" in lines[1]
    assert lines[2].startswith("T+0d 00:00:02.000")


async def test_wait_for_finds_an_earlier_event_linked_later():
    """An event recorded before its push id was tied to the notification still satisfies the wait."""
    timeline = Timeline()
    waiter = asyncio.ensure_future(timeline.wait_for("Shown", notification="n7", timeout=1.0))
    await asyncio.sleep(0)
    timeline.record(Shown(at=1.0, phone_id="android-1", push_id="fcm-7"))
    timeline.record(Sent(at=2.0, notification_id="n7", push_id="fcm-7", token="t"))
    event = await waiter
    assert event.push_id == "fcm-7"


def test_every_event_gets_the_next_sequence_number():
    """Events are numbered 1, 2, 3… as they are recorded; last_seq is the latest number."""
    timeline = _timeline()
    assert [entry.seq for entry in timeline.entries()] == [1, 2, 3]
    assert timeline.last_seq == 3


def test_since_takes_a_sequence_number():
    """since=N keeps the events recorded after event N."""
    timeline = _timeline()
    assert [e.at for e in timeline.events(since=1)] == [2.0, 3.0]
    assert timeline.events(since=timeline.last_seq) == []


def test_sequence_numbers_go_on_after_clear():
    """clear() forgets the events but not the count: a client's cursor stays before new events."""
    timeline = _timeline()
    timeline.clear()
    timeline.record(Shown(at=9.0, phone_id="iphone-1", push_id="apns-9"))
    assert [entry.seq for entry in timeline.entries(since=3)] == [4]


def test_an_event_learnt_late_is_filed_at_its_clock_time():
    """An event stamped earlier than the latest one is placed in clock order, numbered as learnt."""
    timeline = _timeline()
    timeline.record(Shown(at=2.5, phone_id="iphone-1", push_id="late"))
    assert [(e.seq, e.event.at) for e in timeline.entries()] == [
        (1, 1.0),
        (2, 2.0),
        (4, 2.5),
        (3, 3.0),
    ]
    assert [e.push_id for e in timeline.events(since=3)] == ["late"]
    assert "late" in timeline.format().splitlines()[2]


async def test_wait_since_ignores_matches_recorded_before():
    """wait_for(since=N) passes over an older match and returns the next one recorded."""
    timeline = _timeline()
    waiter = asyncio.ensure_future(
        timeline.wait_for_entry("Shown", phone="iphone-1", since=timeline.last_seq, timeout=1.0)
    )
    await asyncio.sleep(0)
    timeline.record(Shown(at=4.0, phone_id="iphone-1", push_id="apns-2"))
    assert await waiter == (4, Shown(at=4.0, phone_id="iphone-1", push_id="apns-2"))


async def test_a_wait_with_a_cursor_beyond_the_end_waits_for_that_many():
    """A waiter's since is honoured for live events too: events numbered up to it do not count."""
    timeline = _timeline()
    waiter = asyncio.ensure_future(timeline.wait_for("Shown", since=4, timeout=1.0))
    await asyncio.sleep(0)
    timeline.record(Shown(at=4.0, phone_id="iphone-1", push_id="seq-4"))
    timeline.record(Shown(at=5.0, phone_id="iphone-1", push_id="seq-5"))
    assert (await waiter).push_id == "seq-5"


def test_subscribers_of_entries_get_the_sequence_number():
    """subscribe_entries hands each new event with its seq."""
    timeline = _timeline()
    seen: list[int] = []
    unsubscribe = timeline.subscribe_entries(lambda entry: seen.append(entry.seq))
    timeline.record(Shown(at=4.0, phone_id="iphone-1", push_id="x"))
    unsubscribe()
    timeline.record(Shown(at=5.0, phone_id="iphone-1", push_id="y"))
    assert seen == [4]
