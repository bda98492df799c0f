"""Topic management: the Instance ID API and the v1 registrations API (reference §4), sans-IO."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakeproviders.fcm.topics import TooManyTopics, TopicSubscriptions
from tests.fakeproviders.fcm_support import APP, BEARER, PROJECT, Harness, body, error_code


@pytest.fixture
def h() -> Harness:
    return Harness()


def batch(h: Harness, operation: str, topic: str, tokens: list[Any], auth: str | None = BEARER):
    raw = json.dumps({"to": f"/topics/{topic}", "registration_tokens": tokens}).encode()
    return h.topics.iid_batch(operation, auth, raw)


def test_iid_batch_add_subscribes_and_answers_per_token(h: Harness) -> None:
    """batchAdd answers one result per token: {} when done, an error code otherwise."""
    good = h.registry.register("phone-1", APP)
    dead = h.registry.register("phone-2", APP)
    h.registry.unregister(dead)
    h.registry.report_app_removed(dead)  # a push reached the phone, which said so
    reply = batch(h, "batchAdd", "news", [good, dead, "not-a-token"])
    assert reply.status == 200
    assert body(reply) == {"results": [{}, {"error": "NOT_FOUND"}, {"error": "INVALID_ARGUMENT"}]}
    assert h.registry.subscribers("news") == [good]


def test_iid_batch_remove_unsubscribes(h: Harness) -> None:
    """batchRemove takes the topic away."""
    token = h.registry.register("phone-1", APP)
    h.registry.subscribe(token, "news")
    assert body(batch(h, "batchRemove", "news", [token])) == {"results": [{}]}
    assert h.registry.topics_of(token) == {}


def test_iid_token_of_another_project_is_invalid_argument(h: Harness) -> None:
    """A token of another sender is INVALID_ARGUMENT in the results (reference §4.1)."""
    token = h.registry.register("phone-1", APP, project_id="other")
    assert body(batch(h, "batchAdd", "news", [token])) == {
        "results": [{"error": "INVALID_ARGUMENT"}]
    }


def test_iid_batch_of_more_than_1000_tokens_is_refused(h: Harness) -> None:
    """At most 1000 tokens per batch: more is a whole-request 400."""
    token = h.registry.register("phone-1", APP)
    reply = batch(h, "batchAdd", "news", [token] * 1001)
    assert (reply.status, body(reply)) == (400, {"error": "INVALID_ARGUMENT"})


def test_iid_too_many_topics_per_instance(h: Harness) -> None:
    """The 2001st topic of one instance is TOO_MANY_TOPICS."""
    h.registry.topics.max_topics_per_token = 3  # the same rule as 2000, cheaper to reach
    token = h.registry.register("phone-1", APP)
    for topic in ("a", "b", "c"):
        h.registry.subscribe(token, topic)
    assert body(batch(h, "batchAdd", "d", [token])) == {"results": [{"error": "TOO_MANY_TOPICS"}]}


def test_two_thousand_topics_per_instance_is_the_default_limit() -> None:
    """The store refuses topic 2001 by default (reference §4.1)."""
    store = TopicSubscriptions()
    for i in range(2000):
        store.add("tok", f"t{i}", 0.0)
    with pytest.raises(TooManyTopics):
        store.add("tok", "one-more", 0.0)


def test_iid_bad_topic_is_a_whole_request_400(h: Harness) -> None:
    """A 'to' without /topics/ or with a bad name is refused as a whole."""
    token = h.registry.register("phone-1", APP)
    raw = json.dumps({"to": "news", "registration_tokens": [token]}).encode()
    assert h.topics.iid_batch("batchAdd", BEARER, raw).status == 400


def test_iid_without_credentials_is_401(h: Harness) -> None:
    """The IID API needs an OAuth2 bearer since June 2024 (reference §4.1)."""
    token = h.registry.register("phone-1", APP)
    assert batch(h, "batchAdd", "news", [token], auth=None).status == 401


def test_iid_rel_subscribes_one_token(h: Harness) -> None:
    """POST iid/v1/{token}/rel/topics/{topic} answers {} and subscribes."""
    token = h.registry.register("phone-1", APP)
    reply = h.topics.iid_rel(token, "news", BEARER)
    assert (reply.status, body(reply)) == (200, {})
    assert "news" in h.registry.topics_of(token)


def test_iid_rel_unknown_token_is_404(h: Harness) -> None:
    """rel/topics for a token FCM does not know is 404 NOT_FOUND."""
    reply = h.topics.iid_rel("abcdefgh:" + "A" * 40, "news", BEARER)
    assert (reply.status, body(reply)) == (404, {"error": "NOT_FOUND"})


def test_iid_info_with_details_lists_topics(h: Harness) -> None:
    """iid/info?details=true shows the app, the project number and the topics with dates."""
    token = h.registry.register("phone-1", APP)
    h.registry.subscribe(token, "news")
    info = body(h.topics.iid_info(token, True, BEARER))
    assert info["application"] == APP
    assert info["authorizedEntity"] == h.frontend.project_number
    assert info["platform"] == "ANDROID"
    assert list(info["rel"]["topics"]) == ["news"]
    assert len(info["rel"]["topics"]["news"]["addDate"]) == 10


def test_iid_info_without_details_has_no_rel(h: Harness) -> None:
    """Without details=true there is no rel block."""
    token = h.registry.register("phone-1", APP)
    assert "rel" not in body(h.topics.iid_info(token, False, BEARER))


def test_iid_info_of_unknown_instance_is_404(h: Harness) -> None:
    """An unknown instance: 404 with Google's text."""
    reply = h.topics.iid_info("abcdefgh:" + "A" * 40, True, BEARER)
    assert (reply.status, body(reply)) == (
        404, {"error": "No information found about this instance id."},
    )  # fmt: skip


