"""Shared doubles for the fake Google Wallet API's sans-IO tests (no tests here)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jwt

from fakeproviders.events import ProviderEvent
from fakeproviders.fcm import ServiceAccount
from fakeproviders.fcm.oauth import (
    FIREBASE_MESSAGING_SCOPE,
    AccessToken,
    InMemoryAccessTokens,
    OAuthEndpoint,
)
from fakeproviders.gwallet import WALLET_SCOPE, PassNotice, Reply, WalletApi, WalletOptions
from tests.doubles import ManualClock

ISSUER = "3388000000022000001"
OTHER_ISSUER = "3388000000099000002"
CLASS_ID = f"{ISSUER}.gold"
OBJECT_ID = f"{ISSUER}.alice"
BEARER = "Bearer ya29.wallet"
DAY = 86_400.0
#: One service account for the whole test session: RSA key generation is slow.
ACCOUNT = ServiceAccount.generate("wallet-demo")


def loyalty_class(class_id: str = CLASS_ID, **fields: Any) -> dict[str, Any]:
    return {
        "id": class_id,
        "issuerName": "Coffee",
        "programName": "Coffee Club",
        "programLogo": {"sourceUri": {"uri": "https://example.com/logo.png"}},
        "reviewStatus": "UNDER_REVIEW",
        **fields,
    }


def loyalty_object(object_id: str = OBJECT_ID, points: int = 10, **fields: Any) -> dict[str, Any]:
    return {
        "id": object_id,
        "classId": CLASS_ID,
        "state": "ACTIVE",
        "accountId": "alice",
        "loyaltyPoints": {"label": "Points", "balance": {"int": points}},
        **fields,
    }


class Recorder:
    """A phone's Wallet as the fake sees it: records every sync."""

    def __init__(self) -> None:
        self.synced: list[tuple[str, Mapping[str, Any], PassNotice | None]] = []

    def pass_synced(
        self, object_id: str, data: Mapping[str, Any], notice: PassNotice | None
    ) -> None:
        self.synced.append((object_id, data, notice))

    @property
    def notices(self) -> list[PassNotice]:
        return [n for _, _, n in self.synced if n is not None]


class Harness:
    """The Wallet API core on a manual clock; ``ya29.wallet`` is a valid issuer token."""

    def __init__(self, **options: Any) -> None:
        self.clock = ManualClock()
        self.events: list[ProviderEvent] = []
        tokens = InMemoryAccessTokens()
        hour, forever = self.clock.now() + 3599, float("inf")
        for token, email, scope, expires in (
            ("ya29.wallet", ACCOUNT.client_email, WALLET_SCOPE, forever),
            ("ya29.hour", ACCOUNT.client_email, WALLET_SCOPE, hour),
            ("ya29.fcm", ACCOUNT.client_email, FIREBASE_MESSAGING_SCOPE, forever),
            ("ya29.stranger", "someone@else.iam.gserviceaccount.com", WALLET_SCOPE, forever),
        ):
            tokens.add(AccessToken(token, email, frozenset({scope}), expires))
        self.oauth = OAuthEndpoint(self.clock, [ACCOUNT], store=tokens)
        self.api = WalletApi(
            clock=self.clock,
            oauth=self.oauth,
            issuers={ISSUER: [ACCOUNT.client_email]},
            options=WalletOptions(**options),
            emit=self.events.append,
        )

    def insert(self, kind: str, resource: Any, auth: str | None = BEARER) -> Reply:
        return self.api.insert(kind, auth, _raw(resource))  # type: ignore[arg-type]

    def patch(self, object_id: str, patch: Any, auth: str | None = BEARER) -> Reply:
        return self.api.update("loyaltyObject", object_id, auth, _raw(patch), patch=True)

    def message(
        self, object_id: str = OBJECT_ID, kind: str = "loyaltyObject", **message: Any
    ) -> Reply:
        body = {"message": {"header": "Hi", "body": "Coffee on us", **message}}
        return self.api.add_message(kind, object_id, BEARER, _raw(body))  # type: ignore[arg-type]

    def card(self, points: int = 10) -> None:
        """A class and an object, inserted through the API."""
        assert self.insert("loyaltyClass", loyalty_class()).status == 200
        assert self.insert("loyaltyObject", loyalty_object(points=points)).status == 200

    def holder(self, phone_id: str = "pixel-1", object_id: str = OBJECT_ID) -> Recorder:
        """A connected phone that saved ``object_id``."""
        inbox = Recorder()
        self.api.connect(phone_id, inbox)
        outcome = self.api.save(phone_id, save_link([{"id": object_id}], self.clock.now()))
        assert outcome.error is None, outcome.error
        return inbox


def save_link(
    objects: list[dict[str, Any]],
    now: float,
    *,
    classes: list[dict[str, Any]] | None = None,
    account: ServiceAccount = ACCOUNT,
    **claims: Any,
) -> str:
    payload: dict[str, Any] = {"loyaltyObjects": objects}
    if classes:
        payload["loyaltyClasses"] = classes
    body = {
        "iss": account.client_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(now),
        "origins": [],
        "payload": payload,
        **claims,
    }
    token = jwt.encode(
        body, account.private_key_pem, algorithm="RS256", headers={"kid": account.private_key_id}
    )
    return "https://pay.google.com/gp/v/save/" + token


def body(reply: Reply) -> Any:
    return json.loads(reply.body)


def _raw(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()
