"""What the fake FCM answers, request by request, without any HTTP framework (sans-IO).

:class:`FcmFrontEnd` chains the checks Google applies to ``messages:send`` — bearer token, body,
project, registration token — and turns the outcome into a :class:`Reply` and timeline events.
The FastAPI app only moves bytes in and out.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from fakeproviders.clock import Clock
from fakeproviders.events import Emit, NotificationAccepted, NotificationRejected
from fakeproviders.fcm import errors, oauth
from fakeproviders.fcm.errors import ErrorResponse, FcmErrorCode, FieldViolation
from fakeproviders.fcm.messages import SendRequest, parse_send_request
from fakeproviders.fcm.oauth import OAuthEndpoint, OAuthError
from fakeproviders.fcm.registry import FcmRegistry

#: reference/fcm.md §0.1: what a dry run answers instead of a real id.
DRY_RUN_ID = "fake_message_id"
#: reference/fcm.md §2.3, the text clients (fcm-v1-http2) match on.
INVALID_TOKEN_MESSAGE = "The registration token is not a valid FCM registration token"


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer: status, body and headers (``content-type`` included)."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: object, content_type: str = errors.CONTENT_TYPE) -> Reply:
        return cls(status, json.dumps(data, indent=2).encode(), {"content-type": content_type})

    @classmethod
    def error(cls, response: ErrorResponse) -> Reply:
        return cls(
            response.status,
            response.content(),
            {"content-type": errors.CONTENT_TYPE, **response.headers},
        )


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request the fake served, for inspection by tests and the control API."""

    at: float
    method: str
    path: str
    http_version: str
    status: int
    request_body: bytes
    response_body: bytes


class RequestLog:
    """The requests served, in order (an in-memory list; a shared store can replace it)."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        self._entries.append(entry)

    def clear(self) -> None:
        self._entries.clear()

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> LoggedRequest:
        return self._entries[index]


def digit_ids() -> Callable[[], str]:
    """Unique all-digit message ids like ``1717673451795380`` (reference/fcm.md §1.1)."""
    counter = itertools.count(10**15 + secrets.randbelow(8 * 10**15))
    return lambda: str(next(counter))


class FcmFrontEnd:
    """The token endpoint and ``messages:send`` of one project."""

    def __init__(
        self,
        *,
        clock: Clock,
        oauth_endpoint: OAuthEndpoint,
        registry: FcmRegistry,
        project_id: str,
        emit: Emit,
        message_ids: Callable[[], str] | None = None,
    ) -> None:
        self._clock = clock
        self._oauth = oauth_endpoint
        self._registry = registry
        self._project_id = project_id
        self._emit = emit
        self._next_id = message_ids or digit_ids()

    def token(self, raw_form: bytes) -> Reply:
        """``POST /token``: the OAuth2 JWT-bearer grant (reference/fcm.md §3)."""
        form = dict(parse_qsl(raw_form.decode("utf-8", errors="replace"), keep_blank_values=True))
        outcome = self._oauth.grant(form)
        status = outcome.status if isinstance(outcome, OAuthError) else 200
        return Reply.json(status, outcome.body(), oauth.CONTENT_TYPE)

    def send(self, project: str, authorization: str | None, raw_body: bytes) -> Reply:
        """``POST /v1/projects/{project}/messages:send``."""
        problem = self._oauth.check_bearer(authorization).error()
        if problem is not None:
            return self._reject(problem, None)
        decision = parse_send_request(raw_body)
        if isinstance(decision, ErrorResponse):
            return self._reject(decision, None)
        if project != self._project_id:
            return self._reject(errors.project_permission_denied(project), None)
        if decision.target_kind == "token":
            return self._send_to_token(project, decision)
        if decision.target_kind == "fid":
            # reference/fcm.md §0.3: an unknown (even malformed) FID is UNREGISTERED. The fake
            # issues no FIDs yet, so every FID is unknown.
            return self._reject(errors.fcm_error(FcmErrorCode.UNREGISTERED), None)
        # A topic or condition with no subscribers is accepted (reference/fcm.md §1.3); topic
        # subscriptions and fan-out are a later issue, so nothing is delivered.
        return Reply.json(200, {"name": self._message_name(project, decision)})

    def _send_to_token(self, project: str, decision: SendRequest) -> Reply:
        token = decision.target
        if not self._registry.is_well_formed(token):
            # reference/fcm.md §2.3: FcmError only, no BadRequest.
            error = errors.fcm_error(FcmErrorCode.INVALID_ARGUMENT, INVALID_TOKEN_MESSAGE)
            return self._reject(error, token)
        registration = self._registry.lookup(token)
        if registration is None or not registration.active:
            # reference/fcm.md §2.1: unknown, uninstalled and expired tokens look the same.
            return self._reject(errors.fcm_error(FcmErrorCode.UNREGISTERED), token)
        package = decision.restricted_package_name
        if package is not None and package != registration.app_id:
            # reference/fcm.md §1.3: package-name mismatch is INVALID_ARGUMENT [U exact text].
            field_name = "message.android.restricted_package_name"
            text = f"Invalid package name: {package}"
            error = errors.fcm_error(
                FcmErrorCode.INVALID_ARGUMENT, text, violations=[FieldViolation(field_name, text)]
            )
            return self._reject(error, token)
        name = self._message_name(project, decision)
        if not decision.validate_only:
            self._emit(
                NotificationAccepted(
                    at=self._clock.now(),
                    provider="fcm",
                    push_id=name,
                    token=token,
                    app_id=registration.app_id,
                    phone_id=registration.phone_id,
                )
            )
            self._registry.deliver(
                token, name, decision.delivery_headers(), decision.delivery_payload()
            )
        return Reply.json(200, {"name": name})

    def _message_name(self, project: str, decision: SendRequest) -> str:
        message_id = DRY_RUN_ID if decision.validate_only else self._next_id()
        return f"projects/{project}/messages/{message_id}"

    def _reject(self, error: ErrorResponse, token: str | None) -> Reply:
        self._emit(
            NotificationRejected(
                at=self._clock.now(),
                provider="fcm",
                push_id="",
                token=token,
                status=error.status,
                reason=error.reason,
            )
        )
        return Reply.error(error)
