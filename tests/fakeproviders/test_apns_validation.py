from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fakeproviders.apns import ApnsOptions, ApnsRegistry, ApnsSigningKey
from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.validation import Accepted, ApnsValidator, Decision, Rejected

APP = "com.example.app"
OTHER_APP = "com.example.other"
T0 = 1_700_000_000.0
APNS_ID = "123e4567-e89b-12d3-a456-426614174000"
PAYLOAD = b'{"aps":{"alert":"hi"}}'


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.t = now

    def now(self) -> float:
        return self.t


KEY = ApnsSigningKey.generate()
OTHER_KEY = ApnsSigningKey.generate()


class Lab:
    """A validator over a registry with one phone that has APP and OTHER_APP installed."""

    def __init__(self, options: ApnsOptions | None = None) -> None:
        self.clock = FakeClock()
        # Immediate 410 after uninstall keeps these tests about validation, not the 410 rule.
        self.registry = ApnsRegistry(
            self.clock, options=ApnsOptions(uninstall_invalidation="immediate")
        )
        self.token = self.registry.register("p1", APP)
        self.other_token = self.registry.register("p1", OTHER_APP)
        # The app's special tokens, one per kind (fakeproviders/apns/kinds.py).
        self.special = {
            suffix: self.registry.register("p1", APP, kind=kind, activity_id=activity)
            for suffix, kind, activity in (
                (".voip", "voip", None),
                (".push-type.liveactivity", "liveactivity", "activity-1"),
                (".voip-ptt", "pushtotalk", None),
                (".location-query", "location", None),
            )
        }
        self.validator = ApnsValidator(
            keys=[KEY],
            topics=[APP, OTHER_APP],
            registry=self.registry,
            clock=self.clock,
            options=options,
        )
        self.auth = ConnectionAuth()
        self.jwt = KEY.provider_token(int(T0))

    def send(
        self,
        *,
        method: str = "POST",
        path: str | None = None,
        body: bytes = PAYLOAD,
        headers: Sequence[tuple[str, str]] | None = None,
        **overrides: str | None,
    ) -> Decision:
        fields: dict[str, str | None] = {
            "authorization": f"bearer {self.jwt}",
            "apns-topic": APP,
            "apns-push-type": "alert",
        }
        fields.update({k.replace("_", "-"): v for k, v in overrides.items()})
        pairs = [(k, v) for k, v in fields.items() if v is not None]
        pairs += list(headers or [])
        return self.validator.validate(
            method,
            path or f"/3/device/{self.token_for(fields['apns-topic'])}",
            pairs,
            body,
            self.auth,
        )

    def token_for(self, topic: str | None) -> str:
        """The token a correct sender uses for ``topic``: the special token of its kind."""
        for suffix, token in self.special.items():
            if topic is not None and topic == APP + suffix:
                return token
        return self.token


@pytest.fixture
def lab() -> Lab:
    return Lab()


def reason(decision: Decision) -> tuple[int, str]:
    assert isinstance(decision, Rejected), decision
    return decision.status, decision.reason


def test_valid_push_is_accepted_with_defaults(lab: Lab) -> None:
    """A valid push is accepted; priority and id defaults are filled in."""
    decision = lab.send()
    assert isinstance(decision, Accepted)
    assert decision.token == lab.token and decision.topic == APP
    assert decision.payload == {"aps": {"alert": "hi"}}
    assert decision.headers["apns-priority"] == "10"
    assert decision.headers["apns-push-type"] == "alert"
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", decision.apns_id
    )
    assert "authorization" not in decision.headers


def test_apns_id_is_echoed_byte_for_byte(lab: Lab) -> None:
    """A valid apns-id comes back exactly as sent, even in uppercase."""
    upper = APNS_ID.upper()
    decision = lab.send(apns_id=upper)
    assert isinstance(decision, Accepted) and decision.apns_id == upper


def test_malformed_apns_id_is_bad_message_id(lab: Lab) -> None:
    """An apns-id that is not an 8-4-4-4-12 UUID is 400 BadMessageId, with a fresh id."""
    decision = lab.send(apns_id="123e4567e89b12d3a456426614174000")
    assert reason(decision) == (400, "BadMessageId")
    assert decision.apns_id != "123e4567e89b12d3a456426614174000"


