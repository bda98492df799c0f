"""Small helpers shared by the provider clients."""

from __future__ import annotations

import httpx


def retry_after(response: httpx.Response) -> int | None:
    """The ``Retry-After`` header as whole seconds, or None (HTTP-dates are not honoured)."""
    raw = response.headers.get("retry-after", "").strip()
    return int(raw) if raw.isdigit() else None
