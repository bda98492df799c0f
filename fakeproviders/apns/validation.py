"""Request validation for ``POST /3/device/<token>``: data in, ``Accepted`` or ``Rejected`` out.

Sans-IO: no sockets, no awaiting, time from the injected clock. The server hands over the
request exactly as received (headers as a list of pairs, so repeats are visible).

Apple does not document the order of checks (reference/apns.md §2.4, [U]). This order answers
with the most specific reason a client can act on: method, path, duplicate headers, ``apns-id``,
provider token, topic, push type, priority, expiration, collapse id, payload, then the device
token against the registry (410 Unregistered last, as it is "not an error condition").
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fakeproviders import strict_json
from fakeproviders.apns.auth import ConnectionAuth, ProviderTokenVerifier
from fakeproviders.apns.keys import ApnsSigningKey
from fakeproviders.apns.kinds import token_fits_topic
from fakeproviders.apns.liveactivity import live_activity_payload_ok
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.apns.passes import is_pass_topic
from fakeproviders.apns.ratelimit import TokenRateLimiter
from fakeproviders.apns.reasons import ApnsReason
from fakeproviders.apns.registry import ApnsTokenRecord
from fakeproviders.clock import Clock

DEVICE_PATH = "/3/device/"

#: Known ``apns-push-type`` values and the topic suffix each requires (reference/apns.md §1.4).
#: ``mdm`` uses the certificate's UID as topic, so no suffix is checked (None).
#: ``accessory`` is [U]: only APNSwift lists it; accepted so a newer client is not refused.
PUSH_TYPE_SUFFIXES: Mapping[str, str | None] = {
    "alert": "",
    "background": "",
    "complication": ".complication",
    "controls": ".push-type.controls",
    "fileprovider": ".pushkit.fileprovider",
    "liveactivity": ".push-type.liveactivity",
    "location": ".location-query",
    "mdm": None,
    "pushtotalk": ".voip-ptt",
    "voip": ".voip",
    "widgets": ".push-type.widgets",
    "accessory": ".push-type.accessory",
}
# Longest first, so ".voip-ptt" is tried before ".voip".
_SUFFIXES = sorted({s for s in PUSH_TYPE_SUFFIXES.values() if s}, key=len, reverse=True)
_TYPE_OF_SUFFIX = {s: t for t, s in PUSH_TYPE_SUFFIXES.items() if s}

# 8-4-4-4-12 hex. Apple says lowercase; whether uppercase is refused is [U] (§1.3), so both pass.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_EXPIRATION = re.compile(r"[0-9]{1,12}")
_PRIORITIES = frozenset({"1", "5", "10"})


class TokenLookup(Protocol):
    """The part of the registry validation reads (``ApnsRegistry.lookup``)."""

    def lookup(self, token: str) -> ApnsTokenRecord | None: ...


@dataclass(frozen=True, slots=True)
class Accepted:
    """The push is valid: answer 200 and hand it to the registry."""

    apns_id: str
    token: str
    topic: str
    headers: Mapping[str, str]
    """The ``apns-*`` headers with defaults filled in (id, priority, push type, topic)."""
    payload: Mapping[str, Any]
    record: ApnsTokenRecord = field(repr=False)


@dataclass(frozen=True, slots=True)
class Rejected:
    """The push is refused: answer ``status`` with ``{"reason": reason}``."""

    status: int
    reason: str
    apns_id: str
    timestamp_ms: int | None = None
    """For 410: when the token stopped being valid, in integer milliseconds (§2.2)."""
    token: str | None = None
    """The device token of the path, when there was one."""

    @classmethod
    def of(
        cls,
        reason: ApnsReason,
        apns_id: str,
        token: str | None = None,
        timestamp_ms: int | None = None,
    ) -> Rejected:
        """The rejection for ``reason``, with its documented status."""
        return cls(reason.status, reason.wire, apns_id, timestamp_ms, token)

    def body(self) -> bytes:
        """The JSON body APNs sends: ``reason``, plus an integer ``timestamp`` on 410 (§2.2)."""
        doc: dict[str, Any] = {"reason": self.reason}
        if self.timestamp_ms is not None:
            doc["timestamp"] = self.timestamp_ms
        return json.dumps(doc, separators=(",", ":")).encode()


Decision = Accepted | Rejected


def new_apns_id() -> str:
    """A fresh ``apns-id`` as APNs makes one: a lowercase UUID (§2.1)."""
    return str(uuid.uuid4())


def request_apns_id(headers: Sequence[tuple[str, str]]) -> str:
    """The ``apns-id`` to answer with: the request's if it is a UUID, else a new one (§2.1)."""
    for name, value in headers:
        if name.lower() == "apns-id":
            return value if _UUID.fullmatch(value) else new_apns_id()
    return new_apns_id()


