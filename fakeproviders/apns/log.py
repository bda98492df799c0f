"""The fake APNs's request log: every answered request with its headers, payload and decision,
queryable by device token and topic, clearable (reference/apns.md §8, "what users ask for")."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from fakeproviders.bodies import logged_text


class ApnsLogEntry(NamedTuple):
    """One answered request, as kept in ``FakeApns.request_log``."""

    at: float
    token: str | None
    apns_id: str | None
    """The ``apns-id`` answered with (None on the broadcast and channel APIs)."""
    status: int
    reason: str | None
    """The rejection reason; None for a success."""
    topic: str | None = None
    method: str = "POST"
    path: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    """The request headers as received, in order (pseudo-headers left out)."""
    payload: str = ""
    """The body as text (undecodable bytes replaced; cut at ``LOG_BODY_CAP`` and marked)."""


class RequestLog:
    """The latest ``size`` entries, oldest first."""

    def __init__(self, size: int) -> None:
        self.entries: deque[ApnsLogEntry] = deque(maxlen=size)

    def add(
        self,
        at: float,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        token: str | None,
        status: int,
        reason: str | None,
        apns_id: str | None,
    ) -> None:
        topic = next((v for k, v in headers if k.lower() == "apns-topic"), None)
        self.entries.append(
            ApnsLogEntry(
                at,
                token,
                apns_id,
                status,
                reason,
                topic,
                method,
                path,
                tuple(headers),
                logged_text(body),
            )
        )

    def query(self, *, token: str | None = None, topic: str | None = None) -> list[ApnsLogEntry]:
        return [
            e
            for e in self.entries
            if (token is None or e.token == token) and (topic is None or e.topic == topic)
        ]

    def clear(self) -> None:
        self.entries.clear()
