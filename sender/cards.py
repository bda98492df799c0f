"""Loyalty cards: issue one to a user, change its points or tier, tell the user's devices.

Apple (reference/wallet.md §1-§5): the card is a store-card pass, signed on every download; a
change bumps the card's update tag and sends each registered device an empty push on the pass type
topic through APNs (certificate auth, production), after which the device asks the web service
(``passkit``) what changed and fetches the pass.
Google (§6-§8): the card is a loyalty object of the issuer's loyalty class, added from a "Save
to Google Wallet" link; a change is PATCHed to it, and Google syncs the devices.
A change and the pushes it owes are stored together (an outbox), then sent, retried and taken
over by ``card_pushes``; each outcome is stored per card version, so the API shows who heard of
which change and what is still owed.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from .apns_client import ApnsClient
from .card_pushes import CardPusher, google_fields
from .clock import Clock
from .errors import InvalidInput, NotFound
from .events import CardChanged, CardIssued, Emit, discard_event
from .google_wallet import GoogleWalletClient
from .models import CardUpdate, LoyaltyCard, PassRegistration
from .pkpass import PassSigner, build_pkpass
from .policy import RetryPolicy
from .stores import Store
from .work import default_instance_name

MAX_POINTS = 10**12
MAX_TEXT = 64


@dataclass(frozen=True)
class ApplePasses:
    """What the sender needs to issue Apple passes and push their updates."""

    signer: PassSigner
    web_service_url: str
    """The pass's ``webServiceURL``: where devices reach this sender's PassKit web service."""
    apns: ApnsClient | None
    """An APNs client on the production endpoint with the Pass Type ID certificate (§4)."""
    organization_name: str = "pushsim Rewards"
    push_type: str | None = None
    """``apns-push-type`` of pass pushes: Apple documents none for passes ([U], §4); omitted
    by default, as Apple's reference server does."""

    @property
    def pass_type_id(self) -> str:
        return self.signer.pass_type_id


#: Messages of the PassKit device log kept by default (the endpoint needs no authentication:
#: Apple's Wallet posts to it without one, reference/wallet.md).
DEVICE_LOGS_KEPT = 10_000


