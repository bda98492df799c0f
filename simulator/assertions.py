"""Assertions for tests and scenarios whose failure messages show the relevant timeline.

A bare ``TimeoutError`` says that something did not happen; these say what happened instead: the
events of the notification, or of the phone, that the assertion was about.
"""

from __future__ import annotations

from typing import Any

from simulator.timeline import Timeline


async def expect_event(
    timeline: Timeline, kind: str | type | None = None, *, timeout: float = 5.0, **filters: Any
) -> Any:
    """The first event matching ``filters`` (waiting up to ``timeout`` s), or AssertionError."""
    try:
        return await timeline.wait_for(kind, timeout=timeout, **filters)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{relevant_timeline(timeline, **filters)}") from None


def expect_no_event(timeline: Timeline, kind: str | type | None = None, **filters: Any) -> None:
    """AssertionError if an event matching ``filters`` has happened."""
    found = timeline.events(kind, **filters)
    if found:
        described = ", ".join(f"{k}={v!r}" for k, v in filters.items())
        raise AssertionError(
            f"unexpected {found[0].__class__.__name__} ({described}):\n"
            f"{relevant_timeline(timeline, **filters)}"
        )


def relevant_timeline(timeline: Timeline, **filters: Any) -> str:
    """The events of the notification or phone named in ``filters``, else the whole timeline."""
    scope = {k: filters[k] for k in ("notification", "phone") if filters.get(k) is not None}
    events = timeline.events(**scope) if scope else list(timeline)
    origin = next(iter(timeline), None)
    header = "timeline" + (
        " of " + ", ".join(f"{k} {v}" for k, v in scope.items()) if scope else ""
    )
    body = timeline.format(events, origin=origin.at if origin is not None else None)
    return f"{header}:\n{body}"
