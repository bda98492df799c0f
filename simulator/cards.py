"""Loyalty cards in a ``Simulation``: issue one through the sender's API, put it on a phone,
change it, and flip the card's switches on the phone.

    card = await sim.issue_card("alice", platform="ios", points=100)
    await sim.add_card(iphone, card)                    # Wallet downloads, verifies, registers
    await sim.change_card(card["card_id"], points=150)  # the phone shows "You now have 150 points"
    await sim.expect("NotificationDisplayed", notification=card["card_id"])
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import httpx

from devices.android import AndroidPhone
from devices.errors import DeviceError
from devices.google_wallet import GooglePass
from devices.ios import IosPhone
from devices.phone import Phone
from devices.wallet import WalletPass
from devices.wallet_events import PassAdded, PassRefused
from sender.google_wallet import GoogleWalletClient
from simulator.timeline import Timeline
from simulator.wallet import AppleWallet


def _card_path(card_id: str) -> str:
    """``/v1/cards/{card_id}`` with the id as one path segment: "/", "?", "#" and dot segments
    ("..") would otherwise reach another of the sender's routes."""
    return "/v1/cards/" + urllib.parse.quote(card_id, safe="").replace(".", "%2E")


class CardError(Exception):
    """A card action the simulation cannot carry out (the sender refused it, wrong phone…)."""


class CardsMixin:
    """The card part of ``Simulation`` (it provides the attributes below)."""

    sender_api: httpx.AsyncClient
    apple_wallet: AppleWallet
    google_wallet_client: GoogleWalletClient
    timeline: Timeline

    async def settle(self) -> None:
        raise NotImplementedError

    async def issue_card(
        self,
        user_id: str,
        *,
        platform: str = "ios",
        points: int = 0,
        tier: str = "Member",
        member_name: str | None = None,
    ) -> dict[str, Any]:
        """Ask the sender (``POST /v1/cards``) for a card; returns it with its ``add_url``."""
        body: dict[str, Any] = {
            "user_id": user_id,
            "platform": platform,
            "points": points,
            "tier": tier,
        }
        if member_name is not None:
            body["member_name"] = member_name
        return await self._card_call("POST", "/v1/cards", body, 201)

    async def change_card(
        self, card_id: str, *, points: int | None = None, tier: str | None = None
    ) -> dict[str, Any]:
        """``PATCH /v1/cards/{id}``: the new version with each device's outcome; then waits
        until the phones have fetched what changed."""
        body = {k: v for k, v in (("points", points), ("tier", tier)) if v is not None}
        update = await self._card_call("PATCH", _card_path(card_id), body, 200)
        await self.settle()
        return update

    async def card(self, card_id: str) -> dict[str, Any]:
        """The sender's view of a card: devices and every update's outcomes."""
        found = await self._card_call("GET", _card_path(card_id), None, 200)
        if found.get("card_id") != card_id:  # "stats" is the sender's GET /v1/cards/stats
            raise CardError(f"no card {card_id!r}")
        return found

    async def card_stats(self) -> dict[str, Any]:
        """``GET /v1/cards/stats``."""
        return await self._card_call("GET", "/v1/cards/stats", None, 200)

    async def add_card(self, phone: Phone, card: dict[str, Any]) -> WalletPass | GooglePass | None:
        """The user opens the card's ``add_url`` on ``phone``: Apple Wallet on an iPhone, Google
        Wallet on an Android phone. Returns the pass in the wallet, or None when the wallet
        refused it (a ``PassRefused`` event says why)."""
        if isinstance(phone, AndroidPhone):
            try:
                saved = phone.save_pass(card["add_url"])
            except DeviceError:
                return None
            return saved[0] if saved else None
        wallet = _iphone(phone).wallet
        start = len(self.timeline)
        wallet.add_from_url(card["add_url"])
        await self.settle()
        for event in self.timeline.events(since=start):
            if isinstance(event, PassRefused) and event.source == card["add_url"]:
                return None
            if isinstance(event, PassAdded) and event.pass_id == card["card_id"]:
                return wallet.get(event.pass_type, event.pass_id)
        return None

    async def remove_card(self, phone: Phone, card_id: str) -> None:
        """The user deletes the card from the phone's wallet (Apple Wallet unregisters it)."""
        if isinstance(phone, AndroidPhone):
            phone.remove_pass(self._google_id(card_id))
        else:
            _iphone(phone).wallet.remove(self.apple_wallet.pass_type_id, card_id)
        await self.settle()

    async def set_card_notifications(self, phone: Phone, card_id: str, enabled: bool) -> None:
        """The card's notification switch on the phone (Apple: "Allow Notifications")."""
        if isinstance(phone, AndroidPhone):
            phone.set_pass_notifications(self._google_id(card_id), enabled)
        else:
            _iphone(phone).wallet.set_notifications(
                self.apple_wallet.pass_type_id, card_id, enabled
            )

    async def set_card_automatic_updates(self, phone: Phone, card_id: str, enabled: bool) -> None:
        """The card's "Automatic Updates" switch: off unregisters, on registers again."""
        _iphone(phone).wallet.set_automatic_updates(
            self.apple_wallet.pass_type_id, card_id, enabled
        )
        await self.settle()

    def _google_id(self, card_id: str) -> str:
        return self.google_wallet_client.resource_id(card_id)

    async def _card_call(
        self, method: str, path: str, body: dict[str, Any] | None, expected: int
    ) -> dict[str, Any]:
        await self.settle()
        response = await self.sender_api.request(method, path, json=body)
        if response.status_code != expected:
            raise CardError(f"the sender answered {response.status_code}: {response.text}")
        result: dict[str, Any] = response.json()
        return result


def _iphone(phone: Phone) -> IosPhone:
    if not isinstance(phone, IosPhone):
        raise CardError(f"{phone.phone_id} has no Apple Wallet")
    return phone
