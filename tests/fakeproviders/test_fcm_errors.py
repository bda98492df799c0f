from __future__ import annotations

import json

import pytest

from fakeproviders.fcm import errors
from fakeproviders.fcm.errors import FcmErrorCode, FieldViolation


@pytest.mark.parametrize(
    ("code", "http", "status"),
    [
        (FcmErrorCode.INVALID_ARGUMENT, 400, "INVALID_ARGUMENT"),
        (FcmErrorCode.UNREGISTERED, 404, "NOT_FOUND"),
        (FcmErrorCode.SENDER_ID_MISMATCH, 403, "PERMISSION_DENIED"),
        (FcmErrorCode.QUOTA_EXCEEDED, 429, "RESOURCE_EXHAUSTED"),
        (FcmErrorCode.UNAVAILABLE, 503, "UNAVAILABLE"),
        (FcmErrorCode.INTERNAL, 500, "INTERNAL"),
        (FcmErrorCode.THIRD_PARTY_AUTH_ERROR, 401, "UNAUTHENTICATED"),
    ],
)
def test_error_codes_map_to_http_and_rpc_status(code: FcmErrorCode, http: int, status: str) -> None:
    """Each FcmError code has the HTTP status and google.rpc status of reference §2.2."""
    assert (code.wire, code.http_status, code.rpc_status) == (code.name, http, status)


def test_unregistered_body_is_exactly_googles() -> None:
    """UNREGISTERED renders as the 404 body of reference §2.1."""
    response = errors.fcm_error(FcmErrorCode.UNREGISTERED)
    assert response.status == 404
    assert response.reason == "UNREGISTERED"
    assert json.loads(response.content()) == {
        "error": {
            "code": 404,
            "message": "Requested entity was not found.",
            "status": "NOT_FOUND",
            "details": [
                {
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": "UNREGISTERED",
                }
            ],
        }
    }


def test_bad_request_detail_comes_before_fcm_error() -> None:
    """With a BadRequest detail, it is details[0] and the FcmError second (reference §2.3)."""
    response = errors.fcm_error(
        FcmErrorCode.INVALID_ARGUMENT, "x", violations=[FieldViolation("message", "x")]
    )
    details = response.body["error"]["details"]
    assert [d["@type"].rsplit(".", 1)[1] for d in details] == ["BadRequest", "FcmError"]
    assert details[0]["fieldViolations"] == [{"field": "message", "description": "x"}]


def test_empty_bad_request_has_no_field_violations() -> None:
    """An empty BadRequest detail (as in "too big") carries only its @type."""
    response = errors.fcm_error(FcmErrorCode.INVALID_ARGUMENT, "x", violations=[])
    assert response.body["error"]["details"][0] == {"@type": errors.BAD_REQUEST_TYPE}


def test_json_level_errors_carry_only_bad_request() -> None:
    """Unknown-name errors have a BadRequest detail and no FcmError (reference §1.3)."""
    response = errors.unknown_field("x", "message")
    assert response.status == 400
    assert response.body["error"]["details"] == [
        {
            "@type": errors.BAD_REQUEST_TYPE,
            "fieldViolations": [
                {
                    "field": "message",
                    "description": 'Invalid JSON payload received. Unknown name "x" at '
                    "'message': Cannot find field.",
                }
            ],
        }
    ]


def test_expired_token_body() -> None:
    """An expired access token gets 401 with ErrorInfo ACCESS_TOKEN_EXPIRED (reference §2.4)."""
    body = errors.unauthenticated("expired").body["error"]
    assert body["code"] == 401 and body["status"] == "UNAUTHENTICATED"
    assert body["message"].startswith("Request had invalid authentication credentials.")
    assert body["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_TOKEN_EXPIRED",
            "domain": "googleapis.com",
            "metadata": {
                "method": "google.firebase.fcm.v1.FcmService.SendMessage",
                "service": "fcm.googleapis.com",
            },
        }
    ]


def test_missing_credentials_body() -> None:
    """No Authorization header gets 401 with ErrorInfo CREDENTIALS_MISSING (reference §2.4)."""
    body = errors.unauthenticated("missing").body["error"]
    assert body["message"].startswith("Request is missing required authentication credential.")
    assert body["details"][0]["reason"] == "CREDENTIALS_MISSING"


def test_invalid_token_body_has_no_details() -> None:
    """An unknown access token gets the expired text without details (reference §2.4)."""
    body = errors.unauthenticated("invalid").body["error"]
    assert body["message"] == errors.INVALID_CREDENTIALS_MESSAGE
    assert "details" not in body


def test_content_type_is_googles() -> None:
    """Error bodies are served as application/json; charset=UTF-8 (reference §2.1)."""
    assert errors.CONTENT_TYPE == "application/json; charset=UTF-8"