def test_method_other_than_post_is_405(lab: Lab) -> None:
    """Only POST is allowed: 405 MethodNotAllowed."""
    assert reason(lab.send(method="GET")) == (405, "MethodNotAllowed")


@pytest.mark.parametrize("path", ["/3/devices/ab", "/2/device/ab", "/", "/3/device/ab/cd"])
def test_wrong_path_is_404_bad_path(lab: Lab, path: str) -> None:
    """A path other than /3/device/<token> is 404 BadPath."""
    assert reason(lab.send(path=path)) == (404, "BadPath")


def test_empty_token_is_missing_device_token(lab: Lab) -> None:
    """/3/device/ with no token is 400 MissingDeviceToken."""
    assert reason(lab.send(path="/3/device/")) == (400, "MissingDeviceToken")


def test_non_hex_token_is_bad_device_token(lab: Lab) -> None:
    """A token that is not hex is 400 BadDeviceToken."""
    assert reason(lab.send(path="/3/device/not-hex")) == (400, "BadDeviceToken")


def test_unknown_token_is_bad_device_token(lab: Lab) -> None:
    """A hex token the registry never issued is 400 BadDeviceToken."""
    assert reason(lab.send(path="/3/device/" + "ab" * 32)) == (400, "BadDeviceToken")


def test_longer_tokens_are_looked_up_not_refused_by_length(lab: Lab) -> None:
    """Token length is not assumed: a 160-hex token is judged by the registry (BadDeviceToken)."""
    assert reason(lab.send(path="/3/device/" + "a" * 160)) == (400, "BadDeviceToken")


def test_uppercase_token_is_the_same_token(lab: Lab) -> None:
    """Hex case carries no meaning: the uppercase form of a token is accepted."""
    assert isinstance(lab.send(path=f"/3/device/{lab.token.upper()}"), Accepted)


def test_token_of_another_environment_is_bad_device_token() -> None:
    """A sandbox token sent to a production server is 400 BadDeviceToken."""
    clock = FakeClock()
    sandbox = ApnsRegistry(clock, environment="sandbox")
    token = sandbox.register("p1", APP)
    validator = ApnsValidator(
        keys=[KEY], topics=[APP], registry=sandbox, clock=clock, environment="production"
    )
    headers = [("authorization", f"bearer {KEY.provider_token(int(T0))}"), ("apns-topic", APP)]
    decision = validator.validate("POST", f"/3/device/{token}", headers, PAYLOAD, ConnectionAuth())
    assert reason(decision) == (400, "BadDeviceToken")


def test_token_of_another_app_is_device_token_not_for_topic(lab: Lab) -> None:
    """A token issued to another app than the topic is 400 DeviceTokenNotForTopic."""
    decision = lab.send(path=f"/3/device/{lab.other_token}")
    assert reason(decision) == (400, "DeviceTokenNotForTopic")


def test_uninstalled_token_is_410_with_ms_timestamp(lab: Lab) -> None:
    """After uninstall, the token gets 410 Unregistered with the invalidation time in ms."""
    lab.clock.t = T0 + 12.345
    lab.registry.unregister(lab.token)
    lab.clock.t = T0 + 100
    decision = lab.send()
    assert reason(decision) == (410, "Unregistered")
    assert isinstance(decision, Rejected) and decision.timestamp_ms == int((T0 + 12.345) * 1000)
    assert json.loads(decision.body()) == {
        "reason": "Unregistered",
        "timestamp": int((T0 + 12.345) * 1000),
    }


def test_error_body_is_reason_only_below_410(lab: Lab) -> None:
    """Errors other than 410 carry just {"reason": ...}."""
    decision = lab.send(path="/3/device/")
    assert isinstance(decision, Rejected) and decision.body() == b'{"reason":"MissingDeviceToken"}'


def test_missing_authorization_is_missing_provider_token(lab: Lab) -> None:
    """No authorization header is 403 MissingProviderToken."""
    assert reason(lab.send(authorization=None)) == (403, "MissingProviderToken")


