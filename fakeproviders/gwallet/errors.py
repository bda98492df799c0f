"""The Wallet API's error bodies, as Google's discovery-style APIs render them.

``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}``
(reference/wallet.md §6). The quota answer is copied in shape from a real response [S-G1], which
has no ``status``; the example messages of Google's error-code page are used where it has one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fakeproviders.fcm.errors import INVALID_CREDENTIALS_MESSAGE, MISSING_CREDENTIALS_MESSAGE

#: Google's JSON error answers carry this content type (as FCM's do, reference/fcm.md §2.1).
CONTENT_TYPE = "application/json; charset=UTF-8"


class FakeWalletError(Exception):
    """The root of every exception raised by the fake Google Wallet package."""


@dataclass(frozen=True, slots=True)
class WalletError:
    """An HTTP error answer of the Wallet API: status, JSON body, and the timeline reason."""

    status: int
    message: str
    reason: str
    """The ``errors[].reason``: ``notFound``, ``duplicate``, ``quotaExceeded``…"""
    rpc_status: str | None
    """The ``google.rpc`` status name; None where the real body has none (the quota answer)."""
    domain: str = "global"
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    """More keys of the ``errors[]`` entry (``location``, ``locationType`` for auth)."""

    def body(self) -> dict[str, Any]:
        entry = {"message": self.message, "domain": self.domain, "reason": self.reason}
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "errors": [{**entry, **self.extra}],
        }
        if self.rpc_status is not None:
            error["status"] = self.rpc_status
        return {"error": error}

    def content(self) -> bytes:
        """The body as Google sends it (pretty-printed JSON)."""
        return json.dumps(self.body(), indent=2).encode()


def invalid_argument(detail: str) -> WalletError:
    """400 for a malformed request (error-code page: "Request contains an invalid argument.")."""
    return WalletError(
        400, f"Request contains an invalid argument. {detail}".strip(), "badRequest",
        "INVALID_ARGUMENT",
    )  # fmt: skip


def invalid_resource_id(resource_id: str) -> WalletError:
    # Google's example: "Invalid resource ID: {1234567891234567899 - ABCD1234567}." [U braces].
    return invalid_argument(f"Invalid resource ID: {resource_id}.")


def invalid_json(raw: bytes) -> WalletError:
    """400 for a body that is not a JSON object [U exact text]."""
    preview = raw[:40].decode("utf-8", "replace")
    return WalletError(
        400, f'Invalid JSON payload received. Unexpected token.\n{preview}', "parseError",
        "INVALID_ARGUMENT",
    )  # fmt: skip


def object_not_found(object_id: str) -> WalletError:
    """404 NotFoundException (error-code page example)."""
    return WalletError(
        404, f"Wallet Object {object_id} not found.", "resourceNotFound", "NOT_FOUND"
    )


def class_not_found(class_id: str) -> WalletError:
    """404 IssuerClassNotFoundException (error-code page example)."""
    return WalletError(
        404, f"Wallet Object Class {class_id} not found.", "classNotFound", "NOT_FOUND"
    )


def already_exists(kind: str, resource_id: str) -> WalletError:
    """409 AlreadyExistsException: ``kind`` is ``"Object"`` or ``"Object Class"``."""
    return WalletError(
        409, f"Wallet {kind} {resource_id} already exists.", "duplicate", "ALREADY_EXISTS"
    )


def permission_denied() -> WalletError:
    """403 PermissionDeniedException: the account is not a user of the issuer."""
    return WalletError(403, "Permission Denied", "permissionDenied", "PERMISSION_DENIED")


def quota_exceeded(issuer_id: str, what: str) -> WalletError:
    """403 for a fourth notifying message or update within 24 h (reference/wallet.md §7) [S-G1]."""
    return WalletError(
        403,
        f"Quota exceeded for issuer ({issuer_id}) when {what}.",
        "quotaExceeded",
        None,
        domain="walletobjects",
    )


def unauthenticated(missing: bool) -> WalletError:
    """401 for a missing, unknown or expired bearer token [U errors[] entry]."""
    return WalletError(
        401,
        MISSING_CREDENTIALS_MESSAGE if missing else INVALID_CREDENTIALS_MESSAGE,
        "required" if missing else "authError",
        "UNAUTHENTICATED",
        headers={"www-authenticate": 'Bearer realm="https://accounts.google.com/"'},
        extra={"location": "Authorization", "locationType": "header"},
    )


def insufficient_scopes() -> WalletError:
    """403 for a token without the ``wallet_object.issuer`` scope [U errors[] entry]."""
    return WalletError(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        "PERMISSION_DENIED",
    )


def rate_limited() -> WalletError:
    """429 over the 20 requests/s limit [U exact text]."""
    return WalletError(429, "Rate Limit Exceeded", "rateLimitExceeded", "RESOURCE_EXHAUSTED")


#: (reason, rpc status, message) for an injected fault's status, Google's usual texts [U].
_FAULTS = {
    400: ("badRequest", "INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("authError", "UNAUTHENTICATED", INVALID_CREDENTIALS_MESSAGE),
    403: ("permissionDenied", "PERMISSION_DENIED", "Permission Denied"),
    404: ("resourceNotFound", "NOT_FOUND", "Requested entity was not found."),
    409: ("duplicate", "ALREADY_EXISTS", "Requested entity already exists."),
    429: ("rateLimitExceeded", "RESOURCE_EXHAUSTED", "Rate Limit Exceeded"),
    500: ("backendError", "INTERNAL", "Internal error encountered."),
    503: ("backendError", "UNAVAILABLE", "The service is currently unavailable."),
}


def injected(status: int, reason: str | None, retry_after: int | None) -> WalletError:
    """The answer of an injected fault: Google's body for ``status``, with ``reason`` if given."""
    default_reason, rpc_status, message = _FAULTS.get(status, ("backendError", "UNKNOWN", "Error."))
    headers = {} if retry_after is None else {"retry-after": str(retry_after)}
    return WalletError(status, message, reason or default_reason, rpc_status, headers=headers)


def method_not_allowed() -> WalletError:
    """405 for a known path with a method it does not serve [U text]."""
    return WalletError(
        405, "Method not allowed for this resource.", "httpMethodNotAllowed", "UNIMPLEMENTED"
    )


def internal_error() -> WalletError:
    """Google's generic 500, used when the fake itself fails; never a traceback."""
    return WalletError(500, "Internal error encountered.", "backendError", "INTERNAL")
