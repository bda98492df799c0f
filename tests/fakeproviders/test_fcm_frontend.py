"""The fake FCM's send decisions (sans-IO): targets, platforms, fan-out, faults."""

from __future__ import annotations

import json

import pytest

from fakeproviders.events import NotificationAccepted, NotificationDiscarded
from fakeproviders.faults import Fault
from tests.fakeproviders.fcm_support import APP, PROJECT, Harness, body, error_code


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_token_of_another_project_is_sender_id_mismatch(h: Harness) -> None:
    """A token registered for another sender gets 403 SENDER_ID_MISMATCH (reference §2.2)."""
    token = h.registry.register("phone-1", APP, project_id="other-proj")
    reply = h.send({"token": token})
    assert reply.status == 403
    assert body(reply)["error"]["status"] == "PERMISSION_DENIED"
    assert body(reply)["error"]["message"] == "SenderId mismatch"
    assert error_code(reply) == "SENDER_ID_MISMATCH"


def test_ios_token_without_apns_key_is_third_party_auth_error(h: Harness) -> None:
    """No APNs key in the project: 401, FcmError then ApnsError, Google's text (reference §2.3)."""
    h.registry.apns_key_configured = False
    token, inbox = h.phone(platform="ios")
    reply = h.send({"token": token, "notification": {"title": "Hi"}})
    assert (reply.status, body(reply)) == (401, {"error": {
        "code": 401, "message": "Auth error from APNS or Web Push Service",
        "status": "UNAUTHENTICATED",
        "details": [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
             "errorCode": "THIRD_PARTY_AUTH_ERROR"},
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.ApnsError",
             "statusCode": 403, "reason": "InvalidProviderToken"},
        ],
    }})  # fmt: skip
    assert inbox.pushes == []


def test_ios_token_gets_an_apns_shaped_push(h: Harness) -> None:
    """An iOS app registered with FCM gets apns-* headers and an aps payload with data keys."""
    token, inbox = h.phone(platform="ios")
    reply = h.send({"token": token, "notification": {"title": "Hi", "body": "there"},
                    "data": {"k": "v"}, "apns": {"headers": {"apns-collapse-id": "c1"}}})  # fmt: skip
    assert reply.status == 200
    [(_, push_id, headers, payload)] = inbox.pushes
    assert push_id == body(reply)["name"]
    assert headers["apns-push-type"] == "alert"
    assert headers["apns-priority"] == "10"
    assert headers["apns-topic"] == APP
    assert headers["apns-collapse-id"] == "c1"
    assert int(headers["apns-expiration"]) == int(h.clock.now()) + 30 * 86_400
    assert payload["aps"] == {"alert": {"title": "Hi", "body": "there"}}
    assert payload["k"] == "v"


def test_apns_payload_overrides_the_notification(h: Harness) -> None:
    """apns.payload.aps.alert wins over message.notification for iOS (reference §1.2)."""
    token, inbox = h.phone(platform="ios")
    h.send({"token": token, "notification": {"title": "generic"},
            "apns": {"payload": {"aps": {"alert": "specific", "badge": 3}, "x": 1}}})  # fmt: skip
    [(_, _, _, payload)] = inbox.pushes
    assert payload["aps"] == {"alert": "specific", "badge": 3}
    assert payload["x"] == 1


def test_data_message_to_ios_is_a_priority_5_background_push(h: Harness) -> None:
    """A data-only message to iOS goes as apns-push-type background, apns-priority 5."""
    token, inbox = h.phone(platform="ios")
    h.send({"token": token, "data": {"k": "v"},
            "apns": {"payload": {"aps": {"content-available": 1}}}})  # fmt: skip
    [(_, _, headers, payload)] = inbox.pushes
    assert (headers["apns-push-type"], headers["apns-priority"]) == ("background", "5")
    assert payload["aps"] == {"content-available": 1}


def test_data_message_to_ios_with_priority_10_is_invalid_argument(h: Harness) -> None:
    """An explicit apns-priority 10 on a data message to iOS is 400 (devices.md §2.5)."""
    token, inbox = h.phone(platform="ios")
    reply = h.send({"token": token, "data": {"k": "v"},
                    "apns": {"headers": {"apns-priority": "10"}}})  # fmt: skip
    assert (reply.status, error_code(reply)) == (400, "INVALID_ARGUMENT")
    assert inbox.pushes == []


def test_ios_token_never_goes_stale(h: Harness) -> None:
    """iOS tokens follow APNs, not the 270-day Android rule (reference §5)."""
    token = h.registry.register("iphone", APP, platform="ios")
    h.clock.advance(400 * 86_400)
    assert h.send({"token": token}).status == 200


