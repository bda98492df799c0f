"""The sender's loyalty-card API: issue a card, change its points or tier, see its devices,
its updates with each device's outcome, and counters over all cards (bearer API key)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.params import Depends
from pydantic import BaseModel, ConfigDict, Field

from .cards import MAX_POINTS, CardService
from .models import LoyaltyCard


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str
    platform: Literal["ios", "android"] = Field(
        description="ios: an Apple Wallet store card; android: a Google Wallet loyalty object."
    )
    points: int = Field(default=0, ge=0, le=MAX_POINTS)
    tier: str = "Member"
    member_name: str | None = Field(default=None, description="Shown on the card (user_id).")


class CardChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int | None = Field(default=None, ge=0, le=MAX_POINTS)
    tier: str | None = None


class CardOut(BaseModel):
    card_id: str
    user_id: str
    platform: str
    program: str
    member_name: str
    points: int
    tier: str
    version: int
    tag: int
    modified_at: int
    created_at: float
    add_url: str | None = Field(
        default=None,
        description="Where the user adds the card: the .pkpass download link (ios) or the "
        '"Save to Google Wallet" link (android).',
    )


class CardDetailOut(CardOut):
    devices: list[dict[str, Any]] = Field(
        description="Devices registered for the card's updates (Apple: PassKit registrations)."
    )
    updates: list[dict[str, Any]] = Field(
        description="Every version, with how each device was told (outcomes)."
    )


def install_card_routes(app: FastAPI, cards: CardService, api_auth: Sequence[Depends]) -> None:
    """Add ``/v1/cards`` to the sender API, behind ``api_auth``."""

    def out(card: LoyaltyCard, request: Request) -> dict[str, Any]:
        link = cards.add_url(card)
        if link is not None and link.startswith("/"):
            link = str(request.base_url).rstrip("/") + link
        return {**card.to_json(), "add_url": link}

    @app.post("/v1/cards", response_model=CardOut, status_code=201, dependencies=list(api_auth))
    async def issue_card(body: CardIn, request: Request) -> dict[str, Any]:
        """Issue a loyalty card to a user; ``add_url`` is where the user adds it to a wallet."""
        card = await cards.issue(
            body.user_id,
            body.platform,
            points=body.points,
            tier=body.tier,
            member_name=body.member_name,
        )
        return out(card, request)

    @app.get("/v1/cards/stats", dependencies=list(api_auth))
    async def card_stats() -> dict[str, Any]:
        """Cards issued (by platform), changes, registered devices, update pushes sent,
        accepted and failed (by reason), still pending (in the outbox), device log messages."""
        return cards.stats()

    @app.get("/v1/cards", response_model=list[CardOut], dependencies=list(api_auth))
    async def list_cards(request: Request, user_id: str | None = None) -> list[dict[str, Any]]:
        """Every card, or one user's."""
        return [out(card, request) for card in cards.cards(user_id)]

    @app.get("/v1/cards/{card_id}", response_model=CardDetailOut, dependencies=list(api_auth))
    async def get_card(card_id: str, request: Request) -> dict[str, Any]:
        """A card with its devices and its updates' outcomes."""
        card = cards.get(card_id)
        return {
            **out(card, request),
            "devices": [d.to_json() for d in cards.devices(card)],
            "updates": [u.to_json() for u in cards.updates(card_id)],
        }

    @app.patch("/v1/cards/{card_id}", dependencies=list(api_auth))
    async def change_card(card_id: str, body: CardChangeIn) -> dict[str, Any]:
        """Change points and/or tier; the change and the pushes it owes are stored together,
        and the card's devices are told before the answer: the new version with each device's
        outcome, and in ``pending`` those still owed a push (a retry after an APNs 429/5xx, sent
        later, even after a restart)."""
        return (await cards.change(card_id, points=body.points, tier=body.tier)).to_json()
