"""The TUI's sans-IO parts: labels, the dashboard, the sender tally, pacing, form parsing."""

from __future__ import annotations

from typing import Any

import pytest

from devices.events import NotificationDisplayed, NotificationSuppressed, TokenReceived
from sender.events import EngagementRecorded, PushFailed, PushSent
from simulator.tui.labels import Labels, StableLabels
from simulator.tui.model import Dashboard
from simulator.tui.playback import PacedSimulation
from simulator.tui.screens.forms import parse_data


def _shown(entry_id: str = "n1", phone_id: str = "p1") -> NotificationDisplayed:
    return NotificationDisplayed(
        at=0.0,
        phone_id=phone_id,
        app_id="app",
        token="t" * 64,
        push_id="x",
        notification_id="id",
        entry_id=entry_id,
        title="Hi",
        body=None,
    )


def _failed(status: int, reason: str) -> PushFailed:
    return PushFailed(
        at=0.0,
        notification_id="id",
        user_id="u",
        token="tok",
        app_id="app",
        platform="ios",
        push_id=None,
        status=status,
        reason=reason,
    )


def test_labels_show_time_since_the_start() -> None:
    """Times read as days, hours, minutes and seconds after the simulation's start."""
    assert Labels(origin=1000.0).time(1000.0 + 86_400 + 3661) == "T+1d 01:01:01"


def test_stable_labels_number_tokens_and_ids_in_order_of_appearance() -> None:
    """StableLabels name tokens tok1, tok2… and notification ids #1, #2… as they first appear."""
    labels = StableLabels()
    labels.note_token("b" * 64)
    assert [labels.token("a" * 64), labels.token("b" * 64)] == ["tok2", "tok1"]
    assert [labels.ident("uuid-2"), labels.ident("uuid-1"), labels.ident("uuid-2")] == [
        "#1",
        "#2",
        "#1",
    ]


def test_stable_labels_mask_the_seconds() -> None:
    """StableLabels hide the seconds, which a real-speed clock changes between runs."""
    assert StableLabels(origin=0.0).time(61.0) == "T+0d 00:01:··"


def test_dashboard_marks_a_phone_dirty_once_per_tick() -> None:
    """Many events for one phone make one redraw at the next tick, and none after it."""
    dashboard = Dashboard(Labels(), slide_ticks=0)
    for n in range(100):
        dashboard.observe(_shown(f"n{n}"))
    assert dashboard.tick() == {"p1"}
    assert dashboard.tick() == set()


def test_a_new_notification_slides_in_over_the_next_ticks() -> None:
    """A displayed notification is offset for ``slide_ticks`` ticks, then in place."""
    dashboard = Dashboard(Labels(), slide_ticks=2)
    dashboard.observe(_shown())
    offsets = [dashboard.slide("p1", "n1")]
    for _ in range(2):
        dashboard.tick()
        offsets.append(dashboard.slide("p1", "n1"))
    assert offsets == [2, 1, 0]


def test_dashboard_keeps_the_last_suppressed_notifications_per_phone() -> None:
    """Only the newest few suppressed notifications of a phone are kept, with their reasons."""
    dashboard = Dashboard(Labels(), suppressed_per_phone=2)
    for reason in ("a", "b", "c"):
        dashboard.observe(
            NotificationSuppressed(
                at=0.0,
                phone_id="p1",
                app_id="app",
                token="t",
                push_id="x",
                notification_id=None,
                reason=reason,
            )
        )
    assert [s.reason for s in dashboard.suppressed["p1"]] == ["b", "c"]


def test_timeline_rows_are_capped() -> None:
    """The rows waiting for the timeline pane never exceed its cap (the oldest go)."""
    dashboard = Dashboard(Labels(), timeline_cap=3)
    for n in range(5):
        dashboard.observe(_shown(f"n{n}"))
    assert [e.entry_id for e in dashboard.take_rows()] == ["n2", "n3", "n4"]


