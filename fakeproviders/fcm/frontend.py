"""What the fake FCM answers to ``messages:send`` and the token endpoint (sans-IO).

:class:`FcmFrontEnd` chains the checks Google applies — injected faults, bearer token, body,
project, registration token — and turns the outcome into a :class:`Reply` and timeline events;
accepted messages are handed to the registry, fanned out for topics and conditions. The ASGI app
only moves bytes in and out.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from fakeproviders.clock import Clock
from fakeproviders.events import (
    Emit,
    NotificationAccepted,
    NotificationDiscarded,
    NotificationRejected,
)
from fakeproviders.faults import FaultInjector
from fakeproviders.fcm import errors, oauth
from fakeproviders.fcm.apns_relay import apns_delivery, explicit_high_priority_background
from fakeproviders.fcm.errors import ErrorResponse, FcmErrorCode, FieldViolation
from fakeproviders.fcm.inspection import LoggedRequest, RequestLog
from fakeproviders.fcm.messages import SendRequest, decode_body, validate_send_request
from fakeproviders.fcm.oauth import OAuthEndpoint, OAuthError
from fakeproviders.fcm.registry import FcmRegistry, Platform, Registration
from fakeproviders.fcm.reply import Reply

__all__ = ["DRY_RUN_ID", "FcmFrontEnd", "LoggedRequest", "Reply", "RequestLog", "digit_ids"]

#: reference/fcm.md §0.1: what a dry run answers instead of a real id.
DRY_RUN_ID = "fake_message_id"
#: reference/fcm.md §2.3, the text clients (fcm-v1-http2) match on.
INVALID_TOKEN_MESSAGE = "The registration token is not a valid FCM registration token"


def digit_ids() -> Callable[[], str]:
    """Unique all-digit message ids like ``1717673451795380`` (reference/fcm.md §1.1)."""
    counter = itertools.count(10**15 + secrets.randbelow(8 * 10**15))
    return lambda: str(next(counter))


def project_number_of(project_id: str) -> str:
    """A stable 12-digit project number for ``project_id`` (real ones look like 123456782354)."""
    digest = int.from_bytes(hashlib.sha256(project_id.encode()).digest()[:8], "big")
    return str(10**11 + digest % (9 * 10**11))


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
        faults: FaultInjector | None = None,
        allow_not_in_conditions: bool = False,
        project_number: str | None = None,
    ) -> None:
        self._clock = clock
        self._oauth = oauth_endpoint
        self._registry = registry
        self._project_id = project_id
        self.project_number = project_number or project_number_of(project_id)
        self._emit = emit
        self._next_id = message_ids or digit_ids()
        self.faults = faults if faults is not None else FaultInjector()
        self.allow_not_in_conditions = allow_not_in_conditions

    def owns(self, project: str) -> bool:
        """``projects/{id}`` and ``projects/{number}`` both name the project (§1.1)."""
        return project in (self._project_id, self.project_number)

    def token(self, raw_form: bytes) -> Reply:
        """``POST /token``: the OAuth2 JWT-bearer grant (reference/fcm.md §3)."""
        form = dict(parse_qsl(raw_form.decode("utf-8", errors="replace"), keep_blank_values=True))
        outcome = self._oauth.grant(form)
        if isinstance(outcome, OAuthError):
            return Reply.json(outcome.status, outcome.body(), oauth.CONTENT_TYPE,
                              reason=outcome.error)  # fmt: skip
        return Reply.json(200, outcome.body(), oauth.CONTENT_TYPE)

    def send(self, project: str, authorization: str | None, raw_body: bytes) -> Reply:
        """``POST /v1/projects/{project}/messages:send``."""
        body = decode_body(raw_body)
        token, topic, condition = _targets_of(body)
        target = {"token": token, "topic": topic, "condition": condition}
        # Faults come first: an overloaded or throttling front end answers before any check.
        fault = self.faults.pick(token=token, topic=topic, now=self._clock.now())
        if fault is not None and fault.status is not None:
            error = errors.injected(fault.status, fault.reason, fault.retry_after)
            reply = self._reject(error, target)
            return replace(reply, delay=fault.latency, fault_id=fault.fault_id)
        reply = self._send(project, authorization, body, target)
        if fault is not None:
            reply = replace(reply, delay=fault.latency, fault_id=fault.fault_id)
        return reply

    def _send(
        self, project: str, authorization: str | None, body: Any, target: dict[str, str | None]
    ) -> Reply:
        problem = self._oauth.check_bearer(authorization).error()
        if problem is not None:
            return self._reject(problem, target)
        if isinstance(body, ErrorResponse):
            return self._reject(body, target)
        decision = validate_send_request(body, allow_not=self.allow_not_in_conditions)
        if isinstance(decision, ErrorResponse):
            return self._reject(decision, target)
        if not self.owns(project):
            return self._reject(errors.project_permission_denied(project), target)
        if decision.target_kind == "token":
            return self._send_to_token(decision, target)
        if decision.target_kind == "fid":
            # reference/fcm.md §0.3: an unknown (even malformed) FID is UNREGISTERED.
            token = self._registry.token_for_fid(decision.target)
            if token is None:
                return self._reject(errors.fcm_error(FcmErrorCode.UNREGISTERED), target)
            return self._send_to_token(decision, {**target, "token": token}, token)
        return self._fan_out(decision, target)

    def _send_to_token(
        self, decision: SendRequest, target: dict[str, str | None], fid_token: str | None = None
    ) -> Reply:
        token = fid_token or decision.target
        if fid_token is None and not self._registry.is_well_formed(token):
            # reference/fcm.md §2.3: FcmError only, no BadRequest.
            error = errors.fcm_error(FcmErrorCode.INVALID_ARGUMENT, INVALID_TOKEN_MESSAGE)
            return self._reject(error, target)
        registration = self._registry.lookup(token)
        if registration is None:
            return self._reject(errors.fcm_error(FcmErrorCode.UNREGISTERED), target)
        if registration.project_id != self._project_id:
            # reference/fcm.md §2.2: the token belongs to another sender.
            return self._reject(errors.fcm_error(FcmErrorCode.SENDER_ID_MISMATCH), target)
        if not registration.active:
            # reference/fcm.md §2.1: unknown, uninstalled and expired tokens look the same.
            return self._reject(errors.fcm_error(FcmErrorCode.UNREGISTERED), target)
        problem = self._platform_problem(decision, registration)
        if problem is not None:
            return self._reject(problem, target)
        name = self._message_name(decision)
        if not decision.validate_only:
            self._hand_over(decision, registration, name)
        return _accepted(name, 1, target)

    def _platform_problem(
        self, decision: SendRequest, registration: Registration
    ) -> ErrorResponse | None:
        if registration.platform == Platform.IOS:
            if not self._registry.apns_key_configured:
                return errors.third_party_auth_error()  # reference/fcm.md §2.3
            if explicit_high_priority_background(decision):
                text = "Data messages to Apple devices must use apns-priority 5."  # [U] text
                return errors.fcm_error(
                    FcmErrorCode.INVALID_ARGUMENT,
                    text,
                    violations=[FieldViolation("message.apns.headers", text)],
                )
            return None
        package = decision.restricted_package_name
        if package is not None and package != registration.app_id:
            # reference/fcm.md §1.3: package-name mismatch is INVALID_ARGUMENT [U exact text].
            text = f"Invalid package name: {package}"
            return errors.fcm_error(
                FcmErrorCode.INVALID_ARGUMENT,
                text,
                violations=[FieldViolation("message.android.restricted_package_name", text)],
            )
        return None

    def _fan_out(self, decision: SendRequest, target: dict[str, str | None]) -> Reply:
        """Topic and condition sends reach every subscribed instance (no subscribers is fine)."""
        if decision.target_kind == "topic":
            tokens = self._registry.subscribers(decision.target, self._project_id)
        else:
            assert decision.condition is not None
            tokens = self._registry.recipients(decision.condition, self._project_id)
        name = self._message_name(decision)
        delivered = 0
        if not decision.validate_only:
            for token in tokens:
                registration = self._registry.lookup(token)
                if registration is None or not registration.active:
                    continue
                if self._platform_problem(decision, registration) is not None:
                    # Not deliverable to this instance (no APNs key, other package) [U].
                    self._emit(
                        NotificationDiscarded(
                            at=self._clock.now(), provider="fcm", push_id=name, token=token,
                            phone_id=registration.phone_id, reason="not_deliverable",
                        )
                    )  # fmt: skip
                    continue
                self._hand_over(decision, registration, name)
                delivered += 1
        return _accepted(name, delivered, target)

    def _hand_over(self, decision: SendRequest, registration: Registration, name: str) -> None:
        now = self._clock.now()
        self._emit(
            NotificationAccepted(
                at=now, provider="fcm", push_id=name, token=registration.token,
                app_id=registration.app_id, phone_id=registration.phone_id,
            )
        )  # fmt: skip
        if registration.platform == Platform.IOS:
            headers, payload = apns_delivery(
                decision, app_id=registration.app_id, message_id=name.rsplit("/", 1)[-1], now=now
            )
        else:
            headers, payload = decision.delivery_headers(), decision.delivery_payload()
        self._registry.deliver(registration.token, name, headers, payload)

    def _message_name(self, decision: SendRequest) -> str:
        message_id = DRY_RUN_ID if decision.validate_only else self._next_id()
        return f"projects/{self._project_id}/messages/{message_id}"

    def _reject(self, error: ErrorResponse, target: dict[str, str | None]) -> Reply:
        self._emit(
            NotificationRejected(
                at=self._clock.now(), provider="fcm", push_id="", token=target["token"],
                status=error.status, reason=error.reason,
            )
        )  # fmt: skip
        return Reply.error(error, **target)


def _accepted(name: str, recipients: int, target: dict[str, str | None]) -> Reply:
    # What json.dumps({"name": name}, indent=2) writes, without its pure-Python indenting
    # encoder: this is the answer to nearly every send.
    body = b'{\n  "name": ' + json.dumps(name).encode() + b"\n}"
    return Reply(
        200, body, {"content-type": errors.CONTENT_TYPE}, push_id=name, recipients=recipients,
        token=target["token"], topic=target["topic"], condition=target["condition"],
    )  # fmt: skip


def _targets_of(body: Any) -> tuple[str | None, str | None, str | None]:
    """The message's token, topic and condition as sent, before any validation."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        return None, None, None
    found = [message.get(k) for k in ("token", "topic", "condition")]
    token, topic, condition = (v if isinstance(v, str) and v else None for v in found)
    return token, topic, condition
