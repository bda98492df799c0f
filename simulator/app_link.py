"""How simulated apps reach their app server: real HTTP calls.

Phones are sans-IO and hand their messages to a link synchronously; the link turns each one into
an HTTP request on the event loop and keeps track of them, so a scenario can ``await drain()`` until
every token and engagement report has been answered. Where the requests go is a *route*: pushsim's
sender by default, or the user's own backend through webhook templates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from devices.app_server import (
    AppServerMessage,
    EngagementReport,
    TokenReport,
    WebhookRequest,
    WebhookTemplate,
)

_MAX_IN_FLIGHT = 16

#: A message → the request that carries it, or ``None`` when nobody wants it.
Route = Callable[[AppServerMessage], WebhookRequest | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class AppServerCallFailed:
    """An app could not deliver a message to its server (the timeline shows it)."""

    at: float
    phone_id: str
    app_id: str
    what: str
    error: str


def sender_route(base_url: str, *, app_key: str) -> Route:
    """The sender's API: ``POST /v1/devices`` for tokens, ``POST /v1/events`` for engagement."""
    headers = {"X-App-Key": app_key}

    def route(message: AppServerMessage) -> WebhookRequest:
        if isinstance(message, TokenReport):
            body: dict[str, Any] = {
                "token": message.token,
                "platform": message.platform,
                "app_id": message.app_id,
                "user_id": message.user_id,
                # The app reports its installation, so a rotated token replaces the old one.
                "installation_id": message.phone_id,
            }
            return WebhookRequest("POST", f"{base_url}/v1/devices", body, headers)
        body = {
            "notification_id": message.notification_id,
            "token": message.token,
            "event": message.event,
        }
        return WebhookRequest("POST", f"{base_url}/v1/events", body, headers)

    return route


def webhook_route(templates: Sequence[WebhookTemplate]) -> Route:
    """The user's own backend: the first template that sends this kind of message."""

    def route(message: AppServerMessage) -> WebhookRequest | None:
        for template in templates:
            request = template.render(message)
            if request is not None:
                return request
        return None

    return route


class HttpAppServerLink:
    """Sends each app message along ``route`` and reports failures on the timeline."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        route: Route,
        *,
        now: Callable[[], float],
        emit: Callable[[Any], None],
    ) -> None:
        self._client = client
        self._route = route
        self._now = now
        self._emit = emit
        self._pending: set[asyncio.Task[None]] = set()
        # A few requests at a time: thousands of apps installing at once would otherwise queue
        # thousands of requests inside httpx's pool, whose bookkeeping grows with the queue.
        self._in_flight = asyncio.Semaphore(_MAX_IN_FLIGHT)

    def __call__(self, message: AppServerMessage) -> None:
        request = self._route(message)
        if request is None:
            return
        task = asyncio.get_running_loop().create_task(self._send(message, request))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait until every message handed over so far has been answered."""
        while self._pending:
            await asyncio.gather(*list(self._pending))

    async def _send(self, message: AppServerMessage, request: WebhookRequest) -> None:
        what = "token report" if isinstance(message, TokenReport) else _engagement(message)
        try:
            async with self._in_flight:
                response = await self._client.request(
                    request.method, request.url, json=request.json, headers=dict(request.headers)
                )
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


def _engagement(message: EngagementReport) -> str:
    return f"{message.event} report"
