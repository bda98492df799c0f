"""The counters behind ``GET /v1/stats``, in SQL both engines run."""

from __future__ import annotations

from typing import Any

from .base import SqlBase


class StatsQueries(SqlBase):
    """``stats()`` for ``SqlStore``."""

    def stats(self, notification_id: str | None = None) -> dict[str, Any]:
        """``requested``, ``sent``, ``accepted``, ``failed`` (by reason), ``retries``,
        ``duplicates`` (outcomes recorded twice for one token, after an instance's lease was
        taken over), ``tokens_pruned`` (by reason; only without ``notification_id``),
        ``received``, ``opened``, ``dismissed`` (distinct devices) and ``open_rate``
        (opened / accepted)."""
        params: tuple[str, ...] = (notification_id,) if notification_id else ()
        scope = "WHERE notification_id = ?" if notification_id else ""
        and_scope = f"{scope} AND" if scope else "WHERE"
        if notification_id:
            requested = len(self._read("SELECT 1 AS one FROM notifications WHERE id = ?", params))
        else:
            requested = self._read("SELECT count(*) AS n FROM notifications")[0]["n"]
        totals = self._read(
            "SELECT count(*) AS sent,"
            " coalesce(sum(CASE WHEN outcome = 'accepted' THEN 1 ELSE 0 END), 0) AS accepted,"
            " coalesce(sum(attempts - 1), 0) AS retries, count(DISTINCT notification_id || ' '"
            f" || token) AS pushes FROM deliveries {scope}",
            params,
        )[0]
        failed = {
            row["reason"] or "unknown": row["n"]
            for row in self._read(
                f"SELECT reason, count(*) AS n FROM deliveries {and_scope} outcome = 'failed'"
                " GROUP BY reason ORDER BY reason",
                params,
            )
        }
        engaged = {
            row["event"]: row["n"]
            for row in self._read(
                "SELECT event, count(*) AS n FROM (SELECT DISTINCT notification_id, token, event"
                f" FROM engagement_events {scope}) AS e GROUP BY event",
                params,
            )
        }
        accepted = int(totals["accepted"])
        result: dict[str, Any] = {
            "requested": requested,
            "sent": totals["sent"],
            "accepted": accepted,
            "failed": failed,
            "retries": int(totals["retries"]),
            "duplicates": totals["sent"] - totals["pushes"],
            "received": engaged.get("received", 0),
            "opened": engaged.get("opened", 0),
            "dismissed": engaged.get("dismissed", 0),
            "open_rate": engaged.get("opened", 0) / accepted if accepted else 0.0,
        }
        if not notification_id:
            pruned = {
                row["inactive_reason"]: row["n"]
                for row in self._read(
                    "SELECT inactive_reason, count(*) AS n FROM devices WHERE active = 0 AND"
                    " inactive_reason IS NOT NULL AND inactive_reason NOT IN"
                    " ('unregistered', 'replaced') GROUP BY inactive_reason"
                )
            }
            result["tokens_pruned"] = sum(pruned.values())
            result["tokens_pruned_by_reason"] = pruned
        return result
