"""Saving a pass from a "Save to Google Wallet" link: the JWT checks and what is inserted (§8)."""

from __future__ import annotations

import dataclasses

import pytest

from fakeproviders.fcm import ServiceAccount

from .gwallet_support import (
    ACCOUNT,
    BEARER,
    OBJECT_ID,
    OTHER_ISSUER,
    Harness,
    loyalty_class,
    loyalty_object,
    save_link,
)


@pytest.fixture
def wallet() -> Harness:
    return Harness()


def test_skinny_link_saves_an_inserted_object(wallet: Harness) -> None:
    """A JWT with only {"id"} saves an object inserted through the API."""
    wallet.card()
    outcome = wallet.api.save("pixel-1", save_link([{"id": OBJECT_ID}], wallet.clock.now()))
    assert outcome.error is None
    (saved,) = outcome.passes
    assert saved.object_id == OBJECT_ID
    assert saved.data["class"]["programName"] == "Coffee Club"
    assert wallet.api.holders.holding(OBJECT_ID) == {"pixel-1"}


def test_fat_link_inserts_class_and_object(wallet: Harness) -> None:
    """Whole classes and objects in the JWT are inserted when new."""
    link = save_link([loyalty_object()], wallet.clock.now(), classes=[loyalty_class()])
    assert wallet.api.save("pixel-1", link).error is None
    assert wallet.api.get("loyaltyObject", OBJECT_ID, BEARER).status == 200


def test_resaving_does_not_update_an_existing_object(wallet: Harness) -> None:
    """An object that exists is saved as it is; the JWT's copy is ignored [S-G4]."""
    wallet.card(points=10)
    link = save_link([loyalty_object(points=999)], wallet.clock.now())
    (saved,) = wallet.api.save("pixel-1", link).passes
    assert saved.data["object"]["loyaltyPoints"]["balance"] == {"int": 10}


def test_skinny_link_to_unknown_object_is_refused(wallet: Harness) -> None:
    """A skinny id that was never inserted saves nothing."""
    wallet.insert("loyaltyClass", loyalty_class())
    outcome = wallet.api.save("pixel-1", save_link([{"id": OBJECT_ID}], wallet.clock.now()))
    assert outcome.error == f"Wallet Object {OBJECT_ID} not found."
    assert wallet.api.holders.holding(OBJECT_ID) == set()


def test_invalid_object_in_link_saves_nothing(wallet: Harness) -> None:
    """One bad object refuses the whole link: its valid class is not inserted either."""
    bad = loyalty_object(state="SLEEPING")
    outcome = wallet.api.save(
        "pixel-1", save_link([bad], wallet.clock.now(), classes=[loyalty_class()])
    )
    assert outcome.error is not None
    assert wallet.api.get("loyaltyClass", loyalty_class()["id"], BEARER).status == 404


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "pay"}, 'aud must be "google"'),
        ({"typ": "JWT"}, 'typ must be "savetowallet"'),
        ({"iat": "yesterday"}, "iat is missing or in the future"),
        ({"exp": 1}, "expired"),
    ],
)
def test_bad_claims_are_refused(wallet: Harness, claims: dict[str, object], reason: str) -> None:
    """aud must be "google", typ "savetowallet", iat a past time, exp (if any) not passed."""
    wallet.card()
    link = save_link([{"id": OBJECT_ID}], wallet.clock.now(), **claims)
    error = wallet.api.save("pixel-1", link).error
    assert error is not None and reason in error


def test_link_signed_by_another_key_is_refused(wallet: Harness) -> None:
    """A JWT whose signature does not verify with the account's public key is refused."""
    wallet.card()
    impostor = ServiceAccount.generate("wallet-demo")
    forged = dataclasses.replace(
        impostor, client_email=ACCOUNT.client_email, private_key_id=ACCOUNT.private_key_id
    )
    link = save_link([{"id": OBJECT_ID}], wallet.clock.now(), account=forged)
    assert "does not verify" in str(wallet.api.save("pixel-1", link).error)


def test_link_with_another_kid_is_refused(wallet: Harness) -> None:
    """The header's kid, when present, must be the account's private_key_id."""
    wallet.card()
    forged = dataclasses.replace(ACCOUNT, private_key_id="0" * 40)
    link = save_link([{"id": OBJECT_ID}], wallet.clock.now(), account=forged)
    assert "not signed RS256" in str(wallet.api.save("pixel-1", link).error)


def test_unknown_issuer_account_is_refused(wallet: Harness) -> None:
    """A JWT from an account the fake does not know is refused."""
    wallet.card()
    link = save_link([{"id": OBJECT_ID}], wallet.clock.now(), iss="who@x.iam.gserviceaccount.com")
    assert "not a known service account" in str(wallet.api.save("pixel-1", link).error)


def test_other_issuers_objects_are_refused(wallet: Harness) -> None:
    """The account may save only its issuers' objects: Permission Denied."""
    link = save_link([loyalty_object(f"{OTHER_ISSUER}.x")], wallet.clock.now())
    assert wallet.api.save("pixel-1", link).error == "Permission Denied"


@pytest.mark.parametrize(
    "link",
    ["https://pay.google.com/gp/v/save/", "https://example.com/save/a.b.c", "not a jwt"],
)
def test_not_a_save_link(wallet: Harness, link: str) -> None:
    """Anything but pay.google.com/gp/v/save/<jwt> is refused, never a crash."""
    assert wallet.api.save("pixel-1", link).error is not None


def test_non_loyalty_payload_is_refused(wallet: Harness) -> None:
    """The fake keeps loyalty passes only and says so."""
    link = save_link([loyalty_object()], wallet.clock.now(), payload={"offerObjects": [{}]})
    assert "loyalty passes only" in str(wallet.api.save("pixel-1", link).error)


def test_save_is_on_the_timeline(wallet: Harness) -> None:
    """Saving records a WalletObjectChanged "save" with the holder count."""
    wallet.card()
    wallet.holder()
    saved = [e for e in wallet.events if getattr(e, "change", "") == "save"]
    assert [(e.object_id, e.holders) for e in saved] == [(OBJECT_ID, 1)]  # type: ignore[attr-defined]