def test_topic_send_fans_out_to_subscribers(h: Harness) -> None:
    """A topic send reaches every subscribed instance and nobody else."""
    a, inbox_a = h.phone("a")
    b, inbox_b = h.phone("b")
    _, inbox_c = h.phone("c")
    for token in (a, b):
        h.registry.subscribe(token, "news")
    reply = h.send({"topic": "news", "data": {"n": "1"}})
    assert reply.status == 200
    assert reply.recipients == 2
    name = body(reply)["name"]
    assert (inbox_a.ids, inbox_b.ids, inbox_c.ids) == ([name], [name], [])
    accepted = [e.token for e in h.events if isinstance(e, NotificationAccepted)]
    assert sorted(accepted) == sorted([a, b])


def test_topic_fan_out_follows_the_offline_rules(h: Harness) -> None:
    """Each subscriber is delivered under the usual rules: ttl 0 to an offline one is dropped."""
    a, inbox_a = h.phone("a")
    b, _ = h.phone("b")
    h.registry.disconnect("b")
    for token in (a, b):
        h.registry.subscribe(token, "news")
    h.send({"topic": "news", "android": {"ttl": "0s"}})
    assert len(inbox_a.pushes) == 1
    dropped = [e for e in h.events if isinstance(e, NotificationDiscarded)]
    assert [(e.token, e.reason) for e in dropped] == [(b, "ttl_zero")]


def test_condition_send_reaches_matching_instances(h: Harness) -> None:
    """'a' && ('b' || 'c') reaches instances subscribed to a and b, not to a alone."""
    both, inbox_both = h.phone("x")
    only_a, inbox_a = h.phone("y")
    h.registry.subscribe(both, "a")
    h.registry.subscribe(both, "c")
    h.registry.subscribe(only_a, "a")
    reply = h.send({"condition": "'a' in topics && ('b' in topics || 'c' in topics)"})
    assert reply.status == 200
    assert (len(inbox_both.pushes), len(inbox_a.pushes)) == (1, 0)


def test_negated_condition_reaches_unsubscribed_instances_when_allowed() -> None:
    """With ! switched on, !('a' in topics) reaches instances with no topics at all."""
    h = Harness(allow_not_in_conditions=True)
    subscribed, inbox_sub = h.phone("x")
    _, inbox_none = h.phone("y")
    h.registry.subscribe(subscribed, "a")
    assert h.send({"condition": "!('a' in topics)"}).status == 200
    assert (len(inbox_sub.pushes), len(inbox_none.pushes)) == (0, 1)


def test_topic_send_skips_instances_of_another_package(h: Harness) -> None:
    """restricted_package_name on a topic send reaches only that package's instances."""
    mine, inbox_mine = h.phone("x", APP)
    other, inbox_other = h.phone("y", "com.other.app")
    h.registry.subscribe(mine, "news")
    h.registry.subscribe(other, "news")
    reply = h.send({"topic": "news", "android": {"restricted_package_name": APP}})
    assert reply.recipients == 1
    assert (len(inbox_mine.pushes), len(inbox_other.pushes)) == (1, 0)


def test_validate_only_still_looks_the_token_up(h: Harness) -> None:
    """A dry run to an uninstalled token is 404 UNREGISTERED, like a real send (reference §8)."""
    token, _ = h.phone()
    h.registry.unregister(token)
    h.registry.report_app_removed(token)  # a push reached the phone, which said so
    reply = h.send({"token": token}, validate_only=True)
    assert (reply.status, error_code(reply)) == (404, "UNREGISTERED")


def test_validate_only_topic_send_delivers_nothing(h: Harness) -> None:
    """A dry-run topic send answers fake_message_id and reaches no subscriber."""
    token, inbox = h.phone()
    h.registry.subscribe(token, "news")
    reply = h.send({"topic": "news"}, validate_only=True)
    assert body(reply) == {"name": f"projects/{PROJECT}/messages/fake_message_id"}
    assert inbox.pushes == []


def test_project_number_is_accepted_in_the_url(h: Harness) -> None:
    """projects/{project_number} names the project as well as its id (reference §1.1)."""
    reply = h.send({"topic": "news"}, project=h.frontend.project_number)
    assert reply.status == 200


def test_fid_target_is_unregistered(h: Harness) -> None:
    """An FID the fake never issued is 404 UNREGISTERED, even a malformed one (reference §0.3)."""
    reply = h.send({"fid": "not-a-fid"})
    assert (reply.status, error_code(reply)) == (404, "UNREGISTERED")


def test_quota_exceeded_fault_is_429_with_integer_retry_after(h: Harness) -> None:
    """QUOTA_EXCEEDED: 429 RESOURCE_EXHAUSTED, FcmError first, integer Retry-After (§2.2, §2.4)."""
    h.faults.add(Fault(status=429, reason="QUOTA_EXCEEDED", retry_after=60))
    reply = h.send({"topic": "news"})
    error = body(reply)["error"]
    assert (reply.status, error["status"], error_code(reply)) == (
        429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED",
    )  # fmt: skip
    assert error["details"][0]["@type"].endswith("FcmError")
    assert reply.headers["retry-after"] == "60"


