"""Live Activity payload rules (reference/apns.md §1.6, Apple's "Starting and updating Live
Activities with ActivityKit push notifications"): sans-IO checks on the ``aps`` dictionary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Events a device push may carry; broadcasts may not start an activity (§5.2).
DEVICE_EVENTS = frozenset({"start", "update", "end"})
BROADCAST_EVENTS = frozenset({"update", "end"})


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def live_activity_payload_ok(
    aps: Mapping[str, Any], events: frozenset[str] = DEVICE_EVENTS
) -> bool:
    """Whether ``aps`` is a valid Live Activity payload.

    Every event needs ``timestamp`` (UNIX seconds); ``update`` needs ``content-state``; ``start``
    needs ``content-state``, an ``alert``, ``attributes-type`` and ``attributes`` (§1.6). Optional
    dates (``stale-date``, ``dismissal-date``) must be numbers when present.
    """
    event = aps.get("event")
    if event not in events or not _number(aps.get("timestamp")):
        return False
    state = aps.get("content-state")
    if state is not None and not isinstance(state, dict):
        return False
    if event in ("start", "update") and state is None:
        return False
    if event == "start" and not (
        isinstance(aps.get("alert"), dict | str)
        and isinstance(aps.get("attributes-type"), str)
        and isinstance(aps.get("attributes"), dict)
    ):
        return False
    return all(_number(aps[k]) for k in ("stale-date", "dismissal-date") if k in aps)
