"""Validation rules added beyond the basics: key binding and scope, certificate connections,
payload and Live Activity checks, per-token rate, ExpiredToken. Sans-IO, on the validator."""

from __future__ import annotations

import pytest

from fakeproviders.apns import ApnsOptions, ApnsReason, ApnsSigningKey
from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.certificates import PushCertificate
from fakeproviders.apns.validation import Accepted, ApnsValidator
from tests.fakeproviders.test_apns_validation import APP, KEY, T0, Lab, reason

LA_TOPIC = f"{APP}.push-type.liveactivity"
LA_UPDATE = b'{"aps":{"event":"update","timestamp":1700000000,"content-state":{"score":1}}}'


def lab_with_keys(*keys: ApnsSigningKey, environment: str = "sandbox") -> Lab:
    lab = Lab()
    lab.validator = ApnsValidator(
        keys=keys,
        topics=[APP, "com.example.other"],
        registry=lab.registry,
        clock=lab.clock,
        environment=environment,
    )
    return lab


def send_with(lab: Lab, key: ApnsSigningKey, iat: float = T0) -> object:
    lab.jwt = key.provider_token(int(iat))
    return lab.send()


def test_key_scoped_to_the_other_environment_is_bad_environment_key_in_token() -> None:
    """A production-only key on the sandbox server gets 403 BadEnvironmentKeyInToken."""
    key = ApnsSigningKey.generate(environment="production")
    lab = lab_with_keys(key)
    assert reason(send_with(lab, key)) == (403, "BadEnvironmentKeyInToken")


def test_environment_key_reason_string_is_a_setting() -> None:
    """environment_key_reason switches to Apple's documented BadEnvironmentKeyIdInToken."""
    key = ApnsSigningKey.generate(environment="production")
    lab = Lab(ApnsOptions(environment_key_reason=ApnsReason.BadEnvironmentKeyIdInToken))
    lab.validator = ApnsValidator(
        keys=[key],
        topics=[APP],
        registry=lab.registry,
        clock=lab.clock,
        options=ApnsOptions(environment_key_reason=ApnsReason.BadEnvironmentKeyIdInToken),
    )
    assert reason(send_with(lab, key)) == (403, "BadEnvironmentKeyIdInToken")


def test_key_of_its_own_environment_is_accepted() -> None:
    """A sandbox-only key works on the sandbox server."""
    key = ApnsSigningKey.generate(environment="sandbox")
    assert isinstance(send_with(lab_with_keys(key), key), Accepted)


def test_topic_key_after_a_team_key_is_unrelated_key_id_in_token() -> None:
    """After a team key's first push, a topic-specific key on the connection is
    UnrelatedKeyIdInToken."""
    team = ApnsSigningKey.generate()
    topic_key = ApnsSigningKey.generate(team.team_id, topics=frozenset({APP}))
    lab = lab_with_keys(team, topic_key)
    assert isinstance(send_with(lab, team), Accepted)
    lab.clock.t += 1300
    assert reason(send_with(lab, topic_key, T0 + 1300)) == (403, "UnrelatedKeyIdInToken")


def test_another_team_key_of_the_same_team_is_accepted() -> None:
    """Two team keys of one team may follow each other on one connection."""
    first = ApnsSigningKey.generate()
    second = ApnsSigningKey.generate(first.team_id)
    lab = lab_with_keys(first, second)
    assert isinstance(send_with(lab, first), Accepted)
    lab.clock.t += 1300
    assert isinstance(send_with(lab, second, T0 + 1300), Accepted)


def test_key_of_another_team_on_the_connection_is_invalid_provider_token() -> None:
    """One team per connection: another team's key is 403 InvalidProviderToken."""
    first, other = ApnsSigningKey.generate(), ApnsSigningKey.generate()
    lab = lab_with_keys(first, other)
    assert isinstance(send_with(lab, first), Accepted)
    lab.clock.t += 1300
    assert reason(send_with(lab, other, T0 + 1300)) == (403, "InvalidProviderToken")


def test_topic_key_on_a_topic_it_does_not_list_is_topic_disallowed() -> None:
    """A topic-specific key used for a bundle it does not list gets TopicDisallowed."""
    key = ApnsSigningKey.generate(topics=frozenset({"com.example.other"}))
    assert reason(send_with(lab_with_keys(key), key)) == (400, "TopicDisallowed")


