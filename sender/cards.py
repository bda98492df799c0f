"""Loyalty cards: issue one to a user, change its points or tier, tell the user's devices.

Apple (reference/wallet.md §1-§5): the card is a store-card pass, signed on every download; a
change bumps the card's update tag and sends each registered device an empty push on the pass type
topic through APNs (certificate auth, production), after which the device asks the web service
(``passkit``) what changed and fetches the pass. A 410 drops the device's registrations (§4).
Google (§6-§8): the card is a loyalty object of the issuer's loyalty class, added from a "Save
to Google Wallet" link; a points change is a PATCH with ``NOTIFY_ON_UPDATE`` (``loyaltyPoints`` is
on Google's notifying list), a tier change also adds a ``TEXT_AND_NOTIFY`` message (the tier is
shown as a text module, which does not notify by itself). Google syncs the devices.
Each outcome is stored per card version, so the API shows who heard of which change.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from .apns_client import ApnsClient
from .clock import Clock
from .errors import InvalidInput, NotFound, ProviderError, WalletApiError
from .events import (
    CardChanged,
    CardIssued,
    CardUpdatePushed,
    Emit,
    PassDeviceUnregistered,
    discard_event,
)
from .google_wallet import GoogleWalletClient
from .models import CardDelivery, CardUpdate, LoyaltyCard, PassRegistration
from .pkpass import PassSigner, build_pkpass
from .store import Store

log = logging.getLogger(__name__)

MAX_POINTS = 10**12
#: The ``target`` of a Google Wallet card's outcomes: Google syncs the devices (§7).
GOOGLE_TARGET = "google-wallet"
MAX_TEXT = 64
_PRUNE_REASONS = frozenset({"Unregistered", "ExpiredToken", "BadDeviceToken"})


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


class CardService:
    """Loyalty cards over the store; Apple passes when ``apple`` is configured."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        emit: Emit = discard_event,
        *,
        apple: ApplePasses | None = None,
        google: GooglePasses | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.apple = apple
        self.google = google
        self.emit = emit

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
        device's outcome."""
        card = self.get(card_id)
        points = card.points if points is None else points
        tier = card.tier if tier is None else tier
        _check_card_values(points, tier)
        now = self.clock.now()
        changed = self.store.change_card(card_id, points=points, tier=tier, at=now)
        if changed is None:  # pragma: no cover - deleted between the two calls
            raise NotFound("card", card_id)
        self.emit(
            CardChanged(at=now, card_id=card_id, version=changed.version, points=points, tier=tier)
        )
        outcomes = await self._tell_devices(changed, card)
        self.store.add_card_deliveries(outcomes)
        return self.store.card_updates(card_id)[-1]

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

    async def _tell_devices(self, card: LoyaltyCard, previous: LoyaltyCard) -> list[CardDelivery]:
        if card.platform == "android":
            return [await self._tell_google(card, previous)]
        tokens: dict[str, str] = {}
        for registration in self.store.pass_registrations(card.program, card.card_id):
            tokens.setdefault(registration.push_token, registration.device_library_id)
        return [await self._push(card, token, dlid) for token, dlid in tokens.items()]

    async def _tell_google(self, card: LoyaltyCard, previous: LoyaltyCard) -> CardDelivery:
        """PATCH the object, notifying for points (an allowlisted field, §7); a new tier also
        gets a notifying message. Over Google's notification quota (403 quotaExceeded) the same
        change is sent again without notifying, as Google advises (§7), and the outcome says
        ``quotaExceeded``."""
        google = self._google()
        status, reason = 200, None

        async def send(notify: bool) -> None:
            await google.client.patch_object(
                card.card_id, _google_fields(card.points, card.tier), notify=notify
            )

        async def tell(notify: bool) -> None:
            await google.client.add_message(
                card.card_id, header="Tier", body=f"Your tier is now {card.tier}", notify=notify
            )

        steps = [(send, card.points != previous.points)]
        if card.tier != previous.tier:
            steps.append((tell, True))
        try:
            for step, notify in steps:
                try:
                    await step(notify)
                except WalletApiError as exc:
                    if not (notify and exc.quota_exceeded):
                        raise
                    await step(False)
                    status, reason = 403, exc.reason
        except WalletApiError as exc:
            status, reason = exc.status, exc.reason or exc.rpc_status or "WalletApiError"
        except ProviderError as exc:
            status, reason = 0, type(exc).__name__
        return self._outcome(card, GOOGLE_TARGET, None, status, reason, None)

    async def _push(self, card: LoyaltyCard, token: str, dlid: str) -> CardDelivery:
        """One empty push on the pass type topic (wallet.md §4); a dead token drops the
        device's registrations."""
        apple = self._apple()
        status, push_id = 0, None
        reason: str | None = "ApnsNotConfigured"
        if apple.apns is not None:
            headers = {} if apple.push_type is None else {"apns-push-type": apple.push_type}
            try:
                result = await apple.apns.send_encoded(token, card.program, headers, b"{}")
                status, reason, push_id = result.status, result.reason, result.apns_id
            except ProviderError as exc:
                log.warning("pass push for %s: %s", card.card_id, exc)
                reason = type(exc).__name__
        outcome = self._outcome(card, token, dlid, status, reason, push_id)
        if reason in _PRUNE_REASONS:
            for dropped in self.store.drop_push_token(token):
                self.emit(
                    PassDeviceUnregistered(
                        at=outcome.at,
                        card_id=dropped.serial_number,
                        device_library_id=dropped.device_library_id,
                        reason=reason or "",
                    )
                )
        return outcome

    def _outcome(
        self,
        card: LoyaltyCard,
        target: str,
        device_library_id: str | None,
        status: int,
        reason: str | None,
        push_id: str | None,
    ) -> CardDelivery:
        """Record on the timeline how ``target`` was told of the card's version."""
        now = self.clock.now()
        reason = None if status == 200 else reason
        self.emit(
            CardUpdatePushed(
                at=now,
                card_id=card.card_id,
                version=card.version,
                token=target,
                status=status,
                reason=reason,
                push_id=push_id,
            )
        )
        return CardDelivery(
            card_id=card.card_id,
            version=card.version,
            target=target,
            device_library_id=device_library_id,
            outcome="accepted" if status == 200 else "failed",
            status=status,
            reason=reason,
            push_id=push_id,
            at=now,
        )


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
                **_google_fields(points, tier),
            }
        )
        return class_id


def _google_fields(points: int, tier: str) -> dict[str, Any]:
    return {
        "loyaltyPoints": {"label": "Points", "balance": {"int": points}},
        "textModulesData": [{"id": "tier", "header": "Tier", "body": tier}],
    }


def _check_text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise InvalidInput(name, f"must be 1 to {MAX_TEXT} characters")
    if not value.isprintable():
        raise InvalidInput(name, "must be printable text")


def _check_card_values(points: object, tier: object) -> None:
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= MAX_POINTS:
        raise InvalidInput("points", f"must be an integer from 0 to {MAX_POINTS}")
    _check_text("tier", tier)
