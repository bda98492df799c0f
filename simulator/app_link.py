"""How simulated apps reach their app server: real HTTP calls to the sender's API.

Phones are sans-IO and hand their messages to a link synchronously; this link turns each one into
an HTTP request on the event loop and keeps track of them, so a scenario can ``await drain()`` until
every token and engagement report has reached the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from devices.app_server import AppServerMessage, EngagementReport, TokenReport


@dataclass(frozen=True, kw_only=True, slots=True)
class AppServerCallFailed:
    """An app could not deliver a message to its server (the timeline shows it)."""

    at: float
    phone_id: str
    app_id: str
    what: str
    error: str


class HttpAppServerLink:
    """Posts app messages to the sender: ``POST /v1/devices`` and ``POST /v1/events``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        app_key: str,
        now: Callable[[], float],
        emit: Callable[[Any], None],
    ) -> None:
        self._client = client
        self._headers = {"X-App-Key": app_key}
        self._now = now
        self._emit = emit
        self._pending: set[asyncio.Task[None]] = set()

    def __call__(self, message: AppServerMessage) -> None:
        task = asyncio.get_running_loop().create_task(self._post(message))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait until every message handed over so far has been answered."""
        while self._pending:
            await asyncio.gather(*list(self._pending))

    async def _post(self, message: AppServerMessage) -> None:
        if isinstance(message, TokenReport):
            what = "token report"
            request = self._client.post(
                "/v1/devices",
                headers=self._headers,
                json={
                    "token": message.token,
                    "platform": message.platform,
                    "app_id": message.app_id,
                    "user_id": message.user_id,
                },
            )
        elif isinstance(message, EngagementReport):
            what = f"{message.event} report"
            request = self._client.post(
                "/v1/events",
                headers=self._headers,
                json={
                    "notification_id": message.notification_id,
                    "token": message.token,
                    "event": message.event,
                },
            )
        else:  # pragma: no cover - the union above is exhaustive
            raise TypeError(f"unknown app server message {message!r}")
        try:
            response = await request
            error = None if response.is_success else f"HTTP {response.status_code}: {response.text}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            self._emit(
                AppServerCallFailed(
                    at=self._now(),
                    phone_id=message.phone_id,
                    app_id=message.app_id,
                    what=what,
                    error=error,
                )
            )
