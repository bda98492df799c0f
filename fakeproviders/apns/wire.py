"""What passes between an APNs connection and the server's handlers: a request, its reply.

``ApnsConnection`` turns h2 events into a :class:`Request`; a handler answers with a
:class:`Reply`, or a :class:`Deferred` one when a fault injects latency.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field


def reason_json(reason: str) -> bytes:
    """``{"reason":"…"}``, the JSON of error bodies and GOAWAY debug data (§2.2)."""
    return json.dumps({"reason": reason}, separators=(",", ":")).encode()


@dataclass(slots=True)
class Request:
    """One request as received: pseudo-headers split out, other headers in order."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer on a stream, and what to do to the connection afterwards."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    goaway: bytes | None = None
    """After answering: GOAWAY carrying this debug data (APNs: JSON reason), then close."""

    @property
    def is_error(self) -> bool:
        """Whether APNs counts it as an error condition (410 "isn't", §2.4)."""
        return self.status >= 400 and self.status != 410


@dataclass(frozen=True, slots=True)
class Deferred:
    """A reply that is ready only after ``delay`` real seconds (injected latency)."""

    delay: float
    then: Callable[[], Reply]
