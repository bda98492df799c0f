"""FCM's error model: ``google.rpc.Status`` JSON bodies, exactly as Google renders them.

Every error the fake answers is an :class:`ErrorResponse` built here, so the wire shape lives in
one place (reference/fcm.md §2).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Google's error responses carry this exact content type (reference/fcm.md §2.1).
CONTENT_TYPE = "application/json; charset=UTF-8"

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
APNS_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.ApnsError"
QUOTA_FAILURE_TYPE = "type.googleapis.com/google.rpc.QuotaFailure"

_SEND_METHOD = "google.firebase.fcm.v1.FcmService.SendMessage"
_SERVICE = "fcm.googleapis.com"
_SEE = "See https://developers.google.com/identity/sign-in/web/devconsole-project."
#: reference/fcm.md §2.4: the 401 texts for an invalid/expired token and for a missing one.
INVALID_CREDENTIALS_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
    f"or other valid authentication credential. {_SEE}"
)
MISSING_CREDENTIALS_MESSAGE = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login "
    f"cookie or other valid authentication credential. {_SEE}"
)


class FakeFcmError(Exception):
    """The root of every exception raised by the fake FCM package."""


class FcmErrorCode(enum.Enum):
    """FCM's ``errorCode`` values with their HTTP status and ``google.rpc`` status.

    reference/fcm.md §2.2 (Google's ErrorCode page). The default messages are the ones seen in
    real responses where known; the others are Google's generic texts for the status [U].
    """

    UNSPECIFIED_ERROR = ("UNSPECIFIED_ERROR", 500, "UNKNOWN", "Unknown error.")
    INVALID_ARGUMENT = (
        "INVALID_ARGUMENT",
        400,
        "INVALID_ARGUMENT",
        "Request contains an invalid argument.",
    )
    UNREGISTERED = ("UNREGISTERED", 404, "NOT_FOUND", "Requested entity was not found.")
    SENDER_ID_MISMATCH = ("SENDER_ID_MISMATCH", 403, "PERMISSION_DENIED", "SenderId mismatch")
    QUOTA_EXCEEDED = (
        "QUOTA_EXCEEDED",
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for sending messages.",
    )
    UNAVAILABLE = ("UNAVAILABLE", 503, "UNAVAILABLE", "The service is currently unavailable.")
    INTERNAL = ("INTERNAL", 500, "INTERNAL", "Internal error encountered.")
    THIRD_PARTY_AUTH_ERROR = (
        "THIRD_PARTY_AUTH_ERROR",
        401,
        "UNAUTHENTICATED",
        "Auth error from APNS or Web Push Service",
    )

    def __init__(self, wire: str, http_status: int, rpc_status: str, default_message: str):
        self.wire = wire
        self.http_status = http_status
        self.rpc_status = rpc_status
        self.default_message = default_message


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One entry of a ``google.rpc.BadRequest`` detail."""

    field: str | None
    description: str

    def to_json(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.field is not None:
            out["field"] = self.field
        out["description"] = self.description
        return out


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    """An HTTP error answer: status, ``google.rpc.Status`` JSON body, and the timeline reason."""

    status: int
    body: Mapping[str, Any]
    reason: str
    """The FCM ``errorCode`` if the body has one, else the ErrorInfo reason, else the rpc status."""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return str(self.body["error"]["message"])

    def content(self) -> bytes:
        """The body as Google sends it (pretty-printed JSON)."""
        return json.dumps(self.body, indent=2).encode()


def status_body(
    code: int, message: str, status: str, details: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """A ``google.rpc.Status`` JSON body; ``details`` is omitted when empty, as Google does."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = [dict(d) for d in details]
    return {"error": error}


def fcm_error_detail(code: FcmErrorCode) -> dict[str, str]:
    return {"@type": FCM_ERROR_TYPE, "errorCode": code.wire}


def bad_request_detail(violations: Sequence[FieldViolation]) -> dict[str, Any]:
    detail: dict[str, Any] = {"@type": BAD_REQUEST_TYPE}
    if violations:
        detail["fieldViolations"] = [v.to_json() for v in violations]
    return detail


def fcm_error(
    code: FcmErrorCode,
    message: str | None = None,
    *,
    violations: Sequence[FieldViolation] | None = None,
    extra_details: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> ErrorResponse:
    """An error carrying an FcmError detail.

    Detail order matters to clients that read ``details[0]`` (reference/fcm.md §2.3): the FcmError
    comes first, unless a BadRequest is present (``violations`` not None, possibly empty), which
    then comes first.
    """
    details: list[Mapping[str, Any]] = []
    if violations is not None:
        details.append(bad_request_detail(violations))
    details.append(fcm_error_detail(code))
    details.extend(extra_details)
    body = status_body(code.http_status, message or code.default_message, code.rpc_status, details)
    return ErrorResponse(code.http_status, body, code.wire, dict(headers or {}))


def bad_request(message: str, field: str | None = None) -> ErrorResponse:
    """A JSON-level error: 400 INVALID_ARGUMENT with only a BadRequest detail (no FcmError).

    This is how Google's front end rejects payloads it cannot map onto the proto (unknown
    names, wrong JSON types, unparsable JSON; reference/fcm.md §1.3).
    """
    body = status_body(
        400,
        message,
        "INVALID_ARGUMENT",
        [bad_request_detail([FieldViolation(field, message)])],
    )
    return ErrorResponse(400, body, "INVALID_ARGUMENT")


def invalid_json(raw: bytes) -> ErrorResponse:
    """The answer to a body that is not JSON at all."""
    snippet = raw[:64].decode("utf-8", errors="replace").splitlines()
    first = snippet[0] if snippet else ""
    # Google echoes the offending text and points at it with a caret [U exact layout].
    return bad_request(f"Invalid JSON payload received. Unexpected token.\n{first}\n^")


def unknown_field(name: str, at: str) -> ErrorResponse:
    """reference/fcm.md §1.3: an unknown JSON field name."""
    where = f" at '{at}'" if at else ""
    return bad_request(
        f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find field.',
        at or None,
    )


def _error_info(reason: str, domain: str, metadata: Mapping[str, str]) -> dict[str, Any]:
    return {"@type": ERROR_INFO_TYPE, "reason": reason, "domain": domain, "metadata": metadata}


def unauthenticated(kind: str) -> ErrorResponse:
    """The 401 bodies of reference/fcm.md §2.4 for ``kind`` = expired | missing | invalid."""
    metadata = {"method": _SEND_METHOD, "service": _SERVICE}
    if kind == "expired":
        details = [_error_info("ACCESS_TOKEN_EXPIRED", "googleapis.com", metadata)]
        body = status_body(401, INVALID_CREDENTIALS_MESSAGE, "UNAUTHENTICATED", details)
        return ErrorResponse(401, body, "ACCESS_TOKEN_EXPIRED", _www_authenticate())
    if kind == "missing":
        details = [_error_info("CREDENTIALS_MISSING", "googleapis.com", metadata)]
        body = status_body(401, MISSING_CREDENTIALS_MESSAGE, "UNAUTHENTICATED", details)
        return ErrorResponse(401, body, "CREDENTIALS_MISSING", _www_authenticate())
    if kind == "invalid":
        body = status_body(401, INVALID_CREDENTIALS_MESSAGE, "UNAUTHENTICATED")
        return ErrorResponse(401, body, "UNAUTHENTICATED", _www_authenticate())
    raise ValueError(f"not an authentication failure: {kind!r}")


def _www_authenticate() -> dict[str, str]:
    # Google's 401s carry a Bearer challenge, as RFC 6750 §3 asks [U exact value].
    return {"www-authenticate": 'Bearer realm="https://accounts.google.com/"'}


def insufficient_scopes() -> ErrorResponse:
    """403 for a valid access token whose scopes do not cover FCM [U exact details]."""
    details = [
        _error_info(
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "googleapis.com",
            {"method": _SEND_METHOD, "service": _SERVICE},
        )
    ]
    body = status_body(
        403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED", details
    )
    return ErrorResponse(403, body, "ACCESS_TOKEN_SCOPE_INSUFFICIENT")


def project_permission_denied(
    project: str, permission: str = "cloudmessaging.messages.create"
) -> ErrorResponse:
    """403 for a project the credentials cannot send to (reference/fcm.md §2.4, IAM denial).

    Google answers an unknown project and a project of someone else alike, with 403 (never
    404), so that project names cannot be probed [U details block].
    """
    message = (
        f"Permission '{permission}' denied on resource "
        f"'//cloudresourcemanager.googleapis.com/projects/{project}' (or it may not exist)."
    )
    details = [
        _error_info(
            "IAM_PERMISSION_DENIED",
            "cloudresourcemanager.googleapis.com",
            {"permission": permission, "resource": f"projects/{project}"},
        )
    ]
    body = status_body(403, message, "PERMISSION_DENIED", details)
    return ErrorResponse(403, body, "PERMISSION_DENIED")


def apns_error_detail(status_code: int, reason: str) -> dict[str, Any]:
    """reference/fcm.md §2.1: what APNs answered FCM, relayed as ``ApnsError``."""
    return {"@type": APNS_ERROR_TYPE, "statusCode": status_code, "reason": reason}


def third_party_auth_error(apns_reason: str = "InvalidProviderToken") -> ErrorResponse:
    """reference/fcm.md §2.3: the project has no (valid) APNs key: 401, FcmError then ApnsError."""
    return fcm_error(
        FcmErrorCode.THIRD_PARTY_AUTH_ERROR,
        extra_details=[apns_error_detail(403, apns_reason)],
    )


def quota_failure_detail(subject: str, description: str) -> dict[str, Any]:
    """A ``google.rpc.QuotaFailure`` detail (reference/fcm.md §2.2; FCM's exact one is [U])."""
    return {
        "@type": QUOTA_FAILURE_TYPE,
        "violations": [{"subject": subject, "description": description}],
    }


#: The errorCode an injected fault gets when it names only an HTTP status (reference §2.2).
_CODE_FOR_STATUS = {code.http_status: code for code in FcmErrorCode if code.http_status != 500}
_CODE_FOR_STATUS[500] = FcmErrorCode.INTERNAL
#: google.rpc status names of HTTP statuses FCM does not map to an errorCode.
_RPC_STATUS = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL",
    501: "NOT_IMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}  # fmt: skip


def injected(status: int, reason: str | None, retry_after: int | None = None) -> ErrorResponse:
    """The answer to an injected fault, in Google's shape for its errorCode (reference §2.2).

    ``reason`` is an FcmError ``errorCode`` (``QUOTA_EXCEEDED``…) or one of the 401 ErrorInfo
    reasons (``ACCESS_TOKEN_EXPIRED``, ``CREDENTIALS_MISSING``); when None, the errorCode that
    goes with ``status``. ``retry_after`` becomes an integer ``Retry-After`` header (§2.4).
    """
    headers = {"retry-after": str(int(retry_after))} if retry_after is not None else {}
    if reason in ("ACCESS_TOKEN_EXPIRED", "CREDENTIALS_MISSING"):
        base = unauthenticated("expired" if reason == "ACCESS_TOKEN_EXPIRED" else "missing")
        return ErrorResponse(base.status, base.body, base.reason, {**base.headers, **headers})
    if reason is None and status == 401:
        base = unauthenticated("invalid")
        return ErrorResponse(401, base.body, base.reason, {**base.headers, **headers})
    code = FcmErrorCode.__members__.get(reason or "") or _CODE_FOR_STATUS.get(status)
    if code is None:
        rpc = _RPC_STATUS.get(status, "UNKNOWN")
        details = [{"@type": FCM_ERROR_TYPE, "errorCode": reason}] if reason else []
        body = status_body(status, f"Injected fault: {reason or status}", rpc, details)
        return ErrorResponse(status, body, reason or rpc, headers)
    extra: list[Mapping[str, Any]] = []
    if code is FcmErrorCode.QUOTA_EXCEEDED:
        extra.append(quota_failure_detail("messages", "Message rate quota exceeded."))
    elif code is FcmErrorCode.THIRD_PARTY_AUTH_ERROR:
        extra.append(apns_error_detail(403, "InvalidProviderToken"))
    response = fcm_error(code, extra_details=extra, headers=headers)
    if status != code.http_status:  # the fault's status wins over the errorCode's usual one
        body = dict(response.body)
        body["error"] = {**body["error"], "code": status}
        response = ErrorResponse(status, body, response.reason, response.headers)
    return response


def internal_error() -> ErrorResponse:
    """Google's generic 500, used when the fake itself fails; never a traceback."""
    body = status_body(500, "Internal error encountered.", "INTERNAL")
    return ErrorResponse(500, body, "INTERNAL")


def not_found_html(path: str) -> tuple[int, str]:
    """Google front ends answer unknown paths (and the retired legacy ``/fcm/send``) with an HTML
    404 page (reference/fcm.md §1.1)."""
    page = (
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
        "  <title>Error 404 (Not Found)!!1</title>\n"
        "  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n"
        f"  <p>The requested URL <code>{_html_escape(path)}</code> was not found on this server."
        "  <ins>That\u2019s all we know.</ins>\n"
    )
    return 404, page


def too_large_html() -> tuple[int, str]:
    """A request body over the front end's limit: Google's HTML 413 page (the limit itself is
    undocumented [U]; ``FcmOptions.max_body_bytes``)."""
    page = (
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
        "  <title>Error 413 (Request Entity Too Large)!!1</title>\n"
        "  <p><b>413.</b> <ins>That\u2019s an error.</ins>\n"
        "  <p>Your client issued a request that was too large.  <ins>That\u2019s all we know.</ins>\n"
    )
    return 413, page


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
