"""Fuzzing the whole request path of the fake APNs (routing, faults off, validation, broadcast,
channels) without sockets, and checking that every documented reason is reachable."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeproviders.apns import ApnsReason, FakeApns
from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.broadcast import BroadcastReason
from fakeproviders.apns.wire import Reply, Request
from fakeproviders.ca import LocalCA
from fakeproviders.faults import Fault
from tests.fakeproviders.test_apns_validation import APNS_ID, KEY, T0, FakeClock

APP = "com.example.app"
DEVICE_REASONS = {(r.status, r.wire) for r in ApnsReason}
BROADCAST_REASONS = {(r.status, r.wire) for r in BroadcastReason}


class Lab:
    def __init__(self, ca: LocalCA) -> None:
        self.apns = FakeApns(
            clock=FakeClock(),
            ssl_context=ca.server_ssl_context(alpn=("h2",)),
            keys=[KEY],
            topics=[APP],
        )
        self.token = self.apns.registry.register("p1", APP)
        self.jwt = KEY.provider_token(int(T0))
        self.auth = ConnectionAuth()


TEXT = st.text(max_size=60)
NAMES = st.sampled_from(
    [
        "authorization",
        "apns-id",
        "apns-topic",
        "apns-priority",
        "apns-push-type",
        "apns-expiration",
        "apns-collapse-id",
        "apns-channel-id",
        "apns-request-id",
        "host",
    ]
)
VALUES = st.sampled_from(
    [APP, f"{APP}.voip", "liveactivity", "background", "alert", "10", "5", "0", APNS_ID, "AAAA"]
)
PAYLOADS = st.sampled_from(
    [
        b'{"aps":{"alert":"hi"}}',
        b'{"aps":{"event":"update","timestamp":1,"content-state":{}}}',
        b'{"message-storage-policy":1,"push-type":"LiveActivity"}',
        b"",
        b"{" * 5000,
        b'{"aps":{"alert":"hi"},"n":NaN}',
        b'{"aps":{"alert":"\\ud800"}}',
        b'{"aps":{"alert":"hi"},"x":' + b"[" * 1500 + b"]" * 1500 + b"}",
    ]
)


def test_every_documented_reason_has_a_status() -> None:
    """The 33 device-push reasons of reference table 2.4 (both environment-key spellings) exist
    with Apple's status."""
    assert len(ApnsReason) == 33
    assert ApnsReason.Unregistered.status == 410 and ApnsReason.Shutdown.status == 503


def fuzz_lab(ca: LocalCA) -> Lab:
    global LAB  # one server for all examples: building one loads a TLS certificate
    LAB = Lab(ca)
    return LAB


def test_internal_server_error_is_an_injected_500(ca: LocalCA) -> None:
    """A 500 fault answers InternalServerError with an apns-id, in APNs's shape."""
    lab = Lab(ca)
    lab.apns.faults.add(Fault(status=500))
    request = Request("POST", f"/3/device/{lab.token}", [("apns-id", APNS_ID)], bytearray(b"{}"))
    reply = lab.apns.handle(request, lab.auth)
    assert isinstance(reply, Reply)
    assert (reply.status, reply.body) == (500, b'{"reason":"InternalServerError"}')
    assert ("apns-id", APNS_ID) in reply.headers


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    method=st.sampled_from(["POST", "GET", "DELETE"]) | TEXT,
    path=st.sampled_from(
        ["/3/device/", f"/4/broadcasts/apps/{APP}", f"/1/apps/{APP}/channels", "/", ""]
    ).flatmap(lambda p: st.sampled_from(["", "ab" * 32, "x", "/y"]).map(lambda t: p + t))
    | TEXT,
    headers=st.lists(st.tuples(NAMES | TEXT, VALUES | TEXT), max_size=6),
    with_jwt=st.booleans(),
    body=PAYLOADS | st.binary(max_size=120),
    channels=st.booleans(),
)
def test_any_request_gets_a_documented_answer(
    ca: LocalCA,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    with_jwt: bool,
    body: bytes,
    channels: bool,
) -> None:
    """Any method, path, headers and body get a documented status and reason: never a crash,
    never an uninjected 500."""
    lab = LAB if LAB is not None else fuzz_lab(ca)
    if with_jwt:
        headers = [("authorization", f"bearer {lab.jwt}"), *headers]
    request = Request(method, path, headers, bytearray(body))
    handle = lab.apns.handle_channels if channels else lab.apns.handle
    reply = handle(request, lab.auth)
    assert isinstance(reply, Reply)
    assert reply.status != 500
    if reply.status >= 400:
        found = (reply.status, json.loads(reply.body)["reason"])
        assert found in DEVICE_REASONS | BROADCAST_REASONS, found
    else:
        assert reply.status in (200, 201, 204)


LAB: Lab | None = None


def test_strict_json_only(ca: LocalCA) -> None:
    """NaN, a lone surrogate and nesting past the limit are not JSON to Apple: 400 with the
    payload reason, like any malformed payload (reference/apns.md §1.5)."""
    lab = LAB if LAB is not None else fuzz_lab(ca)
    headers = [("authorization", f"bearer {lab.jwt}"), ("apns-topic", APP)]
    for body in (
        b'{"aps":{"alert":"hi"},"n":NaN}',
        b'{"aps":{"alert":"\\ud800"}}',
        b'{"aps":{"alert":"hi"},"x":' + b"[" * 100 + b"]" * 100 + b"}",
    ):
        request = Request("POST", f"/3/device/{lab.token}", headers, bytearray(body))
        reply = lab.apns.handle(request, lab.auth)
        expected = lab.apns.options.invalid_payload_reason
        assert (reply.status, json.loads(reply.body)["reason"]) == (
            expected.status,
            expected.wire,
        )
