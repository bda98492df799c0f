"""How much of a request body the fakes keep: request logs hold text up to a cap, so that a flood
of large bodies cannot grow the process (each log keeps thousands of entries)."""

from __future__ import annotations

LOG_BODY_CAP = 16 * 1024
"""Bytes of a body a request log keeps; the fakes' own payload limits are far below it."""


def logged_text(body: bytes, cap: int = LOG_BODY_CAP) -> str:
    """``body`` as text for a request log (undecodable bytes replaced); past ``cap`` bytes it is
    cut and ends with a marker saying how long it was."""
    if len(body) <= cap:
        return body.decode("utf-8", "replace")
    kept = body[:cap].decode("utf-8", "ignore")
    return f"{kept}…[truncated: {len(body)} bytes]"
