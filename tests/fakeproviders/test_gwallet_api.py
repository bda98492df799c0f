"""The fake Wallet API's REST calls: each call's success and its errors, in Google's words."""

from __future__ import annotations

import json

import pytest

from fakeproviders.gwallet import WalletObjectChanged

from .gwallet_support import (
    BEARER,
    CLASS_ID,
    ISSUER,
    OBJECT_ID,
    OTHER_ISSUER,
    Harness,
    body,
    loyalty_class,
    loyalty_object,
)


@pytest.fixture
def wallet() -> Harness:
    return Harness()


def test_insert_class_answers_the_resource(wallet: Harness) -> None:
    """loyaltyClass.insert answers 200 with the class and its kind."""
    reply = wallet.insert("loyaltyClass", loyalty_class())
    assert reply.status == 200
    assert body(reply) == {"kind": "walletobjects#loyaltyClass", **loyalty_class()}


def test_insert_existing_class_is_409(wallet: Harness) -> None:
    """Inserting an existing id is 409 AlreadyExists with Google's example message."""
    wallet.insert("loyaltyClass", loyalty_class())
    reply = wallet.insert("loyaltyClass", loyalty_class())
    assert reply.status == 409
    assert body(reply) == {
        "error": {
            "code": 409,
            "message": f"Wallet Object Class {CLASS_ID} already exists.",
            "errors": [
                {
                    "message": f"Wallet Object Class {CLASS_ID} already exists.",
                    "domain": "global",
                    "reason": "duplicate",
                }
            ],
            "status": "ALREADY_EXISTS",
        }
    }


@pytest.mark.parametrize(
    ("missing", "text"),
    [
        ("issuerName", "issuerName is required."),
        ("programName", "programName is required."),
        ("programLogo", "programLogo.sourceUri.uri is required."),
        ("reviewStatus", "reviewStatus is required."),
    ],
)
def test_class_required_fields(wallet: Harness, missing: str, text: str) -> None:
    """A class without one of its required fields is 400 INVALID_ARGUMENT naming it (§6)."""
    resource = loyalty_class()
    del resource[missing]
    reply = wallet.insert("loyaltyClass", resource)
    assert reply.status == 400
    assert body(reply)["error"]["status"] == "INVALID_ARGUMENT"
    assert text in body(reply)["error"]["message"]


def test_class_cannot_be_inserted_approved(wallet: Harness) -> None:
    """reviewStatus APPROVED is Google's to give: an insert may say draft or underReview."""
    reply = wallet.insert("loyaltyClass", loyalty_class(reviewStatus="APPROVED"))
    assert reply.status == 400


@pytest.mark.parametrize("bad_id", ["gold", "abc.gold", f"{ISSUER}.", f"{ISSUER}.gold card"])
def test_invalid_resource_id_is_400(wallet: Harness, bad_id: str) -> None:
    """Ids are <issuerId>.<[A-Za-z0-9._-]+>; anything else is 400 "Invalid resource ID"."""
    reply = wallet.insert("loyaltyClass", loyalty_class(bad_id))
    assert reply.status == 400
    assert f"Invalid resource ID: {bad_id}." in body(reply)["error"]["message"]


def test_missing_token_is_401(wallet: Harness) -> None:
    """No Authorization header: 401 UNAUTHENTICATED with a Bearer challenge."""
    reply = wallet.insert("loyaltyClass", loyalty_class(), auth=None)
    assert reply.status == 401
    assert body(reply)["error"]["status"] == "UNAUTHENTICATED"
    assert reply.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401(wallet: Harness) -> None:
    """A token past its hour on the injected clock is 401."""
    assert wallet.insert("loyaltyClass", loyalty_class(), auth="Bearer ya29.hour").status == 200
    wallet.clock.advance(3600)
    reply = wallet.insert("loyaltyClass", loyalty_class(f"{ISSUER}.x"), auth="Bearer ya29.hour")
    assert reply.status == 401


def test_fcm_scope_is_not_enough(wallet: Harness) -> None:
    """A token without the wallet_object.issuer scope is 403 insufficient scopes."""
    reply = wallet.insert("loyaltyClass", loyalty_class(), auth="Bearer ya29.fcm")
    assert reply.status == 403
    assert body(reply)["error"]["message"] == "Request had insufficient authentication scopes."