def test_empty_bearer_is_missing_provider_token(lab: Lab) -> None:
    """An authorization header without a token is 403 MissingProviderToken."""
    assert reason(lab.send(authorization="bearer ")) == (403, "MissingProviderToken")


def test_token_signed_by_unknown_key_is_invalid(lab: Lab) -> None:
    """A JWT whose kid the server does not know is 403 InvalidProviderToken."""
    jwt = OTHER_KEY.provider_token(int(T0))
    assert reason(lab.send(authorization=f"bearer {jwt}")) == (403, "InvalidProviderToken")


def test_bad_signature_is_invalid_provider_token(lab: Lab) -> None:
    """A JWT with the right kid but signed by another key is 403 InvalidProviderToken."""
    forged = ApnsSigningKey(KEY.team_id, KEY.key_id, OTHER_KEY.private_key_pem)
    jwt = forged.provider_token(int(T0))
    assert reason(lab.send(authorization=f"bearer {jwt}")) == (403, "InvalidProviderToken")


def test_issuer_other_than_the_keys_team_is_invalid(lab: Lab) -> None:
    """A JWT whose iss is not the key's team is 403 InvalidProviderToken."""
    wrong_team = ApnsSigningKey("OTHERTEAM1", KEY.key_id, KEY.private_key_pem)
    jwt = wrong_team.provider_token(int(T0))
    assert reason(lab.send(authorization=f"bearer {jwt}")) == (403, "InvalidProviderToken")


def test_algorithm_other_than_es256_is_invalid(lab: Lab) -> None:
    """Only ES256 is accepted: an HS256 JWT is 403 InvalidProviderToken."""
    import jwt as pyjwt

    token = pyjwt.encode(
        {"iss": KEY.team_id, "iat": int(T0)},
        "s" * 32,
        algorithm="HS256",
        headers={"kid": KEY.key_id},
    )
    assert reason(lab.send(authorization=f"bearer {token}")) == (403, "InvalidProviderToken")


def test_garbage_bearer_is_invalid_provider_token(lab: Lab) -> None:
    """A bearer value that is not a JWT is 403 InvalidProviderToken."""
    assert reason(lab.send(authorization="bearer abc.def")) == (403, "InvalidProviderToken")


def test_token_older_than_an_hour_is_expired(lab: Lab) -> None:
    """A JWT whose iat is more than one hour old on the clock is 403 ExpiredProviderToken."""
    assert isinstance(lab.send(), Accepted)
    lab.clock.t = T0 + 3600
    assert isinstance(lab.send(), Accepted)
    lab.clock.t = T0 + 3601
    assert reason(lab.send()) == (403, "ExpiredProviderToken")


def test_old_token_is_expired_on_first_use(lab: Lab) -> None:
    """A JWT already over an hour old when first seen is 403 ExpiredProviderToken."""
    jwt = KEY.provider_token(int(T0) - 3601)
    assert reason(lab.send(authorization=f"bearer {jwt}")) == (403, "ExpiredProviderToken")


@pytest.mark.parametrize("iat", [T0 + 0.25, str(int(T0))])
def test_float_and_string_iat_are_accepted_by_default(lab: Lab, iat: float | str) -> None:
    """Real clients send a float (PyAPNs2) or string (kalyke) iat; by default they pass."""
    jwt = KEY.provider_token(iat)
    assert isinstance(lab.send(authorization=f"bearer {jwt}"), Accepted)


@pytest.mark.parametrize("iat", [T0 + 0.25, str(int(T0)), "soon", None])
def test_strict_iat_accepts_only_integers(iat: float | str | None) -> None:
    """With strict_iat, an iat that is not a JSON integer is 403 InvalidProviderToken."""
    lab = Lab(ApnsOptions(strict_iat=True))
    jwt = KEY.provider_token(iat)  # type: ignore[arg-type]
    assert reason(lab.send(authorization=f"bearer {jwt}")) == (403, "InvalidProviderToken")


def test_typ_header_is_accepted(lab: Lab) -> None:
    """A JWT with a typ header (PyJWT, PyAPNs2) is accepted."""
    jwt = KEY.provider_token(int(T0), typ="JWT")
    assert isinstance(lab.send(authorization=f"bearer {jwt}"), Accepted)