class ApnsValidator:
    """Decides each device-push request of one fake APNs server."""

    def __init__(
        self,
        *,
        keys: Iterable[ApnsSigningKey],
        topics: Iterable[str],
        registry: TokenLookup,
        clock: Clock,
        environment: str = "sandbox",
        options: ApnsOptions | None = None,
        real_clock: Clock | None = None,
    ) -> None:
        """``real_clock`` is the wall clock outside senders sign with (docs/time.md)."""
        self.options = options or ApnsOptions()
        self.topics = frozenset(topics)
        self.environment = environment
        self._registry = registry
        self._clock = clock
        self._verifier = ProviderTokenVerifier(
            keys, self.options, environment, clock=clock, real_clock=real_clock
        )
        self._rate = (
            None
            if self.options.requests_per_token is None
            else TokenRateLimiter(*self.options.requests_per_token)
        )

    @property
    def verifier(self) -> ProviderTokenVerifier:
        """The provider-token checks (shared with the broadcast API)."""
        return self._verifier

    def validate(
        self,
        method: str,
        path: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        auth: ConnectionAuth,
    ) -> Decision:
        """Accept or reject one request. Never raises for any input."""
        fields: dict[str, str] = {}
        duplicated = False
        for name, value in headers:
            key = name.lower()
            if key.startswith(":"):
                continue  # pseudo-headers are the method and path given separately
            duplicated = duplicated or key in fields
            fields.setdefault(key, value)
        raw_id = fields.get("apns-id")
        id_ok = raw_id is None or _UUID.fullmatch(raw_id) is not None
        apns_id = raw_id if raw_id is not None and id_ok else new_apns_id()

        def reject(reason: ApnsReason, token: str | None = None) -> Rejected:
            return Rejected.of(reason, apns_id, token)

        if method != "POST":
            return reject(ApnsReason.MethodNotAllowed)
        if not path.startswith(DEVICE_PATH):
            return reject(ApnsReason.BadPath)
        token = path[len(DEVICE_PATH) :]
        if not token:
            return reject(ApnsReason.MissingDeviceToken)
        if "/" in token or "?" in token:
            return reject(ApnsReason.BadPath)
        if not _HEX.fullmatch(token):
            return reject(ApnsReason.BadDeviceToken, token)
        token = token.lower()  # hex of the token's bytes: case carries no meaning
        if duplicated:
            return reject(ApnsReason.DuplicateHeaders, token)
        if not id_ok:
            return reject(ApnsReason.BadMessageId, token)

        problem = self._verifier.check(fields.get("authorization"), auth, self._clock.now())
        if problem is not None:
            return reject(problem, token)
        topic = self._topic(fields.get("apns-topic"), auth)
        if isinstance(topic, ApnsReason):
            return reject(topic, token)
        split = self._split_topic(topic)
        if split is None:
            return reject(ApnsReason.TopicDisallowed, token)
        base, suffix = split
        problem = self._verifier.topic_allowed(auth, base)
        if problem is not None:
            return reject(problem, token)
        push_type = fields.get("apns-push-type")
        if push_type is None:  # infer it from the topic, as a missing type is "recommended" (§1.3)
            push_type = _TYPE_OF_SUFFIX.get(suffix, "alert")
        problem = self._check_headers(fields, push_type, suffix)
        if problem is None and auth.certificate is not None:
            allowed = self.options.certificate_push_types
            if allowed is not None and push_type not in allowed:
                problem = ApnsReason.Forbidden  # "only a subset" on certificates (§1.4)
        if problem is not None:
            return reject(problem, token)
        payload = self._payload(body, push_type, is_pass_topic(base))
        if isinstance(payload, ApnsReason):
            return reject(payload, token)

        record = self._registry.lookup(token)
        if record is None or record.environment != self.environment:
            # A token of the other environment is unknown here (§1.1).
            return reject(ApnsReason.BadDeviceToken, token)
        if record.app_id != base:
            return reject(ApnsReason.DeviceTokenNotForTopic, token)
        if not token_fits_topic(record.kind, suffix):
            # A VoIP, Live Activity, push-to-talk or location push needs that kind's own token,
            # and such a token serves only its kind (kinds.py; the reason is [U]).
            return reject(self.options.token_topic_reason, token)
        if record.invalidated_at is not None:
            return Rejected.of(
                ApnsReason.from_wire(record.invalid_reason),
                apns_id,
                token,
                int(record.invalidated_at * 1000),
            )
        if self._rate is not None and not self._rate.allow(token, self._clock.now()):
            return reject(ApnsReason.TooManyRequests, token)

        delivered = {k: v for k, v in fields.items() if k.startswith("apns-")}
        delivered.update(
            {
                "apns-id": apns_id,
                "apns-topic": topic,
                "apns-push-type": push_type,
                "apns-priority": fields.get("apns-priority", "10"),
            }
        )
        return Accepted(apns_id, token, topic, delivered, payload, record)

    def _check_headers(
        self, fields: Mapping[str, str], push_type: str, suffix: str
    ) -> ApnsReason | None:
        """Push type against the topic, priority, expiration and collapse id (§1.3, §1.4)."""
        if "apns-push-type" in fields:
            if push_type not in PUSH_TYPE_SUFFIXES:
                return ApnsReason.InvalidPushType
            wanted = PUSH_TYPE_SUFFIXES[push_type]
            if self.options.enforce_topic_suffix and wanted is not None and wanted != suffix:
                return ApnsReason.BadTopic
        priority = fields.get("apns-priority")
        if priority is not None:
            if priority not in _PRIORITIES:
                return ApnsReason.BadPriority
            if (
                self.options.reject_background_priority_10
                and push_type == "background"
                and priority == "10"
            ):
                return ApnsReason.BadPriority
            if push_type == "liveactivity" and priority == "1":
                return ApnsReason.BadPriority  # "priority 5 or 10" (reference/apns.md §1.6)
        expiration = fields.get("apns-expiration")
        if expiration is not None and not _EXPIRATION.fullmatch(expiration):
            return ApnsReason.BadExpirationDate
        collapse_id = fields.get("apns-collapse-id")
        if collapse_id is not None and (
            len(collapse_id.encode("utf-8", "surrogateescape")) > self.options.max_collapse_id_bytes
        ):
            return ApnsReason.BadCollapseId
        return None

    def _topic(self, topic: str | None, auth: ConnectionAuth) -> str | ApnsReason:
        """The topic of the request; certificates default to their UID (§3.2)."""
        certificate = auth.certificate
        if certificate is None:
            return topic if topic else ApnsReason.MissingTopic
        if not topic:
            if certificate.multi_topic:
                return ApnsReason.MissingTopic
            return certificate.uid
        return topic if topic in certificate.topics else ApnsReason.TopicDisallowed

    def _split_topic(self, topic: str) -> tuple[str, str] | None:
        """(bundle id, push-type suffix) of a topic this server serves, else None."""
        if topic in self.topics:
            return topic, ""
        for suffix in _SUFFIXES:
            if topic.endswith(suffix) and topic[: -len(suffix)] in self.topics:
                return topic[: -len(suffix)], suffix
        return None

    def _payload(
        self, body: bytes, push_type: str, pass_update: bool = False
    ) -> Mapping[str, Any] | ApnsReason:
        """The JSON payload, or why it is refused (§1.5). A pass update is only a wake-up: any
        JSON object will do, ``{}`` included, and what it holds is ignored (wallet.md §4)."""
        if not body:
            return ApnsReason.PayloadEmpty
        limit = self.options.max_payload_bytes
        if push_type == "voip":
            limit = self.options.max_voip_payload_bytes
        if len(body) > limit:
            return ApnsReason.PayloadTooLarge
        try:
            payload = strict_json.loads(body)
        except ValueError:
            return self.options.invalid_payload_reason
        if not isinstance(payload, dict):
            return self.options.invalid_payload_reason
        if push_type == "mdm" or pass_update or not self.options.require_aps:
            return payload
        aps = payload.get("aps")
        if not isinstance(aps, dict):
            return self.options.invalid_payload_reason
        if push_type == "liveactivity" and not live_activity_payload_ok(aps):
            return self.options.invalid_payload_reason
        return payload
