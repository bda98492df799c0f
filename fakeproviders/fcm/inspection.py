"""The fake FCM's request log: every request with its decision, queryable and clearable.

Tests and the control API read it to assert what a sender did (how many retries, which tokens,
which errors); it is an in-memory ring (a shared store can replace it, DESIGN.md).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request the fake served."""

    at: float
    method: str
    path: str
    http_version: str
    status: int
    kind: str = ""
    """``send``, ``token``, ``iid.batchAdd``, ``iid.batchRemove``, ``iid.rel``, ``iid.info``,
    ``topics.create``, ``topics.delete``, ``topics.get``, ``topics.list``, ``unknown`` or
    ``too_large`` (a body over ``FcmOptions.max_body_bytes``, never read whole)."""
    reason: str | None = None
    """None on success; else the errorCode (``UNREGISTERED``…) or the auth/rpc reason."""
    token: str | None = None
    topic: str | None = None
    condition: str | None = None
    push_id: str | None = None
    recipients: int = 0
    fault_id: str | None = None
    """The injected fault that decided (or delayed) the answer."""
    request_body: str = ""
    """The body as text, cut at ``fakeproviders.bodies.LOG_BODY_CAP`` and marked."""
    response_body: str = ""


class RequestLog:
    """The requests served, oldest first, at most ``maxlen`` of them."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=maxlen)

    def append(self, entry: LoggedRequest) -> None:
        self._entries.append(entry)

    def clear(self) -> None:
        """Forget every entry (e.g. between test cases)."""
        self._entries.clear()

    def query(
        self,
        *,
        kind: str | None = None,
        token: str | None = None,
        topic: str | None = None,
        status: int | None = None,
        reason: str | None = None,
        since: float | None = None,
    ) -> list[LoggedRequest]:
        """The entries matching every filter given (None = any)."""
        return [
            e
            for e in self._entries
            if (kind is None or e.kind == kind)
            and (token is None or e.token == token)
            and (topic is None or e.topic == topic)
            and (status is None or e.status == status)
            and (reason is None or e.reason == reason)
            and (since is None or e.at >= since)
        ]

    def count(self, **filters: str | int | float | None) -> int:
        """How many entries match (same filters as :meth:`query`)."""
        return len(self.query(**filters))  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> LoggedRequest:
        return self._entries[index]