def test_v1_create_answers_the_subscription_resource(h: Harness) -> None:
    """create answers {name, topicName, createTime} and subscribes the token."""
    token = h.registry.register("phone-1", APP)
    reply = h.topics.create(PROJECT, token, {"topic_name": "news"}, BEARER, b"{}")
    resource = body(reply)
    assert reply.status == 200
    assert resource["name"] == f"projects/{PROJECT}/registrations/{token}/topicSubscriptions/news"
    assert resource["topicName"] == "news"
    assert resource["createTime"].endswith("Z")
    assert h.registry.subscribers("news") == [token]


def test_v1_create_twice_is_409_already_exists(h: Harness) -> None:
    """Subscribing again is 409 ALREADY_EXISTS (firebase-admin counts it as success)."""
    token = h.registry.register("phone-1", APP)
    h.topics.create(PROJECT, token, {"topic_name": "news"}, BEARER, b"{}")
    reply = h.topics.create(PROJECT, token, {"topicName": "news"}, BEARER, b"{}")
    assert (reply.status, body(reply)["error"]["status"]) == (409, "ALREADY_EXISTS")


def test_v1_create_for_unknown_token_is_unregistered(h: Harness) -> None:
    """An unknown registration is 404 with FcmError UNREGISTERED [U]."""
    reply = h.topics.create(PROJECT, "abcdefgh:" + "A" * 40, {"topic_name": "n"}, BEARER, b"")
    assert (reply.status, error_code(reply)) == (404, "UNREGISTERED")


def test_v1_create_with_bad_topic_is_400(h: Harness) -> None:
    """A topic outside [a-zA-Z0-9-_.~%]{1,900} is INVALID_ARGUMENT."""
    token = h.registry.register("phone-1", APP)
    reply = h.topics.create(PROJECT, token, {"topic_name": "bad topic"}, BEARER, b"")
    assert (reply.status, error_code(reply)) == (400, "INVALID_ARGUMENT")


def test_v1_delete_with_allow_missing_is_ok_when_absent(h: Harness) -> None:
    """delete of an absent subscription: 200 with allow_missing, 404 without."""
    token = h.registry.register("phone-1", APP)
    allowed = h.topics.delete(PROJECT, token, "news", {"allow_missing": "true"}, BEARER)
    strict = h.topics.delete(PROJECT, token, "news", {}, BEARER)
    assert (allowed.status, strict.status) == (200, 404)


def test_v1_get_and_list(h: Harness) -> None:
    """get shows one subscription; list pages through them with nextPageToken."""
    token = h.registry.register("phone-1", APP)
    for topic in ("a", "b", "c"):
        h.registry.subscribe(token, topic)
    assert body(h.topics.get(PROJECT, token, "b", BEARER))["topicName"] == "b"
    first = body(h.topics.list(PROJECT, token, {"pageSize": "2"}, BEARER))
    assert [s["topicName"] for s in first["topicSubscriptions"]] == ["a", "b"]
    rest = body(h.topics.list(PROJECT, token, {"pageToken": first["nextPageToken"]}, BEARER))
    assert [s["topicName"] for s in rest["topicSubscriptions"]] == ["c"]
    assert "nextPageToken" not in rest


def test_v1_other_project_in_url_is_403(h: Harness) -> None:
    """A project the credentials do not cover is 403 PERMISSION_DENIED."""
    token = h.registry.register("phone-1", APP)
    reply = h.topics.create("someone-else", token, {"topic_name": "n"}, BEARER, b"")
    assert (reply.status, body(reply)["error"]["status"]) == (403, "PERMISSION_DENIED")


def test_v1_registration_may_be_an_fid(h: Harness) -> None:
    """{registration} may be the instance's FID instead of its token (reference §4.2)."""
    token = h.registry.register("phone-1", APP)
    fid = token.split(":")[0]
    assert h.topics.create(PROJECT, fid, {"topic_name": "news"}, BEARER, b"").status == 200
    assert h.registry.subscribers("news") == [token]