def test_sender_events_are_attributed_to_the_phone_holding_the_token() -> None:
    """A sender event names a token; it belongs to the phone whose app received that token."""
    dashboard = Dashboard(Labels())
    dashboard.observe(TokenReceived(at=0.0, phone_id="p1", app_id="app", token="tok"))
    sent = PushSent(
        at=0.0,
        notification_id="id",
        user_id="u",
        token="tok",
        app_id="app",
        platform="ios",
        push_id="x",
    )
    assert (dashboard.belongs_to(sent, "p1"), dashboard.belongs_to(sent, "p2")) == (True, False)


def test_tally_counts_failures_by_status_and_reason_and_flashes_410_only() -> None:
    """Failures are counted by "status reason"; only a 410 asks for a flash."""
    dashboard = Dashboard(Labels())
    dashboard.observe(_failed(400, "BadDeviceToken"))
    assert dashboard.take_flash() is None
    dashboard.observe(_failed(410, "Unregistered"))
    assert dashboard.take_flash() == "410 Unregistered"
    assert dict(dashboard.sender.failed) == {"400 BadDeviceToken": 1, "410 Unregistered": 1}


def test_tally_counts_engagement() -> None:
    """Opened and dismissed reports are counted apart."""
    dashboard = Dashboard(Labels())
    for event in ("opened", "opened", "dismissed"):
        dashboard.observe(EngagementRecorded(at=0.0, notification_id="id", token="t", event=event))
    assert (dashboard.sender.opened, dashboard.sender.dismissed) == (2, 1)


class _FakeSimulation:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def notify(self, user_id: str, **fields: Any) -> str:
        self.calls.append(f"notify {user_id}")
        return "id"

    def add_iphone(self) -> str:
        self.calls.append("add_iphone")
        return "phone"


async def test_paced_simulation_counts_awaited_steps_only() -> None:
    """Awaited steps (notify…) are paced and reported; plain calls (add_iphone) pass through."""
    fake = _FakeSimulation()
    heard: list[str] = []
    paced: Any = PacedSimulation(fake, 0.0, heard.append)  # type: ignore[arg-type]
    paced.add_iphone()
    assert await paced.notify("ann", title="x") == "id"
    assert (fake.calls, heard, paced.steps) == (["add_iphone", "notify ann"], ["notify"], 1)


def test_compose_data_is_parsed_from_key_value_pairs() -> None:
    """The compose form's data field reads "k=v, k2=v2" pairs."""
    assert parse_data(" a=1, b = two ,") == {"a": "1", "b": "two"}


def test_compose_data_without_equals_is_refused() -> None:
    """A data pair without "=" is an error the form shows."""
    with pytest.raises(ValueError, match="key=value"):
        parse_data("a=1, oops")


def test_event_rows_are_coloured_by_meaning() -> None:
    """An accepted push is drawn green (success), a suppressed one yellow (warning), a failed
    one red (error): never the same colour for success and failure."""
    from simulator.tui.meaning import Meaning, of_kind, style
    from simulator.tui.rows import event_row

    def kind_style(event: Any) -> str:
        row = event_row(event, Labels())
        return str(next(s.style for s in row.spans if str(s.style) != "dim"))

    assert kind_style(_shown()) == style(Meaning.SUCCESS) == "green"
    assert kind_style(_failed(410, "Unregistered")) == style(Meaning.ERROR)
    assert of_kind("NotificationSuppressed") is Meaning.WARNING
    assert of_kind("TokenIssued") is Meaning.SUCCESS


def test_retry_delays_are_printed_short_with_their_unit() -> None:
    """A retry delay of 1.2000000000000002 s reads delay=1.2s."""
    from sender.events import PushRetried
    from simulator.tui.rows import event_row

    retried = PushRetried(
        at=0.0,
        notification_id="id",
        token="t",
        status=429,
        reason="TooManyRequests",
        delay=1.2 + 2e-16,
    )
    assert "delay=1.2s" in event_row(retried, Labels()).plain


def test_any_string_in_a_push_is_drawn_safely() -> None:
    """A lone surrogate or a terminal escape in a title is shown escaped, so it can be encoded
    and cannot move the cursor."""
    from simulator.tui.labels import printable

    drawn = printable("hi \ud800 \x1b[2J")
    drawn.encode("utf-8")
    assert drawn == "hi \\ud800 \\x1b[2J"