def test_new_token_within_20_minutes_is_too_many_updates(lab: Lab) -> None:
    """A second token on one connection less than 20 minutes newer is 429."""
    assert isinstance(lab.send(), Accepted)
    lab.clock.t = T0 + 600
    jwt = KEY.provider_token(int(T0) + 600)
    assert reason(lab.send(authorization=f"bearer {jwt}")) == (429, "TooManyProviderTokenUpdates")


def test_new_token_after_20_minutes_is_accepted(lab: Lab) -> None:
    """Refreshing the token after 20 minutes on the same connection is fine."""
    assert isinstance(lab.send(), Accepted)
    lab.clock.t = T0 + 1800
    jwt = KEY.provider_token(int(T0) + 1800)
    assert isinstance(lab.send(authorization=f"bearer {jwt}"), Accepted)


def test_missing_topic_is_missing_topic(lab: Lab) -> None:
    """No apns-topic with token auth is 400 MissingTopic."""
    assert reason(lab.send(apns_topic=None)) == (400, "MissingTopic")


def test_topic_not_served_is_topic_disallowed(lab: Lab) -> None:
    """A topic outside the server's topics is 400 TopicDisallowed."""
    assert reason(lab.send(apns_topic="com.unknown.app")) == (400, "TopicDisallowed")


@pytest.mark.parametrize("priority", ["1", "5", "10"])
def test_documented_priorities_are_accepted(lab: Lab, priority: str) -> None:
    """apns-priority 1, 5 and 10 are accepted and passed on."""
    decision = lab.send(apns_priority=priority)
    assert isinstance(decision, Accepted) and decision.headers["apns-priority"] == priority


@pytest.mark.parametrize("priority", ["0", "7", "high", ""])
def test_other_priorities_are_bad_priority(lab: Lab, priority: str) -> None:
    """Any other apns-priority is 400 BadPriority."""
    assert reason(lab.send(apns_priority=priority)) == (400, "BadPriority")


def test_background_with_priority_10_is_bad_priority(lab: Lab) -> None:
    """A background push with priority 10 is an error (400 BadPriority)."""
    decision = lab.send(apns_push_type="background", apns_priority="10")
    assert reason(decision) == (400, "BadPriority")


def test_unknown_push_type_is_invalid_push_type(lab: Lab) -> None:
    """An apns-push-type Apple does not define is 400 InvalidPushType."""
    assert reason(lab.send(apns_push_type="telepathy")) == (400, "InvalidPushType")


def test_voip_push_needs_the_voip_topic(lab: Lab) -> None:
    """A voip push to the bare bundle id is 400 BadTopic; to <bundle>.voip it is accepted."""
    assert reason(lab.send(apns_push_type="voip")) == (400, "BadTopic")
    decision = lab.send(apns_push_type="voip", apns_topic=f"{APP}.voip")
    assert isinstance(decision, Accepted) and decision.topic == f"{APP}.voip"


def test_push_type_is_inferred_from_the_topic_when_missing(lab: Lab) -> None:
    """Without apns-push-type, a .voip topic means voip and a bare bundle id means alert."""
    decision = lab.send(apns_push_type=None, apns_topic=f"{APP}.voip")
    assert isinstance(decision, Accepted) and decision.headers["apns-push-type"] == "voip"


@pytest.mark.parametrize("expiration", ["soon", "-1", "1.5"])
def test_malformed_expiration_is_bad_expiration_date(lab: Lab, expiration: str) -> None:
    """apns-expiration must be integer epoch seconds: else 400 BadExpirationDate."""
    assert reason(lab.send(apns_expiration=expiration)) == (400, "BadExpirationDate")


def test_long_collapse_id_is_bad_collapse_id(lab: Lab) -> None:
    """An apns-collapse-id over 64 bytes is 400 BadCollapseId; 64 bytes pass."""
    assert isinstance(lab.send(apns_collapse_id="c" * 64), Accepted)
    assert reason(lab.send(apns_collapse_id="c" * 65)) == (400, "BadCollapseId")


def test_repeated_header_is_duplicate_headers(lab: Lab) -> None:
    """A header sent twice is 400 DuplicateHeaders."""
    decision = lab.send(headers=[("apns-topic", APP)])
    assert reason(decision) == (400, "DuplicateHeaders")