def test_account_must_be_a_user_of_the_issuer(wallet: Harness) -> None:
    """Another issuer's ids, or an account not on the issuer's users, are 403 Permission Denied."""
    stranger = wallet.insert("loyaltyClass", loyalty_class(), auth="Bearer ya29.stranger")
    other = wallet.insert("loyaltyClass", loyalty_class(f"{OTHER_ISSUER}.gold"))
    for reply in (stranger, other):
        assert reply.status == 403
        assert body(reply)["error"]["message"] == "Permission Denied"


def test_not_json_is_400(wallet: Harness) -> None:
    """A body that is not JSON is 400 INVALID_ARGUMENT."""
    reply = wallet.insert("loyaltyClass", b"{not json")
    assert reply.status == 400
    assert body(reply)["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    "extra",
    [b"NaN", b'"\\ud800"', b'{"a":' * 100 + b"1" + b"}" * 100, b"[" * 100_000],
    ids=["nan", "lone-surrogate", "nested-100", "nested-100k"],
)
def test_what_strict_json_parsers_refuse_is_400(wallet: Harness, extra: bytes) -> None:
    """NaN, a lone surrogate or nesting past strict_json.MAX_DEPTH in a body is 400
    INVALID_ARGUMENT (never a 500 from a RecursionError), and nothing is stored."""
    wallet.insert("loyaltyClass", loyalty_class())
    raw = json.dumps(loyalty_object()).encode()[:-1] + b', "extra": ' + extra + b"}"
    reply = wallet.insert("loyaltyObject", raw)
    assert reply.status == 400
    assert body(reply)["error"]["status"] == "INVALID_ARGUMENT"
    assert not wallet.api.store.exists("loyaltyObject", OBJECT_ID)


def test_insert_object(wallet: Harness) -> None:
    """loyaltyObject.insert answers 200 with the object; an event records it."""
    wallet.insert("loyaltyClass", loyalty_class())
    reply = wallet.insert("loyaltyObject", loyalty_object())
    assert reply.status == 200
    assert body(reply)["kind"] == "walletobjects#loyaltyObject"
    assert [e.change for e in wallet.events if isinstance(e, WalletObjectChanged)] == ["insert"]


def test_object_of_unknown_class_is_404(wallet: Harness) -> None:
    """An object's classId must exist: 404 with Google's class-not-found message."""
    reply = wallet.insert("loyaltyObject", loyalty_object())
    assert reply.status == 404
    assert body(reply)["error"]["message"] == f"Wallet Object Class {CLASS_ID} not found."


def test_object_needs_a_state(wallet: Harness) -> None:
    """state is required (an option: require_state)."""
    wallet.insert("loyaltyClass", loyalty_class())
    resource = loyalty_object()
    del resource["state"]
    assert wallet.insert("loyaltyObject", resource).status == 400
    relaxed = Harness(require_state=False)
    relaxed.insert("loyaltyClass", loyalty_class())
    assert relaxed.insert("loyaltyObject", resource).status == 200


@pytest.mark.parametrize(
    "balance",
    [{}, {"int": 1, "string": "1"}, {"int": "ten"}, {"int": 2**40}, {"double": "x"}, {"money": 5}],
)
def test_points_balance_holds_exactly_one_valid_value(wallet: Harness, balance: object) -> None:
    """loyaltyPoints.balance sets exactly one of string/int/double/money, of the right type."""
    wallet.insert("loyaltyClass", loyalty_class())
    resource = loyalty_object()
    resource["loyaltyPoints"]["balance"] = balance
    assert wallet.insert("loyaltyObject", resource).status == 400


def test_get_object_and_404(wallet: Harness) -> None:
    """get answers the stored object; an unknown id is 404 "Wallet Object <id> not found."."""
    wallet.card()
    found = wallet.api.get("loyaltyObject", OBJECT_ID, BEARER)
    assert body(found)["loyaltyPoints"]["balance"] == {"int": 10}
    missing = wallet.api.get("loyaltyObject", f"{ISSUER}.bob", BEARER)
    assert missing.status == 404
    assert body(missing)["error"] == {
        "code": 404,
        "message": f"Wallet Object {ISSUER}.bob not found.",
        "errors": [
            {
                "message": f"Wallet Object {ISSUER}.bob not found.",
                "domain": "global",
                "reason": "resourceNotFound",
            }
        ],
        "status": "NOT_FOUND",
    }


def test_get_class_404(wallet: Harness) -> None:
    """An unknown class is 404 IssuerClassNotFound."""
    reply = wallet.api.get("loyaltyClass", CLASS_ID, BEARER)
    assert reply.status == 404
    assert body(reply)["error"]["message"] == f"Wallet Object Class {CLASS_ID} not found."