class CardService:
    """Loyalty cards over the store; Apple passes when ``apple`` is configured, Google Wallet
    cards when ``google`` is."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        emit: Emit = discard_event,
        *,
        apple: ApplePasses | None = None,
        google: GooglePasses | None = None,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        instance: str | None = None,
        lease: float = 30.0,
        poll_interval: float = 0.5,
        device_logs_kept: int = DEVICE_LOGS_KEPT,
    ) -> None:
        """``retry`` is the sender's retry policy for pass pushes; ``lease`` and
        ``poll_interval`` pace the claims on the outbox as ``SenderService``'s do. Card pushes
        are claimed as ``<instance>/cards`` (``instance``: unique by default), apart from the
        instance's campaign work, so that each gives back only its own claims.
        ``device_logs_kept``: the newest messages of the PassKit ``/v1/log`` kept (anyone may
        post there, unauthenticated, so older ones go)."""
        if device_logs_kept < 1:
            raise ValueError("device_logs_kept must be at least 1")
        self.device_logs_kept = device_logs_kept
        self.store = store
        self.clock = clock
        self.emit = emit
        self.pusher = CardPusher(
            store,
            clock,
            emit,
            instance=f"{instance or default_instance_name()}/cards",
            retry=retry or RetryPolicy(),
            rng=rng or random.Random(),
            lease=lease,
            poll_interval=poll_interval,
        )
        self.apple = apple
        self.google = google

    @property
    def apple(self) -> ApplePasses | None:
        return self.pusher.apple

    @apple.setter
    def apple(self, apple: ApplePasses | None) -> None:
        self.pusher.apple = apple

    @property
    def google(self) -> GooglePasses | None:
        return self.pusher.google

    @google.setter
    def google(self, google: GooglePasses | None) -> None:
        self.pusher.google = google

    async def start(self) -> None:
        """Send what the outbox holds (a previous run's pushes too) until ``stop``."""
        await self.pusher.start()

    async def stop(self) -> None:
        await self.pusher.stop()

    # -- issuing and changing -----------------------------------------------------------------

    async def issue(
        self,
        user_id: str,
        platform: str,
        *,
        points: int = 0,
        tier: str = "Member",
        member_name: str | None = None,
    ) -> LoyaltyCard:
        """A new card for ``user_id`` on ``platform``: ``"ios"``, an Apple Wallet pass;
        ``"android"``, a Google Wallet loyalty object (inserted before the answer)."""
        _check_text("user_id", user_id)
        _check_card_values(points, tier)
        name = user_id if member_name is None else member_name
        _check_text("member_name", name)
        card_id = uuid.uuid4().hex
        auth_token: str | None = None
        if platform == "ios":
            program, auth_token = self._apple().pass_type_id, secrets.token_urlsafe(24)
        elif platform == "android":
            google = self._google()
            program = await google.insert(card_id, user_id, name, points, tier)
        else:
            raise InvalidInput("platform", "must be ios or android")
        card = self.store.add_card(
            LoyaltyCard(
                card_id=card_id,
                user_id=user_id,
                platform="ios" if platform == "ios" else "android",
                program=program,
                member_name=name,
                points=points,
                tier=tier,
                auth_token=auth_token,
                created_at=self.clock.now(),
            )
        )
        self.emit(
            CardIssued(at=card.created_at, card_id=card.card_id, user_id=user_id, platform=platform)
        )
        return card

    async def change(
        self, card_id: str, *, points: int | None = None, tier: str | None = None
    ) -> CardUpdate:
        """Set new points and/or tier and tell the card's devices; returns the update with each
        device's outcome, and the devices still owed a push (waiting for a retry)."""
        card = self.get(card_id)
        points = card.points if points is None else points
        tier = card.tier if tier is None else tier
        _check_card_values(points, tier)
        now = self.clock.now()
        pusher = self.pusher
        written = self.store.change_card(
            card_id, points=points, tier=tier, at=now, owner=pusher.instance, lease=pusher.lease
        )
        if written is None:  # pragma: no cover - cards are never deleted
            raise NotFound("card", card_id)
        changed, pushes = written
        self.emit(
            CardChanged(at=now, card_id=card_id, version=changed.version, points=points, tier=tier)
        )
        await pusher.send(pushes)
        # This change's version only: the card's whole history grows with every change.
        [update] = self.store.card_updates(card_id, changed.version)
        return update

    # -- reading ------------------------------------------------------------------------------

    def get(self, card_id: str) -> LoyaltyCard:
        card = self.store.get_card(card_id)
        if card is None:
            raise NotFound("card", card_id)
        return card

    def cards(self, user_id: str | None = None) -> list[LoyaltyCard]:
        return self.store.cards(user_id)

    def devices(self, card: LoyaltyCard) -> list[PassRegistration]:
        """The devices registered for the card's updates (Apple)."""
        return self.store.pass_registrations(card.program, card.card_id)

    def updates(self, card_id: str) -> list[CardUpdate]:
        self.get(card_id)
        return self.store.card_updates(card_id)

    def stats(self) -> dict[str, Any]:
        return self.store.card_stats()

    # -- Apple passes -------------------------------------------------------------------------

    def pass_json(self, card: LoyaltyCard) -> dict[str, Any]:
        """The card's ``pass.json`` (a store card; points and tier carry ``changeMessage``)."""
        apple = self._apple()
        return {
            "formatVersion": 1,
            "passTypeIdentifier": card.program,
            "serialNumber": card.card_id,
            "teamIdentifier": apple.signer.team_id,
            "organizationName": apple.organization_name,
            "description": f"{apple.organization_name} loyalty card",
            "logoText": apple.organization_name,
            "webServiceURL": apple.web_service_url,
            "authenticationToken": card.auth_token,
            "barcodes": [
                {
                    "format": "PKBarcodeFormatQR",
                    "message": card.card_id,
                    "messageEncoding": "iso-8859-1",
                }
            ],
            "storeCard": {
                "headerFields": [
                    {
                        "key": "tier",
                        "label": "Tier",
                        "value": card.tier,
                        "changeMessage": "Your tier is now %@",
                    }
                ],
                "primaryFields": [
                    {
                        "key": "points",
                        "label": "Points",
                        "value": card.points,
                        "changeMessage": "You now have %@ points",
                    }
                ],
                "secondaryFields": [
                    {"key": "member", "label": "Member", "value": card.member_name}
                ],
            },
        }

    def pkpass(self, card: LoyaltyCard) -> bytes:
        """The signed ``.pkpass`` of the card as it is now."""
        return build_pkpass(self.pass_json(card), self._apple().signer)

    def download_token(self, card: LoyaltyCard) -> str:
        """The secret in the card's download link (derived from its authentication token)."""
        key = (card.auth_token or "").encode()
        return hmac.new(key, b"download:" + card.card_id.encode(), hashlib.sha256).hexdigest()[:32]

    def download_path(self, card: LoyaltyCard) -> str:
        """The card's download link, relative to the sender's URL."""
        return f"/passkit/download/{card.card_id}/{self.download_token(card)}.pkpass"

    # -- internals ----------------------------------------------------------------------------

    def _apple(self) -> ApplePasses:
        if self.apple is None:
            raise InvalidInput("platform", "Apple Wallet passes are not configured")
        return self.apple

    def _google(self) -> GooglePasses:
        if self.google is None:
            raise InvalidInput("platform", "Google Wallet is not configured")
        return self.google

    def add_url(self, card: LoyaltyCard) -> str | None:
        """Where the user adds the card: the ``.pkpass`` download path (Apple, relative to the
        sender's URL) or the "Save to Google Wallet" link."""
        if card.platform == "ios":
            return self.download_path(card)
        return None if self.google is None else self.google.client.save_link([card.card_id])


@dataclass(frozen=True)
class GooglePasses:
    """Google Wallet loyalty objects of one issuer's loyalty class."""

    client: GoogleWalletClient
    class_suffix: str = "loyalty"
    issuer_name: str = "pushsim Rewards"
    program_logo_uri: str = "https://pushsim.invalid/logo.png"

    async def insert(self, card_id: str, user_id: str, name: str, points: int, tier: str) -> str:
        """Insert the card's loyalty object (and the class, once); returns the class id."""
        class_id = self.client.resource_id(self.class_suffix)
        await self.client.ensure_class(
            class_id,
            issuer_name=self.issuer_name,
            program_name=self.issuer_name,
            program_logo_uri=self.program_logo_uri,
        )
        await self.client.insert_object(
            {
                "id": self.client.resource_id(card_id),
                "classId": class_id,
                "state": "ACTIVE",
                "accountId": user_id,
                "accountName": name,
                **google_fields(points, tier),
            }
        )
        return class_id


def _check_text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise InvalidInput(name, f"must be 1 to {MAX_TEXT} characters")
    if not value.isprintable():
        raise InvalidInput(name, "must be printable text")


def _check_card_values(points: object, tier: object) -> None:
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= MAX_POINTS:
        raise InvalidInput("points", f"must be an integer from 0 to {MAX_POINTS}")
    _check_text("tier", tier)