def test_empty_body_is_payload_empty(lab: Lab) -> None:
    """An empty body is 400 PayloadEmpty."""
    assert reason(lab.send(body=b"")) == (400, "PayloadEmpty")


def test_payload_over_4096_bytes_is_too_large(lab: Lab) -> None:
    """A payload of 4096 bytes passes; 4097 bytes is 413 PayloadTooLarge."""

    def body(size: int) -> bytes:
        head = b'{"aps":{},"x":"'
        return head + b"a" * (size - len(head) - 2) + b'"}'

    assert isinstance(lab.send(body=body(4096)), Accepted)
    assert reason(lab.send(body=body(4097))) == (413, "PayloadTooLarge")


def test_voip_payload_may_reach_5120_bytes(lab: Lab) -> None:
    """VoIP pushes may carry up to 5120 bytes, and not more."""

    def body(size: int) -> bytes:
        head = b'{"aps":{},"x":"'
        return head + b"a" * (size - len(head) - 2) + b'"}'

    def voip(size: int) -> Decision:
        return lab.send(body=body(size), apns_push_type="voip", apns_topic=f"{APP}.voip")

    assert isinstance(voip(5120), Accepted)
    assert reason(voip(5121)) == (413, "PayloadTooLarge")


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"aps"', b"\xff\xfe"])
def test_body_that_is_not_a_json_object_gets_the_configured_reason(lab: Lab, body: bytes) -> None:
    """A body that is not a JSON object is 400 PayloadEmpty by default (see ApnsOptions)."""
    assert reason(lab.send(body=body)) == (400, "PayloadEmpty")


def test_invalid_payload_reason_is_a_setting() -> None:
    """invalid_payload_reason picks the answer to a non-object body."""
    from fakeproviders.apns import ApnsReason

    lab = Lab(ApnsOptions(invalid_payload_reason=ApnsReason.BadTopic))
    assert reason(lab.send(body=b"[]")) == (400, "BadTopic")


HEADER_NAMES = st.sampled_from(
    [
        "authorization",
        "apns-id",
        "apns-topic",
        "apns-priority",
        "apns-push-type",
        "apns-expiration",
        "apns-collapse-id",
        ":method",
        "x-other",
    ]
)
TEXT = st.text(max_size=80)


FUZZ_LAB = Lab()
VALUES = st.sampled_from(
    [APP, f"{APP}.voip", "voip", "background", "10", "5", "0", APNS_ID, f"bearer {FUZZ_LAB.jwt}"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.just("POST") | st.just("POST") | TEXT,
    path=st.just(f"/3/device/{FUZZ_LAB.token}")
    | st.sampled_from(["/3/device/", f"/3/device/{FUZZ_LAB.token}", ""]).flatmap(
        lambda p: st.text(alphabet="0123456789abcdefABCDEF/?x", max_size=3).map(lambda t: p + t)
    )
    | TEXT,
    overrides=st.dictionaries(HEADER_NAMES, VALUES | TEXT | st.none(), max_size=4),
    extra=st.lists(st.tuples(HEADER_NAMES | TEXT, TEXT), max_size=2),
    body=st.binary(max_size=200) | st.sampled_from([PAYLOAD, b"[" * 3000, b"1" * 5000]),
)
def test_any_request_gets_a_decision_never_an_exception(
    method: str,
    path: str,
    overrides: dict[str, str | None],
    extra: list[tuple[str, str]],
    body: bytes,
) -> None:
    """Arbitrary method, path, headers and body always give Accepted or Rejected."""
    fields: dict[str, str | None] = {"authorization": f"bearer {FUZZ_LAB.jwt}", "apns-topic": APP}
    fields.update(overrides)
    headers = [(k, v) for k, v in fields.items() if v is not None] + extra
    decision = FUZZ_LAB.validator.validate(method, path, headers, body, FUZZ_LAB.auth)
    assert isinstance(decision, Accepted | Rejected)
    event("accepted" if isinstance(decision, Accepted) else decision.reason)
    if isinstance(decision, Rejected):
        assert json.loads(decision.body())["reason"] == decision.reason
