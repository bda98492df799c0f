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
        self.tokens: dict[tuple[str, str], str] = {}
        self.unregistered: list[str] = []
        self.inboxes: dict[str, Any] = {}

    def register(self, phone_id: str, app_id: str) -> str:
        return self.tokens.setdefault((phone_id, app_id), f"token-{next(self._counter)}")

    def unregister(self, token: str) -> None:
        self.unregistered.append(token)
        self.tokens = {k: v for k, v in self.tokens.items() if v != token}

    def connect(self, phone_id: str, inbox: Any) -> None:
        self.inboxes[phone_id] = inbox

    def disconnect(self, phone_id: str) -> None:
        del self.inboxes[phone_id]

    def push(self, phone_id: str, token: str, payload: dict[str, Any], push_id: str = "p1") -> None:
        self.inboxes[phone_id].push_arrived(token, push_id, {}, payload)