def test_strict_jwt_header_refuses_typ() -> None:
    """With strict_jwt_header, a JWT header carrying typ is InvalidProviderToken."""
    lab = Lab(ApnsOptions(strict_jwt_header=True))
    lab.jwt = KEY.provider_token(int(T0), typ="JWT")
    assert reason(lab.send()) == (403, "InvalidProviderToken")


def certificate_lab(*topics: str, options: ApnsOptions | None = None) -> Lab:
    lab = Lab(options)
    cert = PushCertificate(APP, frozenset({APP, *topics}), frozenset({"sandbox"}))
    lab.auth = ConnectionAuth(cert)
    return lab


def test_certificate_connection_needs_no_authorization() -> None:
    """On a certificate connection a push without authorization is accepted."""
    assert isinstance(certificate_lab().send(authorization=None), Accepted)


def test_certificate_default_topic_is_its_uid() -> None:
    """A single-topic certificate's push without apns-topic goes to the UID's bundle."""
    decision = certificate_lab().send(authorization=None, apns_topic=None)
    assert isinstance(decision, Accepted) and decision.topic == APP


def test_multi_topic_certificate_without_topic_is_missing_topic() -> None:
    """A multi-topic certificate (UID + .voip) needs apns-topic: MissingTopic otherwise."""
    lab = certificate_lab(f"{APP}.voip")
    assert reason(lab.send(authorization=None, apns_topic=None)) == (400, "MissingTopic")


def test_certificate_topic_not_in_the_certificate_is_topic_disallowed() -> None:
    """A topic the certificate does not cover gets TopicDisallowed."""
    lab = certificate_lab()
    assert reason(lab.send(authorization=None, apns_topic="com.example.other")) == (
        400,
        "TopicDisallowed",
    )


def test_location_push_on_a_certificate_is_forbidden() -> None:
    """location is token-auth only: on a certificate connection it is 403 Forbidden."""
    lab = certificate_lab(f"{APP}.location-query")
    decision = lab.send(
        authorization=None, apns_topic=f"{APP}.location-query", apns_push_type="location"
    )
    assert reason(decision) == (403, "Forbidden")


def test_payload_without_aps_gets_the_invalid_payload_reason(lab: Lab) -> None:
    """A JSON object without an aps dictionary is refused with invalid_payload_reason."""
    assert reason(lab.send(body=b'{"custom":1}')) == (400, "PayloadEmpty")


def test_mdm_payload_needs_no_aps(lab: Lab) -> None:
    """mdm pushes carry {"mdm": …}, not aps, and are accepted."""
    decision = lab.send(body=b'{"mdm":"magic"}', apns_push_type="mdm")
    assert isinstance(decision, Accepted)


def test_live_activity_update_is_accepted(lab: Lab) -> None:
    """A liveactivity update with event, timestamp and content-state is accepted."""
    decision = lab.send(body=LA_UPDATE, apns_topic=LA_TOPIC, apns_push_type="liveactivity")
    assert isinstance(decision, Accepted)


@pytest.mark.parametrize(
    "aps",
    [
        b'{"aps":{"event":"update","content-state":{}}}',  # no timestamp
        b'{"aps":{"event":"pause","timestamp":1,"content-state":{}}}',  # unknown event
        b'{"aps":{"event":"update","timestamp":1}}',  # update without content-state
        b'{"aps":{"event":"start","timestamp":1,"content-state":{}}}',  # start without attributes
        b'{"aps":{"event":"end","timestamp":1,"stale-date":"soon"}}',  # a date that is not a number
    ],
)
def test_live_activity_payload_rules(lab: Lab, aps: bytes) -> None:
    """Live Activity payloads breaking the event/timestamp/content-state/start rules are refused."""
    decision = lab.send(body=aps, apns_topic=LA_TOPIC, apns_push_type="liveactivity")
    assert reason(decision) == (400, "PayloadEmpty")


