"""Broadcast channels and sends (sans-IO): the channel store and each broadcast error."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from fakeproviders.apns import ApnsOptions
from fakeproviders.apns.broadcast import (
    Answer,
    BroadcastReason,
    ChannelStore,
    broadcast,
    manage_channels,
)

APP = "com.example.app"
UPDATE = b'{"aps":{"event":"update","timestamp":1,"content-state":{}}}'


def reason_of(answer: Answer) -> tuple[int, str]:
    return answer.status, json.loads(answer.body)["reason"]


def create(store: ChannelStore, body: bytes) -> Answer:
    return manage_channels(store, "POST", APP, "channels", {}, body)


def test_create_returns_201_and_a_base64_channel_id() -> None:
    """Creating a channel answers 201 with apns-channel-id and apns-request-id."""
    answer = create(ChannelStore(), b'{"message-storage-policy":1,"push-type":"LiveActivity"}')
    headers = dict(answer.headers)
    assert answer.status == 201 and headers["apns-channel-id"] and headers["apns-request-id"]


def test_apns_request_id_is_echoed() -> None:
    """A well-formed apns-request-id is echoed in the answer."""
    rid = "123e4567-e89b-12d3-a456-426614174000"
    answer = manage_channels(
        ChannelStore(), "GET", APP, "all-channels", {"apns-request-id": rid}, b""
    )
    assert dict(answer.headers)["apns-request-id"] == rid


def test_malformed_request_id_is_bad_message_id() -> None:
    """A malformed apns-request-id is 400 BadMessageId."""
    answer = manage_channels(
        ChannelStore(), "GET", APP, "all-channels", {"apns-request-id": "x"}, b""
    )
    assert reason_of(answer) == (400, "BadMessageId")


def test_channel_push_type_other_than_live_activity_is_invalid_push_type() -> None:
    """Only LiveActivity channels exist: another push-type is InvalidPushType."""
    answer = create(ChannelStore(), b'{"message-storage-policy":1,"push-type":"alert"}')
    assert reason_of(answer) == (400, "InvalidPushType")


@pytest.mark.parametrize(
    "body", [b"", b"[]", b'{"message-storage-policy":2,"push-type":"LiveActivity"}']
)
def test_bad_channel_config_is_bad_request_params(body: bytes) -> None:
    """A missing or unknown storage policy, or no config, is BadRequestParams."""
    assert reason_of(create(ChannelStore(), body)) == (400, "BadRequestParams")


def test_channel_limit_is_cannot_create_channel_config() -> None:
    """Past max_channels, creating one more is CannotCreateChannelConfig."""
    store = ChannelStore(ApnsOptions(max_channels=2))
    config = b'{"message-storage-policy":0,"push-type":"LiveActivity"}'
    assert [create(store, config).status for _ in range(2)] == [201, 201]
    assert reason_of(create(store, config)) == (400, "CannotCreateChannelConfig")


def test_other_methods_are_method_not_allowed() -> None:
    """PUT on channels is 405 MethodNotAllowed."""
    answer = manage_channels(ChannelStore(), "PUT", APP, "channels", {}, b"")
    assert reason_of(answer) == (405, "MethodNotAllowed")


class Sink:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(
        self, token: str, request_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        self.sent.append(token)


def send(headers: dict[str, str], body: bytes = UPDATE, policy: int = 1) -> Answer:
    store = ChannelStore()
    channel = store.create(APP, policy)
    assert channel is not None
    fields = {"apns-channel-id": channel.channel_id, "apns-push-type": "liveactivity", **headers}
    fields = {k: v for k, v in fields.items() if v != "-"}
    return broadcast(store, APP, fields, body, 0.0, Sink())


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"apns-channel-id": "-"}, UPDATE, "MissingChannelId"),
        ({"apns-channel-id": "not base64!"}, UPDATE, "BadChannelId"),
        ({"apns-channel-id": "AAAA"}, UPDATE, "ChannelNotRegistered"),
        ({"apns-push-type": "-"}, UPDATE, "MissingPushType"),
        ({"apns-push-type": "alert"}, UPDATE, "InvalidPushType"),
        ({"apns-priority": "7"}, UPDATE, "BadPriority"),
        ({"apns-expiration": "soon"}, UPDATE, "BadExpirationDate"),
        ({}, b"", "PayloadEmpty"),
        ({}, b"{" * 6000, "PayloadTooLarge"),
        ({}, b'{"aps":{"event":"start","timestamp":1}}', "BadRequestPayload"),
        ({}, b"not json", "BadRequestPayload"),
    ],
)
def test_broadcast_errors(headers: dict[str, str], body: bytes, expected: str) -> None:
    """Each broadcast error of Apple's table comes from the condition it names."""
    answer = send(headers, body)
    assert reason_of(answer)[1] == expected
    assert answer.status == BroadcastReason[expected].status


def test_service_unavailable_keeps_apples_space() -> None:
    """The broadcast 503 reason is "Service Unavailable", with a space, as Apple's table has it."""
    assert BroadcastReason.ServiceUnavailable.wire == "Service Unavailable"


def test_broadcast_fans_out_to_subscribers() -> None:
    """A valid broadcast goes to every subscribed token."""
    store = ChannelStore()
    channel = store.create(APP, 1)
    assert channel is not None
    store.subscribe(channel.channel_id, "aa")
    store.subscribe(channel.channel_id, "bb")
    sink = Sink()
    headers = {"apns-channel-id": channel.channel_id, "apns-push-type": "liveactivity"}
    assert broadcast(store, APP, headers, UPDATE, 0.0, sink).status == 200
    assert sink.sent == ["aa", "bb"]
    assert channel.last_message is not None  # policy 1 keeps the most recent message
