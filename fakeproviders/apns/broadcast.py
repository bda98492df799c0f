"""Broadcast push (iOS 18+): channel management and ``POST /4/broadcasts/apps/<bundle>`` (sans-IO).

reference/apns.md §5.1 (channels: create, read, delete, list; storage policies 0 and 1; 10,000 per
environment) and §5.2 (broadcast sends and their own error table; responses carry
``apns-request-id``, not ``apns-id``). Channel management is served on its own listener, as Apple
serves it on ``api-manage-broadcast…`` ports 2195/2196; broadcasts on the device-push listener.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fakeproviders import strict_json
from fakeproviders.apns.liveactivity import BROADCAST_EVENTS, live_activity_payload_ok
from fakeproviders.apns.options import ApnsOptions

CHANNELS_PATH = re.compile(r"/1/apps/([^/?#]+)/(channels|all-channels)")
BROADCAST_PATH = re.compile(r"/4/broadcasts/apps/([^/?#]+)")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EXPIRATION = re.compile(r"[0-9]{1,12}")
_LIVE_ACTIVITY = "LiveActivity"


class BroadcastReason(enum.Enum):
    """The broadcast and channel error table (reference/apns.md §5.2, Apple BERR)."""

    wire: str
    status: int

    def __init__(self, wire: str, status: int) -> None:
        self.wire = wire
        self.status = status

    FeatureNotEnabled = ("FeatureNotEnabled", 400)
    MissingChannelId = ("MissingChannelId", 400)
    BadChannelId = ("BadChannelId", 400)
    ChannelNotRegistered = ("ChannelNotRegistered", 400)
    BadRequestParams = ("BadRequestParams", 400)
    BadRequestPayload = ("BadRequestPayload", 400)
    PayloadEmpty = ("PayloadEmpty", 400)
    BadMessageId = ("BadMessageId", 400)
    MissingPushType = ("MissingPushType", 400)
    InvalidPushType = ("InvalidPushType", 400)
    CannotCreateChannelConfig = ("CannotCreateChannelConfig", 400)
    BadExpirationDate = ("BadExpirationDate", 400)
    TopicDisallowed = ("TopicDisallowed", 400)
    BadPriority = ("BadPriority", 400)
    BadCertificate = ("BadCertificate", 403)
    BadCertificateEnvironment = ("BadCertificateEnvironment", 403)
    TopicMismatch = ("TopicMismatch", 403)
    MissingProviderToken = ("MissingProviderToken", 403)
    ExpiredProviderToken = ("ExpiredProviderToken", 403)
    InvalidProviderToken = ("InvalidProviderToken", 403)
    BadPath = ("BadPath", 404)
    MethodNotAllowed = ("MethodNotAllowed", 405)
    PayloadTooLarge = ("PayloadTooLarge", 413)
    TooManyRequests = ("TooManyRequests", 429)
    TooManyProviderTokenUpdates = ("TooManyProviderTokenUpdates", 429)
    InternalServerError = ("InternalServerError", 500)
    ServiceUnavailable = ("Service Unavailable", 503)  # sic, with a space, in Apple's table
    Shutdown = ("Shutdown", 503)


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: status, headers (after ``:status``) and body."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(slots=True)
class Channel:
    """One broadcast channel of an app."""

    channel_id: str
    bundle_id: str
    storage_policy: int
    """0 = No Message Stored, 1 = Most Recent Message Stored (§5.1)."""
    subscribers: set[str] = field(default_factory=set)
    """Device tokens (Live Activity update tokens) subscribed to the channel."""
    last_message: tuple[float, Mapping[str, Any]] | None = None
    """(expires at, payload) of the stored message under policy 1."""


#: ``(token, request id, headers, payload)``: hand a broadcast to one subscriber.
Fanout = Callable[[str, str, Mapping[str, str], Mapping[str, Any]], None]


class ChannelStore:
    """The channels of one environment, by app (state behind methods, DESIGN.md)."""

    def __init__(self, options: ApnsOptions | None = None) -> None:
        self.options = options or ApnsOptions()
        self._channels: dict[str, Channel] = {}

    def create(self, bundle_id: str, storage_policy: int) -> Channel | None:
        """A new channel with a random base64 id; None when the app is at its limit."""
        if sum(c.bundle_id == bundle_id for c in self._channels.values()) >= (
            self.options.max_channels
        ):
            return None
        channel_id = base64.b64encode(secrets.token_bytes(16)).decode()
        channel = Channel(channel_id, bundle_id, storage_policy)
        self._channels[channel_id] = channel
        return channel

    def get(self, bundle_id: str, channel_id: str) -> Channel | None:
        channel = self._channels.get(channel_id)
        return channel if channel is not None and channel.bundle_id == bundle_id else None

    def delete(self, bundle_id: str, channel_id: str) -> bool:
        if self.get(bundle_id, channel_id) is None:
            return False
        del self._channels[channel_id]
        return True

    def list(self, bundle_id: str) -> list[str]:
        return [c.channel_id for c in self._channels.values() if c.bundle_id == bundle_id]

    def subscribe(self, channel_id: str, token: str) -> None:
        """A Live Activity started with ``.channel(id)`` listens on the channel (§5.3)."""
        channel = self._channels.get(channel_id)
        if channel is None:
            raise KeyError(f"no channel {channel_id!r}")
        channel.subscribers.add(token)


def error(reason: BroadcastReason, request_id: str) -> Answer:
    """An error answer of the broadcast APIs: JSON reason, ``apns-request-id`` (§5.2)."""
    body = json.dumps({"reason": reason.wire}, separators=(",", ":")).encode()
    return Answer(
        reason.status,
        (("content-type", "application/json"), ("apns-request-id", request_id)),
        body,
    )


def request_id_of(headers: Mapping[str, str]) -> tuple[str, bool]:
    """(the request id to answer with, whether the one sent was well-formed)."""
    sent = headers.get("apns-request-id")
    if sent is None:
        return str(uuid.uuid4()), True
    if _UUID.fullmatch(sent):
        return sent, True
    return str(uuid.uuid4()), False


def manage_channels(
    store: ChannelStore,
    method: str,
    bundle_id: str,
    resource: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Answer:
    """One channel-management request, already authenticated for ``bundle_id`` (§5.1)."""
    request_id, ok = request_id_of(headers)
    if not ok:
        return error(BroadcastReason.BadMessageId, request_id)
    rid = ("apns-request-id", request_id)
    if resource == "all-channels":
        if method != "GET":
            return error(BroadcastReason.MethodNotAllowed, request_id)
        listed = json.dumps({"channels": store.list(bundle_id)}).encode()
        return Answer(200, (("content-type", "application/json"), rid), listed)
    if method == "POST":
        try:
            config = strict_json.loads(body) if body else None
        except ValueError:
            config = None
        if not isinstance(config, dict):
            return error(BroadcastReason.BadRequestParams, request_id)
        if config.get("push-type") != _LIVE_ACTIVITY:
            return error(BroadcastReason.InvalidPushType, request_id)
        policy = config.get("message-storage-policy")
        if policy not in (0, 1) or isinstance(policy, bool):
            return error(BroadcastReason.BadRequestParams, request_id)
        channel = store.create(bundle_id, policy)
        if channel is None:
            return error(BroadcastReason.CannotCreateChannelConfig, request_id)
        return Answer(201, (rid, ("apns-channel-id", channel.channel_id)))
    if method not in ("GET", "DELETE"):
        return error(BroadcastReason.MethodNotAllowed, request_id)
    found = _channel(store, bundle_id, headers, request_id)
    if isinstance(found, Answer):
        return found
    if method == "DELETE":
        store.delete(bundle_id, found.channel_id)
        return Answer(204, (rid,))
    doc = {"message-storage-policy": found.storage_policy, "push-type": _LIVE_ACTIVITY}
    return Answer(200, (("content-type", "application/json"), rid), json.dumps(doc).encode())


def broadcast(
    store: ChannelStore,
    bundle_id: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    fanout: Fanout,
) -> Answer:
    """``POST /4/broadcasts/apps/<bundle>``, authenticated for ``bundle_id`` (§5.2)."""
    request_id, ok = request_id_of(headers)
    if not ok:
        return error(BroadcastReason.BadMessageId, request_id)
    found = _channel(store, bundle_id, headers, request_id)
    if isinstance(found, Answer):
        return found
    push_type = headers.get("apns-push-type")
    if push_type is None:
        return error(BroadcastReason.MissingPushType, request_id)
    if push_type != "liveactivity":
        return error(BroadcastReason.InvalidPushType, request_id)
    if headers.get("apns-priority", "10") not in ("1", "5", "10"):
        return error(BroadcastReason.BadPriority, request_id)
    expiration = headers.get("apns-expiration")
    if expiration is not None and not _EXPIRATION.fullmatch(expiration):
        return error(BroadcastReason.BadExpirationDate, request_id)
    if found.storage_policy == 0 and expiration not in (None, "0"):
        return error(BroadcastReason.BadExpirationDate, request_id)  # No-Storage: only 0 (BERR)
    if not body:
        return error(BroadcastReason.PayloadEmpty, request_id)
    if len(body) > store.options.max_broadcast_payload_bytes:
        return error(BroadcastReason.PayloadTooLarge, request_id)
    try:
        payload = strict_json.loads(body)
    except ValueError:
        payload = None
    aps = payload.get("aps") if isinstance(payload, dict) else None
    if not isinstance(aps, dict) or not live_activity_payload_ok(aps, BROADCAST_EVENTS):
        return error(BroadcastReason.BadRequestPayload, request_id)
    assert isinstance(payload, dict)
    if found.storage_policy == 1:
        found.last_message = (now + store.options.channel_storage_seconds, payload)
    delivered = {k: v for k, v in headers.items() if k.startswith("apns-")}
    for token in sorted(found.subscribers):
        fanout(token, request_id, delivered, payload)
    return Answer(200, (("apns-request-id", request_id),))


def _channel(
    store: ChannelStore, bundle_id: str, headers: Mapping[str, str], request_id: str
) -> Channel | Answer:
    channel_id = headers.get("apns-channel-id")
    if not channel_id:
        return error(BroadcastReason.MissingChannelId, request_id)
    try:
        base64.b64decode(channel_id, validate=True)
    except (binascii.Error, ValueError):
        return error(BroadcastReason.BadChannelId, request_id)
    channel = store.get(bundle_id, channel_id)
    if channel is None:
        return error(BroadcastReason.ChannelNotRegistered, request_id)
    return channel