def test_internal_fault_is_500(h: Harness) -> None:
    """An INTERNAL fault answers 500 INTERNAL with FcmError INTERNAL."""
    h.faults.add(Fault(status=500, reason="INTERNAL"))
    reply = h.send({"topic": "news"})
    assert (reply.status, body(reply)["error"]["status"], error_code(reply)) == (
        500, "INTERNAL", "INTERNAL",
    )  # fmt: skip


def test_unavailable_fault_is_503_from_the_status_alone(h: Harness) -> None:
    """A fault naming only 503 answers UNAVAILABLE with its Retry-After."""
    h.faults.add(Fault(status=503, retry_after=5))
    reply = h.send({"topic": "news"})
    assert (reply.status, error_code(reply), reply.headers["retry-after"]) == (
        503, "UNAVAILABLE", "5",
    )  # fmt: skip


def test_fault_fails_n_times_then_succeeds(h: Harness) -> None:
    """times=2: two sends fail, the third goes through."""
    h.faults.add(Fault(status=503, times=2))
    assert [h.send({"topic": "news"}).status for _ in range(3)] == [503, 503, 200]


def test_fault_scoped_to_a_token_spares_other_tokens(h: Harness) -> None:
    """A fault for one token does not touch sends to another."""
    sick, _ = h.phone("a")
    well, _ = h.phone("b")
    h.faults.add(Fault(status=500, token=sick))
    assert (h.send({"token": sick}).status, h.send({"token": well}).status) == (500, 200)


def test_fault_scoped_to_a_topic(h: Harness) -> None:
    """A fault for one topic hits that topic's sends only."""
    h.faults.add(Fault(status=429, reason="QUOTA_EXCEEDED", topic="news"))
    assert (h.send({"topic": "news"}).status, h.send({"topic": "sport"}).status) == (429, 200)


def test_latency_only_fault_delays_a_normal_answer(h: Harness) -> None:
    """A fault without a status only adds latency: the answer is the usual 200."""
    fault = h.faults.add(Fault(latency=0.25))
    reply = h.send({"topic": "news"})
    assert (reply.status, reply.delay, reply.fault_id) == (200, 0.25, fault.fault_id)


def test_faults_are_consulted_before_validation(h: Harness) -> None:
    """A global fault answers even a request that would fail validation or auth."""
    h.faults.add(Fault(status=503))
    assert h.send({"token": "not-a-token", "bogus": 1}, auth=None).status == 503


def test_injected_unregistered_fault_has_googles_body(h: Harness) -> None:
    """A fault naming UNREGISTERED answers exactly Google's 404 body."""
    h.faults.add(Fault(status=404, reason="UNREGISTERED"))
    reply = h.send({"topic": "news"})
    assert body(reply)["error"]["message"] == "Requested entity was not found."
    assert error_code(reply) == "UNREGISTERED"


def test_fid_of_a_registered_instance_reaches_it(h: Harness) -> None:
    """A send to an instance's FID (the token's instance-id part) is delivered to it."""
    token, inbox = h.phone()
    fid = token.split(":")[0]
    reply = h.send({"fid": fid, "data": {"k": "v"}})
    assert reply.status == 200
    assert inbox.ids == [body(reply)["name"]]


def test_fid_of_an_uninstalled_instance_is_unregistered(h: Harness) -> None:
    """An FID whose app was uninstalled is 404 UNREGISTERED, like its token."""
    token, _ = h.phone()
    h.registry.unregister(token)
    h.registry.report_app_removed(token)  # a push reached the phone, which said so
    reply = h.send({"fid": token.split(":")[0]})
    assert (reply.status, error_code(reply)) == (404, "UNREGISTERED")


def test_restricted_package_name_mismatch_is_invalid_argument(h: Harness) -> None:
    """A token of another package than restricted_package_name is 400 (reference §1.3)."""
    token, inbox = h.phone()
    reply = h.send({"token": token, "android": {"restricted_package_name": "com.other"}})
    assert (reply.status, error_code(reply)) == (400, "INVALID_ARGUMENT")
    assert inbox.pushes == []


def test_unknown_bearer_token_is_401_without_details(h: Harness) -> None:
    """An access token the fake never issued: 401 with no details (reference §2.4)."""
    reply = h.send({"topic": "news"}, auth="Bearer ya29.forged")
    error = body(reply)["error"]
    assert (reply.status, error["status"], "details" in error) == (401, "UNAUTHENTICATED", False)


def test_accepted_send_is_written_like_googles_pretty_json(h: Harness) -> None:
    """A 200 answer is the two-space-indented JSON Google sends, byte for byte."""
    token, _ = h.phone()
    reply = h.send({"token": token})
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json; charset=UTF-8"
    assert reply.body == json.dumps(body(reply), indent=2).encode()
