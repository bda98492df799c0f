"""Sending in a ``Simulation``, and watching what became of it.

    notification_id = await sim.notify("alice", title="Hello", body="World")
    await sim.sending_done()
    await sim.expect("NotificationDisplayed", notification=notification_id)
    sim.expect_no("NotificationDisplayed", phone_id="pixel")

A mixin of ``Simulation``: through pushsim's sender, or a user's backend (a send hook).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from fakeproviders.apns import FakeApns
from fakeproviders.fcm import FakeFcm
from sender.api import MAX_WAIT
from simulator.assertions import expect_event, expect_no_event
from simulator.backend import HookError, SendHook
from simulator.errors import NeedsPushsimSender, NotificationRefused, SimulationError
from simulator.observe import ProviderRequest, observed_requests, wait_until_quiet
from simulator.timeline import Timeline


class SendingMixin:
    """The sending part of ``Simulation`` (it provides the attributes below)."""

    send_hook: SendHook | None
    sender_api: httpx.AsyncClient
    apns: FakeApns
    apns_production: FakeApns
    fcm: FakeFcm
    timeline: Timeline
    # Notifications given to pushsim's sender that sending_done() has not yet seen finished.
    _unfinished: list[str]
    # The timeline's seq when another backend was last asked to send.
    _asked_at_seq: int

    async def settle(self) -> None:
        raise NotImplementedError

    async def notify(
        self,
        user_id: str | None = None,
        *,
        title: str | None = None,
        body: str | None = None,
        kind: str = "alert",
        data: dict[str, str] | None = None,
        **options: Any,
    ) -> str:
        """Ask the sender, over its HTTP API, to notify ``user_id``; returns the notification id.

        ``options`` are the sender API's other fields: targets ``user_ids``, ``topic``,
        ``segment``, ``everyone``; ``collapse_key``, ``ttl``, ``priority``, ``badge``, ``sound``,
        ``thread_id``, ``category``. Pending app reports (tokens) are delivered first, as they
        would have been long before a real campaign.

        With a ``send_hook`` the user's backend is asked instead; the id is made here and also
        put in ``data`` (``notification_id``), so that a backend that forwards ``data`` lets
        ``wait_for(..., notification=id)`` follow the notification to the phones.
        """
        await self.settle()
        request: dict[str, Any] = {"kind": kind, "data": data or {}, **options}
        for name, value in (("user_id", user_id), ("title", title), ("body", body)):
            if value is not None:
                request[name] = value
        if self.send_hook is not None:
            return await self._notify_backend(request, self.send_hook)
        response = await self.sender_api.post("/v1/notifications", json=request)
        if response.status_code != 202:
            message = f"the sender refused the notification: {response.text}"
            if response.is_client_error:
                raise NotificationRefused(response.status_code, message)
            raise SimulationError(message)
        notification_id = str(response.json()["id"])
        self._unfinished.append(notification_id)
        return notification_id

    async def _notify_backend(self, request: dict[str, Any], hook: SendHook) -> str:
        notification_id = uuid.uuid4().hex
        named = (("user_ids", "users"), ("topic", "topic"), ("condition", "condition"))
        target = next((name for key, name in named if request.get(key)), None)
        target = target or ("everyone" if request.get("everyone") else "user")
        notification = {
            "notification_id": notification_id,
            "target": target,
            **request,
            "data": {**request["data"], "notification_id": notification_id},
        }
        self._asked_at_seq = self.timeline.last_seq
        try:
            await hook.send(notification, self.sender_api)
        except HookError as exc:
            raise SimulationError(f"the backend refused the notification: {exc}") from None
        return notification_id

    @property
    def uses_pushsim_sender(self) -> bool:
        """Whether ``notify`` goes to pushsim's sender (no send hook): only then are its API's
        views (:meth:`notification`, :meth:`stats`) about what was sent."""
        return self.send_hook is None

    def _require_pushsim_sender(self, what: str) -> None:
        if not self.uses_pushsim_sender:
            raise NeedsPushsimSender(
                f"{what} reads pushsim's sender API; notifications go through the send hook to "
                "another backend"
            )

    async def stats(self, notification_id: str | None = None) -> dict[str, Any]:
        """The sender's counters (``GET /v1/stats``): sent, accepted, failed, opened, open rate…,
        for everything or for one notification."""
        self._require_pushsim_sender("stats()")
        params = {"notification_id": notification_id} if notification_id else {}
        response = await self.sender_api.get("/v1/stats", params=params)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def notification(self, notification_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
        """The sender's record of a notification, once it has been sent to every device."""
        self._require_pushsim_sender("notification()")
        response = await self.sender_api.get(
            f"/v1/notifications/{notification_id}", params={"wait": timeout}
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        if result.get("status") != "done":
            raise TimeoutError(f"notification {notification_id} not done within {timeout} s")
        return result

    async def wait_for(
        self, kind: str | type | None = None, *, timeout: float = 5.0, **filters: Any
    ) -> Any:
        """The first timeline event matching ``filters`` (see :meth:`Timeline.events`)."""
        return await self.timeline.wait_for(kind, timeout=timeout, **filters)

    async def expect(
        self, kind: str | type | None = None, *, timeout: float = 5.0, **filters: Any
    ) -> Any:
        """Like :meth:`wait_for`, but a miss is an AssertionError showing the relevant timeline."""
        return await expect_event(self.timeline, kind, timeout=timeout, **filters)

    def expect_no(self, kind: str | type | None = None, **filters: Any) -> None:
        """AssertionError, showing the relevant timeline, if such an event has happened."""
        expect_no_event(self.timeline, kind, **filters)

    def provider_requests(
        self, *, token: str | None = None, since: float | None = None
    ) -> list[ProviderRequest]:
        """Push requests the fakes answered (both request logs, oldest first), to ``token`` and
        at or after ``since`` (clock time) when given: what any sender did, pushsim's or not."""
        apns = (self.apns, self.apns_production)
        return observed_requests(apns, self.fcm, token=token, since=since)

    async def sending_done(
        self, *, quiet: float = 0.5, first: float = 2.0, timeout: float = 30.0
    ) -> None:
        """Wait until the sender has finished what it was asked to send.

        pushsim's sender says so exactly: every notification :meth:`notify` gave it is done
        (answered, retried, pruned). Another backend is judged from outside: the fakes have seen
        no push request for ``quiet`` real seconds (``first`` before the first one since it was
        last asked to send). At most ``timeout`` seconds."""
        if not self.uses_pushsim_sender:
            await wait_until_quiet(
                self.timeline, quiet=quiet, first=first, timeout=timeout, since=self._asked_at_seq
            )
            return
        async with asyncio.timeout(timeout):
            while self._unfinished:
                await self.notification(self._unfinished[0], timeout=min(timeout, MAX_WAIT))
                self._unfinished.pop(0)