def test_live_activity_start_with_attributes_is_accepted(lab: Lab) -> None:
    """A push-to-start payload with alert, attributes-type and attributes is accepted."""
    body = (
        b'{"aps":{"event":"start","timestamp":1,"content-state":{},"alert":{"title":"Go"},'
        b'"attributes-type":"MatchAttributes","attributes":{"team":"A"}}}'
    )
    decision = lab.send(body=body, apns_topic=LA_TOPIC, apns_push_type="liveactivity")
    assert isinstance(decision, Accepted)


def test_live_activity_priority_1_is_bad_priority(lab: Lab) -> None:
    """Live Activities take priority 5 or 10: 1 is BadPriority."""
    decision = lab.send(
        body=LA_UPDATE, apns_topic=LA_TOPIC, apns_push_type="liveactivity", apns_priority="1"
    )
    assert reason(decision) == (400, "BadPriority")


@pytest.mark.parametrize(
    ("push_type", "suffix"),
    [("widgets", ".push-type.widgets"), ("controls", ".push-type.controls")],
)
def test_widgets_and_controls_push_types_need_their_suffix(
    lab: Lab, push_type: str, suffix: str
) -> None:
    """widgets and controls are known push types, accepted on their suffixed topic only."""
    assert isinstance(lab.send(apns_push_type=push_type, apns_topic=APP + suffix), Accepted)
    assert reason(lab.send(apns_push_type=push_type)) == (400, "BadTopic")


def test_too_many_requests_to_one_token_is_429() -> None:
    """Over requests_per_token pushes to one token in the window get 429 TooManyRequests."""
    lab = Lab(ApnsOptions(requests_per_token=(2, 60.0)))
    assert isinstance(lab.send(), Accepted)
    assert isinstance(lab.send(), Accepted)
    assert reason(lab.send()) == (429, "TooManyRequests")
    lab.clock.t += 61
    assert isinstance(lab.send(), Accepted)


def test_expired_token_is_410_expired_token_with_timestamp(lab: Lab) -> None:
    """An expired device token gets 410 ExpiredToken with an integer ms timestamp."""
    lab.registry.expire(lab.token)
    decision = lab.send()
    assert reason(decision) == (410, "ExpiredToken")
    assert decision.timestamp_ms == int(T0 * 1000)  # type: ignore[union-attr]


@pytest.fixture
def lab() -> Lab:
    return Lab()


@pytest.mark.parametrize(
    ("topic", "push_type", "token_suffix"),
    [
        (f"{APP}.voip", "voip", ""),  # the app's notification token sent as VoIP
        (APP, "alert", ".voip"),  # a VoIP token sent as an alert
        (LA_TOPIC, "liveactivity", ".voip-ptt"),  # a push-to-talk token sent as a Live Activity
        (f"{APP}.location-query", "location", ".push-type.liveactivity"),
        (f"{APP}.voip-ptt", "pushtotalk", ".location-query"),
    ],
)
def test_token_of_another_kind_is_device_token_not_for_topic(
    lab: Lab, topic: str, push_type: str, token_suffix: str
) -> None:
    """A token pushed with a topic of another kind gets 400 DeviceTokenNotForTopic."""
    token = lab.token_for(APP + token_suffix)
    body = LA_UPDATE if push_type == "liveactivity" else b'{"aps":{}}'
    decision = lab.send(
        path=f"/3/device/{token}", body=body, apns_topic=topic, apns_push_type=push_type
    )
    assert reason(decision) == (400, "DeviceTokenNotForTopic")


def test_token_topic_reason_is_a_setting() -> None:
    """token_topic_reason chooses the answer to a token of the wrong kind ([U] from Apple)."""
    lab = Lab(ApnsOptions(token_topic_reason=ApnsReason.TopicDisallowed))
    decision = lab.send(
        path=f"/3/device/{lab.token}", apns_topic=f"{APP}.voip", apns_push_type="voip"
    )
    assert reason(decision) == (400, "TopicDisallowed")


def test_each_special_token_is_accepted_on_its_own_topic(lab: Lab) -> None:
    """VoIP, push-to-talk and location tokens are accepted with their own topics."""
    for topic, push_type in (
        (f"{APP}.voip", "voip"),
        (f"{APP}.voip-ptt", "pushtotalk"),
        (f"{APP}.location-query", "location"),
    ):
        decision = lab.send(body=b'{"aps":{}}', apns_topic=topic, apns_push_type=push_type)
        assert isinstance(decision, Accepted), (topic, decision)
