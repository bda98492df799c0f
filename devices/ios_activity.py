"""A Live Activity on the lock screen: what ActivityKit pushes do to it (sans-IO).

Rules (reference/apns.md §1.6 and §5.3; Apple's "Starting and updating Live Activities with
ActivityKit push notifications" and "Displaying live data with Live Activities"):

- ``event: start`` (a push to the app's push-to-start token, or the app calling
  ``Activity.request``) puts it on the lock screen with its ``attributes`` and ``content-state``;
- ``event: update`` replaces ``content-state``; ``event: end`` ends it, optionally with a final
  ``content-state``. ``stale-date``, ``relevance-score`` and ``alert`` may come with each;
- a push whose ``timestamp`` is older than the last one applied is ignored, so out-of-order
  updates never show older content (what ``timestamp`` is for; the exact rule is [U]);
- past ``stale-date`` an active activity shows as stale; an activity active for 8 hours is ended
  by the system and stays up to 4 more hours ("Displaying live data with Live Activities");
- an ended activity stays on the lock screen until ``dismissal-date`` (a past date dismisses at
  once) or, without one, for up to 4 hours after it ended;
- with several on the lock screen, a higher ``relevance-score`` is shown first.

Time passes without any call here, so the phone asks :meth:`LiveActivity.due` for the changes whose
time has come (stale, system-ended, dismissed) whenever it is touched, and files each at its time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: "A Live Activity can be active for up to eight hours" before the system ends it.
MAX_ACTIVE_SECONDS = 8 * 3600.0
#: An ended activity without a dismissal date stays "for up to four hours" (apns.md §1.6).
ENDED_VISIBLE_SECONDS = 4 * 3600.0


def _number(value: object) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None  # type: ignore[arg-type]


@dataclass(slots=True)
class LiveActivity:
    """One Live Activity of an app; ``token`` is its own push token (update token)."""

    activity_id: str
    app_id: str
    token: str
    attributes_type: str
    attributes: Mapping[str, Any]
    content_state: Mapping[str, Any]
    started_at: float
    relevance_score: float = 0.0
    stale_at: float | None = None
    ended_at: float | None = None
    dismiss_at: float | None = None
    dismissed_at: float | None = None
    last_timestamp: float | None = None
    """The ``timestamp`` of the last push applied (older ones are ignored)."""
    alert: Mapping[str, Any] = field(default_factory=dict)
    """The alert of the last alerting push (``title``/``body``), if any."""
    stale_announced: float | None = None
    """The stale date already reported as a ``"stale"`` change (each is reported once)."""

    def state(self, now: float) -> str:
        """``"active"``, ``"stale"``, ``"ended"`` (still on the lock screen) or ``"dismissed"``."""
        if self.dismissed_at is not None:
            return "dismissed"
        if self.ended_at is not None:
            return "ended"
        if self.stale_at is not None and now >= self.stale_at:
            return "stale"
        return "active"

    def apply(self, aps: Mapping[str, Any], now: float) -> str | None:
        """Apply an ``update`` or ``end`` push's ``aps``; returns the change (``"updated"`` or
        ``"ended"``), or None when it is ignored because it is older than the last one."""
        timestamp = _number(aps.get("timestamp"))
        if (
            timestamp is not None
            and self.last_timestamp is not None
            and timestamp < self.last_timestamp
        ):
            return None
        self.last_timestamp = timestamp if timestamp is not None else self.last_timestamp
        self._read_common(aps)
        if aps.get("event") == "end":
            self.end(now, _number(aps.get("dismissal-date")))
            return "ended"
        return "updated"

    def end(self, now: float, dismiss_at: float | None) -> None:
        """End it: it stays visible until ``dismiss_at`` (default: 4 hours from now)."""
        self.ended_at = now
        self.dismiss_at = dismiss_at if dismiss_at is not None else now + ENDED_VISIBLE_SECONDS

    def due(self, now: float) -> list[tuple[float, str]]:
        """The changes whose time came by ``now``, applied, with their times, oldest first:
        ``"stale"``, ``"ended"`` (the 8-hour limit) and ``"dismissed"``."""
        changes: list[tuple[float, str]] = []
        if self.dismissed_at is not None:
            return changes
        limit = self.started_at + MAX_ACTIVE_SECONDS
        if self.ended_at is None:
            stale = self.stale_at
            if stale is not None and stale <= min(now, limit) and stale != self.stale_announced:
                self.stale_announced = stale
                changes.append((stale, "stale"))
            if now >= limit:
                self.end(limit, None)
                changes.append((limit, "ended"))
        if self.dismiss_at is not None and now >= self.dismiss_at:
            self.dismissed_at = max(self.dismiss_at, self.ended_at or self.dismiss_at)
            changes.append((self.dismissed_at, "dismissed"))
        return changes

    def _read_common(self, aps: Mapping[str, Any]) -> None:
        state = aps.get("content-state")
        if isinstance(state, Mapping):
            self.content_state = dict(state)
        if (score := _number(aps.get("relevance-score"))) is not None:
            self.relevance_score = score
        # Each content carries its own stale date (ActivityKit's ActivityContent.staleDate): one
        # without it is never stale.
        self.stale_at = _number(aps.get("stale-date"))
        alert = aps.get("alert")
        self.alert = dict(alert) if isinstance(alert, Mapping) else {}


def start_from_push(
    activity_id: str, app_id: str, token: str, aps: Mapping[str, Any], now: float
) -> LiveActivity:
    """The activity an ``event: start`` push starts (its payload was checked by the fake APNs)."""
    attributes = aps.get("attributes")
    activity = LiveActivity(
        activity_id=activity_id,
        app_id=app_id,
        token=token,
        attributes_type=str(aps.get("attributes-type", "")),
        attributes=dict(attributes) if isinstance(attributes, Mapping) else {},
        content_state={},
        started_at=now,
        last_timestamp=_number(aps.get("timestamp")),
    )
    activity._read_common(aps)
    return activity
