"""Request bodies in the fakes' ASGI apps: read up to a limit, and kept in request logs only up
to a cap, so that a flood of large bodies cannot grow the process (each log keeps thousands of
entries)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

GONE = b"<gone>"
"""What :func:`read_body` returns (compare with ``is``) when the client went away first."""

LOG_BODY_CAP = 16 * 1024
"""Bytes of a body a request log keeps; the fakes' own payload limits are far below it."""


def logged_text(body: bytes, cap: int = LOG_BODY_CAP) -> str:
    """``body`` as text for a request log (undecodable bytes replaced); past ``cap`` bytes it is
    cut and ends with a marker saying how long it was."""
    if len(body) <= cap:
        return body.decode("utf-8", "replace")
    kept = body[:cap].decode("utf-8", "ignore")
    return f"{kept}…[truncated: {len(body)} bytes]"


async def read_body(
    receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
    scope: MutableMapping[str, Any],
    limit: int,
) -> bytes | None:
    """The whole body of an ASGI request, or None once it is known to be over ``limit`` (from
    its content-length, or as soon as the bytes read pass it): the rest is never read.
    :data:`GONE` if the client went away first."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return GONE
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