def test_patch_merges_nested_fields(wallet: Harness) -> None:
    """PATCH merges objects field by field: the balance changes, the label stays."""
    wallet.card()
    reply = wallet.patch(OBJECT_ID, {"loyaltyPoints": {"balance": {"int": 25}}})
    assert reply.status == 200
    assert body(reply)["loyaltyPoints"] == {"label": "Points", "balance": {"int": 25}}


def test_put_replaces_the_object(wallet: Harness) -> None:
    """PUT replaces the whole resource: fields it leaves out are gone."""
    wallet.card()
    replacement = loyalty_object(points=3)
    del replacement["accountId"]
    raw = __import__("json").dumps(replacement).encode()
    reply = wallet.api.update("loyaltyObject", OBJECT_ID, BEARER, raw, patch=False)
    assert reply.status == 200
    assert "accountId" not in body(reply)


def test_patch_unknown_object_is_404(wallet: Harness) -> None:
    """PATCH of an object never inserted is 404."""
    wallet.insert("loyaltyClass", loyalty_class())
    assert wallet.patch(OBJECT_ID, {"state": "INACTIVE"}).status == 404


def test_patch_cannot_change_the_id(wallet: Harness) -> None:
    """A body naming another id than the URL is 400."""
    wallet.card()
    assert wallet.patch(OBJECT_ID, {"id": f"{ISSUER}.bob"}).status == 400


def test_patch_with_invalid_result_is_400_and_changes_nothing(wallet: Harness) -> None:
    """A PATCH that would make the object invalid is refused whole."""
    wallet.card()
    assert wallet.patch(OBJECT_ID, {"state": "SLEEPING"}).status == 400
    assert body(wallet.api.get("loyaltyObject", OBJECT_ID, BEARER))["state"] == "ACTIVE"


def test_notify_preference_is_never_stored(wallet: Harness) -> None:
    """notifyPreference is ephemeral: judged per request, absent from the stored object (§7)."""
    wallet.card()
    wallet.patch(OBJECT_ID, {"notifyPreference": "NOTIFY_ON_UPDATE", "state": "ACTIVE"})
    assert "notifyPreference" not in body(wallet.api.get("loyaltyObject", OBJECT_ID, BEARER))


def test_list_objects_of_a_class(wallet: Harness) -> None:
    """GET /loyaltyObject?classId= lists the class's objects with a pagination block."""
    wallet.card()
    reply = wallet.api.list_resources("loyaltyObject", BEARER, {"classId": CLASS_ID})
    assert [r["id"] for r in body(reply)["resources"]] == [OBJECT_ID]
    assert body(reply)["pagination"]["resultsPerPage"] == 1


def test_list_classes_needs_issuer_id(wallet: Harness) -> None:
    """GET /loyaltyClass lists by issuerId; without it the answer is 400."""
    wallet.card()
    listed = wallet.api.list_resources("loyaltyClass", BEARER, {"issuerId": ISSUER})
    assert [r["id"] for r in body(listed)["resources"]] == [CLASS_ID]
    assert wallet.api.list_resources("loyaltyClass", BEARER, {}).status == 400


def test_add_message_answers_the_resource(wallet: Harness) -> None:
    """addMessage adds to messages[] and answers {"resource": <object>}."""
    wallet.card()
    reply = wallet.message(messageType="TEXT")
    assert reply.status == 200
    resource = body(reply)["resource"]
    assert resource["messages"] == [{"header": "Hi", "body": "Coffee on us", "messageType": "TEXT"}]


def test_add_message_errors(wallet: Harness) -> None:
    """addMessage: unknown object 404, no message 400, an unknown messageType 400."""
    wallet.card()
    assert wallet.message(f"{ISSUER}.bob").status == 404
    empty = wallet.api.add_message("loyaltyObject", OBJECT_ID, BEARER, b"{}")
    assert empty.status == 400
    assert wallet.message(messageType="SHOUT").status == 400


def test_class_message_reaches_every_object(wallet: Harness) -> None:
    """A class's TEXT_AND_NOTIFY message notifies the holders of each of its objects."""
    wallet.card()
    wallet.insert("loyaltyObject", loyalty_object(f"{ISSUER}.bob"))
    alice, bob = wallet.holder("p1"), wallet.holder("p2", f"{ISSUER}.bob")
    reply = wallet.message(CLASS_ID, kind="loyaltyClass", messageType="TEXT_AND_NOTIFY")
    assert reply.status == 200
    assert len(alice.notices) == len(bob.notices) == 1
