"""The control API's hooks to a user's own backend: read and set where the apps post tokens and
engagement (webhooks) and how notifications are sent (the send hook); send a notification the
way a scenario would, through the send hook or pushsim's sender."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import ConfigDict, Field

from devices.app_server import WebhookTemplate, WebhookTemplateError
from simulator.backend import HookError, SendHook
from simulator.control.body import StrictBody
from simulator.errors import NotificationRefused
from simulator.simulation import Simulation, SimulationError

COMMAND_OVER_HTTP = (
    "send.command: a command send hook is set with --config ([hooks.send] command) or "
    "Simulation(send_hook=...), not over the control API, which any local process can reach"
)


class Hooks(StrictBody):
    webhooks: list[dict[str, Any]] = Field(
        default_factory=list,
        description="templates: url, body, method, events, headers (docs/config.md); "
        "[] sends apps to pushsim's sender",
    )
    send: dict[str, Any] | None = Field(
        default=None,
        description="url, method, body, headers, timeout (a command only from --config); "
        "null: pushsim's sender",
    )


class NewNotification(StrictBody):
    model_config = ConfigDict(extra="allow")  # the sender's other fields, checked by the sender
    user_id: str | None = None
    title: str | None = None
    body: str | None = None
    kind: str = "alert"
    data: dict[str, str] = Field(default_factory=dict)


def install_hook_routes(
    app: FastAPI, sim: Simulation, error: Callable[[int, str], Exception]
) -> None:
    """``GET``/``PUT /hooks`` and ``POST /notifications`` on the control ``app``."""

    @app.get("/hooks", summary="Where apps post tokens and engagement; how notify sends")
    async def get_hooks() -> dict[str, Any]:
        return hooks_json(sim)

    @app.put("/hooks", summary="Point the apps and notify at your backend (or back at pushsim's)")
    async def put_hooks(body: Hooks) -> dict[str, Any]:
        if body.send is not None and "command" in body.send:
            # Any local process (another user's too) reaches the control API: over it a command
            # hook would run any program as pushsim's user. --config and Python may set one.
            raise error(422, COMMAND_OVER_HTTP)
        try:
            webhooks = tuple(WebhookTemplate.from_config(t) for t in body.webhooks)
            send = None if body.send is None else SendHook.from_config(body.send)
        except (WebhookTemplateError, HookError) as exc:
            raise error(422, str(exc)) from None
        sim.webhooks, sim.send_hook = webhooks, send
        return hooks_json(sim)

    @app.post("/notifications", status_code=202, summary="Notify, through the send hook if set")
    async def notify(body: NewNotification) -> dict[str, str]:
        fields = body.model_dump(exclude_none=True)
        try:
            return {"id": await sim.notify(**fields)}
        except NotificationRefused as exc:  # the request is wrong, not the sender
            raise error(exc.status, str(exc)) from None
        except SimulationError as exc:
            raise error(502, str(exc)) from None


def hooks_json(sim: Simulation) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, frozenset):
            return sorted(value)
        return dict(value) if isinstance(value, dict) else value

    return {
        "webhooks": [
            {f.name: plain(getattr(t, f.name)) for f in dataclasses.fields(t)} for t in sim.webhooks
        ],
        "send": None if sim.send_hook is None else dataclasses.asdict(sim.send_hook),
    }
