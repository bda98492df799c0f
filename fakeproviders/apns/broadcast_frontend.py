"""The broadcast and channel-management APIs as served by ``FakeApns``: authentication, topic
checks and logging around the sans-IO rules of ``broadcast.py`` (reference/apns.md §5)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fakeproviders.apns import broadcast as bc
from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.log import RequestLog
from fakeproviders.apns.registry import ApnsRegistry
from fakeproviders.apns.validation import ApnsValidator
from fakeproviders.apns.wire import Reply, Request
from fakeproviders.clock import Clock


class BroadcastFrontend:
    """Answers channel-management and broadcast requests for one ``FakeApns``."""

    def __init__(
        self,
        channels: bc.ChannelStore,
        validator: ApnsValidator,
        registry: ApnsRegistry,
        clock: Clock,
        log: RequestLog,
    ) -> None:
        self.channels = channels
        self.validator = validator
        self.registry = registry
        self.clock = clock
        self.log = log

    def manage(self, request: Request, auth: ConnectionAuth) -> Reply:
        """One channel-management request (reference/apns.md §5.1)."""
        fields = fields_of(request.headers)
        match = bc.CHANNELS_PATH.fullmatch(request.path)
        if match is None:
            answer = bc.error(bc.BroadcastReason.BadPath, bc.request_id_of(fields)[0])
        else:
            bundle, resource = match.groups()
            answer = self._auth(fields, auth, bundle) or bc.manage_channels(
                self.channels, request.method, bundle, resource, fields, bytes(request.body)
            )
        return self._answered(request, answer)

    def send(self, request: Request, auth: ConnectionAuth, bundle: str) -> Reply:
        """``POST /4/broadcasts/apps/<bundle>`` (reference/apns.md §5.2)."""
        fields = fields_of(request.headers)
        if request.method != "POST":
            answer = bc.error(bc.BroadcastReason.MethodNotAllowed, bc.request_id_of(fields)[0])
        else:
            answer = self._auth(fields, auth, bundle) or bc.broadcast(
                self.channels, bundle, fields, bytes(request.body), self.clock.now(), self._fanout
            )
        return self._answered(request, answer)

    def _answered(self, request: Request, answer: bc.Answer) -> Reply:
        """Log the request with its answer; the answer as a reply."""
        self.log.add(
            self.clock.now(),
            request.method,
            request.path,
            request.headers,
            bytes(request.body),
            None,
            answer.status,
            _reason_of(answer),
            None,
        )
        return Reply(answer.status, answer.headers, answer.body)

    def _auth(
        self, fields: Mapping[str, str], auth: ConnectionAuth, bundle: str
    ) -> bc.Answer | None:
        """The error for an unauthenticated or foreign-bundle broadcast request, else None."""
        request_id = bc.request_id_of(fields)[0]
        verifier = self.validator.verifier
        problem = verifier.check(fields.get("authorization"), auth, self.clock.now())
        if problem is not None:
            wire = problem.wire if problem.wire in bc.BroadcastReason.__members__ else None
            reason = bc.BroadcastReason[wire] if wire else bc.BroadcastReason.InvalidProviderToken
            return bc.error(reason, request_id)
        if bundle not in self.validator.topics:
            if any(bundle.startswith(f"{t}.") for t in self.validator.topics):
                return bc.error(bc.BroadcastReason.TopicDisallowed, request_id)  # a suffix (BERR)
            return bc.error(bc.BroadcastReason.TopicMismatch, request_id)
        certificate = auth.certificate
        if (certificate is not None and certificate.uid != bundle) or verifier.topic_allowed(
            auth, bundle
        ):
            return bc.error(bc.BroadcastReason.TopicMismatch, request_id)
        return None

    def _fanout(
        self, token: str, request_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        record = self.registry.lookup(token)
        if record is not None and record.invalidated_at is None:
            self.registry.deliver(token, request_id, headers, payload)


def fields_of(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Headers by lower-case name, the first of repeats kept (validation sees the repeats)."""
    fields: dict[str, str] = {}
    for name, value in headers:
        fields.setdefault(name.lower(), value)
    return fields


def _reason_of(answer: bc.Answer) -> str | None:
    if answer.status < 300 or not answer.body:
        return None
    try:
        reason = json.loads(answer.body).get("reason")
    except ValueError:
        return None
    return reason if isinstance(reason, str) else None
