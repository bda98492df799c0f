"""Test doubles shared by the provider tests: a clock moved by hand, and an inbox that records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ManualClock:
    """A clock (UNIX seconds) that moves only when a test moves it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Inbox:
    """A connected phone as a provider sees it: it records every push handed over."""

    def __init__(self) -> None:
        self.pushes: list[tuple[str, str, dict[str, str], Mapping[str, Any]]] = []

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        self.pushes.append((token, push_id, dict(headers), payload))

    @property
    def ids(self) -> list[str]:
        return [push[1] for push in self.pushes]
