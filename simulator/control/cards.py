"""The control API's loyalty cards: issue one through the sender, put it on a phone, change it,
flip its switches on the phone, see it (the card's devices and updates are the sender's view)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import Field

from devices.android import AndroidPhone
from devices.google_wallet import GooglePass
from devices.ios import IosPhone
from devices.phone import Phone
from devices.wallet import WalletPass
from simulator.cards import CardError
from simulator.control.body import StrictBody
from simulator.simulation import Simulation


class NewCard(StrictBody):
    user_id: str = Field(min_length=1, max_length=64)
    platform: Literal["ios", "android"]
    points: int = Field(default=0, ge=0)
    tier: str = Field(default="Member", min_length=1, max_length=64)
    member_name: str | None = Field(default=None, min_length=1, max_length=64)


class CardChange(StrictBody):
    points: int | None = Field(default=None, ge=0)
    tier: str | None = Field(default=None, min_length=1, max_length=64)


class CardOnPhone(StrictBody):
    card_id: str = Field(min_length=1, max_length=128)


class CardSwitches(StrictBody):
    notifications: bool | None = Field(
        default=None, description='Apple: "Allow Notifications"; Google: the pass\'s switch.'
    )
    automatic_updates: bool | None = Field(default=None, description="Apple only.")


def install_card_routes(
    app: FastAPI, sim: Simulation, phone: Callable[[str], Phone], error: Callable[..., Exception]
) -> None:
    """``/cards`` and ``/phones/{id}/cards``; ``error(status, message)`` makes a control error."""

    async def call(action: Any) -> Any:
        try:
            return await action
        except CardError as exc:
            raise error(422, str(exc)) from None

    @app.post(
        "/cards", status_code=201, summary="Issue a loyalty card (the sender's POST /v1/cards)"
    )
    async def issue(body: NewCard) -> dict[str, Any]:
        return await call(sim.issue_card(**body.model_dump()))  # type: ignore[no-any-return]

    @app.get("/cards/{card_id}", summary="A card with its devices and updates (the sender's view)")
    async def card(card_id: str) -> dict[str, Any]:
        return await call(sim.card(card_id))  # type: ignore[no-any-return]

    @app.patch("/cards/{card_id}", summary="Change points or tier; returns each device's outcome")
    async def change(card_id: str, body: CardChange) -> dict[str, Any]:
        return await call(sim.change_card(card_id, **body.model_dump()))  # type: ignore[no-any-return]

    @app.post("/phones/{phone_id}/cards", status_code=201, summary="The user adds a card")
    async def add(phone_id: str, body: CardOnPhone) -> dict[str, Any]:
        target = phone(phone_id)
        issued = await call(sim.card(body.card_id))
        held = await sim.add_card(target, issued)
        if held is None:
            refused = sim.timeline.events("PassRefused", phone=phone_id)
            reason = refused[-1].reason if refused else "the wallet refused the card"
            raise error(422, reason)
        return _pass_json(held)

    @app.get("/phones/{phone_id}/cards", summary="The passes in the phone's wallet")
    async def passes(phone_id: str) -> list[dict[str, Any]]:
        target = phone(phone_id)
        if isinstance(target, IosPhone):
            return [_pass_json(p) for p in target.wallet.passes()]
        if isinstance(target, AndroidPhone):
            return [_pass_json(p) for p in target.passes()]
        return []

    @app.delete("/phones/{phone_id}/cards/{card_id}", status_code=204, summary="Delete the card")
    async def remove(phone_id: str, card_id: str) -> Response:
        await sim.remove_card(phone(phone_id), card_id)
        return Response(status_code=204)

    @app.patch("/phones/{phone_id}/cards/{card_id}", summary="The card's switches on the phone")
    async def switches(phone_id: str, card_id: str, body: CardSwitches) -> dict[str, Any]:
        target = phone(phone_id)
        if body.notifications is not None:
            await sim.set_card_notifications(target, card_id, body.notifications)
        if body.automatic_updates is not None:
            await call(sim.set_card_automatic_updates(target, card_id, body.automatic_updates))
        return {"card_id": card_id, **body.model_dump(exclude_none=True)}


def _pass_json(held: WalletPass | GooglePass) -> dict[str, Any]:
    if isinstance(held, GooglePass):  # the synced object, kept short
        return {
            "pass_id": held.object_id,
            "pass_type": held.class_id,
            "points": held.points,
            "notifications": held.notifications,
            "messages": held.messages,
        }
    return dataclasses.asdict(held)
