"""A PushService double and a settable clock for phone tests (no provider, no sockets)."""

from __future__ import annotations

import itertools
from typing import Any


class SettableClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.time = now

    def now(self) -> float:
        return self.time


class RecordingPushService:
    """Issues tokens, remembers who is connected, and lets a test hand a push to a phone."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.tokens: dict[tuple[str, ...], str] = {}
        self.environments: dict[str, str | None] = {}
        self.unregistered: list[str] = []
        self.rotated: list[str] = []
        self.reported_removed: list[str] = []
        self.inboxes: dict[str, Any] = {}

    def register(
        self,
        phone_id: str,
        app_id: str,
        environment: str | None = None,
        *,
        kind: str = "notification",
        activity_id: str | None = None,
    ) -> str:
        key = (
            (phone_id, app_id)
            if kind == "notification"
            else (phone_id, app_id, kind, str(activity_id))
        )
        token = self.tokens.setdefault(key, f"token-{next(self._counter)}")
        self.environments[token] = environment
        return token

    def unregister(self, token: str) -> None:
        self.unregistered.append(token)
        self.tokens = {k: v for k, v in self.tokens.items() if v != token}

    def report_app_removed(self, token: str) -> None:
        self.reported_removed.append(token)

    def rotate(self, token: str) -> str:
        self.rotated.append(token)
        new = f"token-{next(self._counter)}"
        self.tokens = {k: (new if v == token else v) for k, v in self.tokens.items()}
        return new

    def connect(self, phone_id: str, inbox: Any) -> None:
        self.inboxes[phone_id] = inbox

    def disconnect(self, phone_id: str) -> None:
        del self.inboxes[phone_id]

    def push(
        self,
        phone_id: str,
        token: str,
        payload: dict[str, Any],
        push_id: str = "p1",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.inboxes[phone_id].push_arrived(token, push_id, headers or {}, payload)


class Rig:
    """A phone wired to a recording push service, a settable clock and recording sinks."""

    def __init__(self, cls: type, phone_id: str = "phone-1", **kwargs: Any) -> None:
        self.events: list[Any] = []
        self.messages: list[Any] = []
        self.service = RecordingPushService()
        self.clock = SettableClock()
        self.phone = cls(
            phone_id,
            push_service=self.service,
            clock=self.clock,
            emit=self.events.append,
            app_server=self.messages.append,
            **kwargs,
        )

    def push(
        self, app_id: str, payload: dict[str, Any], push_id: str = "p1", **headers: str
    ) -> None:
        """Hand ``payload`` to the phone for ``app_id``'s current token."""
        token = self.phone.app(app_id).token
        self.service.push(self.phone.phone_id, token, payload, push_id, headers or None)

    def last(self, kind: type) -> Any:
        """The newest event of ``kind``."""
        return next(e for e in reversed(self.events) if isinstance(e, kind))

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events]

    def clear(self) -> None:
        self.events.clear()
        self.messages.clear()
