"""The control API's Apple-only routes: the fake APNs's token lifecycle (invalidation delay, token
expiry, the token list) and what an iPhone app does with its special tokens (Live Activities,
reporting VoIP pushes to CallKit). Errors are raised as ``HTTPException``, which the control API
renders in its one error shape."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query
from pydantic import Field
from starlette.exceptions import HTTPException

from devices.ios import IosPhone
from devices.ios_activity import LiveActivity
from devices.phone import Phone
from simulator.control.body import StrictBody
from simulator.simulation import Simulation

_TEN_YEARS = 10 * 365 * 86400


class ApnsSettings(StrictBody):
    invalidation_delay: float | None = Field(
        default=None,
        ge=0,
        le=_TEN_YEARS,
        description="Seconds from the first push that reached an uninstalled app to the first "
        "410 Unregistered (default one day; Apple's schedule is undocumented)",
    )


class NewLiveActivity(StrictBody):
    attributes_type: str = Field(min_length=1, max_length=255)
    attributes: dict[str, Any] = Field(default_factory=dict)
    content_state: dict[str, Any] = Field(default_factory=dict)
    stale_date: float | None = Field(default=None, description="UNIX seconds")
    relevance_score: float = 0.0


class EndLiveActivity(StrictBody):
    content_state: dict[str, Any] | None = None
    dismissal_date: float | None = Field(
        default=None, description="UNIX seconds; default 4 hours after the end, past = at once"
    )


class CallKit(StrictBody):
    reports_calls: bool = Field(
        description="Whether the app reports each VoIP push to CallKit as an incoming call; "
        "iOS terminates an app that does not, and stops VoIP delivery after repeated failures"
    )


def apple_router(sim: Simulation, phone: Callable[[str], Phone]) -> APIRouter:
    """The routes, over a started ``sim``; ``phone`` finds a phone by id or raises a 404."""
    router = APIRouter()

    def iphone(phone_id: str) -> IosPhone:
        found = phone(phone_id)
        if not isinstance(found, IosPhone):
            raise HTTPException(409, f"{phone_id} is not an iPhone")
        return found

    @router.get("/providers/apns/settings", summary="Token-lifecycle settings of the fake APNs")
    async def apns_settings() -> dict[str, Any]:
        return {"invalidation_delay": sim.apns.registry.invalidation_delay}

    @router.patch(
        "/providers/apns/settings", summary="Change the fake APNs's token-lifecycle settings"
    )
    async def change_apns_settings(body: ApnsSettings) -> dict[str, Any]:
        if body.invalidation_delay is not None:
            sim.apns.registry.invalidation_delay = body.invalidation_delay
        return await apns_settings()

    @router.get(
        "/providers/apns/tokens", summary="Every APNs device token: kind, environment, validity"
    )
    async def apns_tokens(
        phone_id: str | None = Query(default=None, alias="phone"),
    ) -> list[dict[str, Any]]:
        return [_token_json(record) for record in sim.apns.registry.tokens(phone_id)]

    @router.post(
        "/providers/apns/tokens/{token}/expire",
        summary="Expire a device token: from now on pushes to it get 410 ExpiredToken",
    )
    async def expire_token(token: str) -> dict[str, Any]:
        registry = sim.apns.registry
        token = token.lower()
        if registry.lookup(token) is None:
            raise HTTPException(404, f"no APNs token {token!r}")
        registry.expire(token)
        return _token_json(registry.lookup(token))

    @router.get(
        "/phones/{phone_id}/apps/{app_id}/live-activities",
        summary="The app's Live Activities on the lock screen, most relevant first",
    )
    async def live_activities(phone_id: str, app_id: str) -> list[dict[str, Any]]:
        target = iphone(phone_id)
        now = sim.clock.now()
        return [activity_json(a, now) for a in target.live_activities(app_id)]

    @router.post(
        "/phones/{phone_id}/apps/{app_id}/live-activities",
        status_code=201,
        summary="The app starts a Live Activity (Activity.request); the answer has its token",
    )
    async def start_live_activity(
        phone_id: str, app_id: str, body: NewLiveActivity
    ) -> dict[str, Any]:
        activity = iphone(phone_id).start_live_activity(
            app_id,
            body.attributes_type,
            body.attributes,
            body.content_state,
            stale_date=body.stale_date,
            relevance_score=body.relevance_score,
        )
        return activity_json(activity, sim.clock.now())

    @router.post(
        "/phones/{phone_id}/apps/{app_id}/live-activities/{activity_id}/end",
        summary="The app ends a Live Activity (Activity.end)",
    )
    async def end_live_activity(
        phone_id: str, app_id: str, activity_id: str, body: EndLiveActivity
    ) -> dict[str, Any]:
        activity = iphone(phone_id).end_live_activity(
            app_id, activity_id, body.content_state, dismissal_date=body.dismissal_date
        )
        return activity_json(activity, sim.clock.now())

    @router.put(
        "/phones/{phone_id}/apps/{app_id}/callkit",
        summary="Whether the app reports VoIP pushes to CallKit as incoming calls",
    )
    async def callkit(phone_id: str, app_id: str, body: CallKit) -> dict[str, Any]:
        target = iphone(phone_id)
        target.set_reports_calls(app_id, body.reports_calls)
        return {"reports_calls": body.reports_calls}

    return router


def activity_json(activity: LiveActivity, now: float) -> dict[str, Any]:
    """A Live Activity with its state as of ``now``."""
    return {**dataclasses.asdict(activity), "state": activity.state(now)}


def _token_json(record: Any) -> dict[str, Any]:
    return {**dataclasses.asdict(record), "valid": record.invalidated_at is None}
