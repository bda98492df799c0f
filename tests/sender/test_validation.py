"""Input rules for device registrations and notification requests (sans-IO)."""

from __future__ import annotations

import pytest

from sender.errors import InvalidInput
from sender.models import NotificationRequest
from sender.validation import check_device, check_request


@pytest.mark.parametrize("token", ["ab" * 32, "AB" * 50, "0f" * 80, "12"])
def test_apns_tokens_of_any_even_length_are_accepted(token: str) -> None:
    """APNs tokens are hex of any even length: Apple says not to assume a size."""
    check_device(token, "ios", "com.example", "u")


@pytest.mark.parametrize("token", ["abc", "zz" * 32, "ab cd", ""])
def test_malformed_apns_tokens_are_refused(token: str) -> None:
    """Odd-length, non-hex or empty APNs tokens are refused."""
    with pytest.raises(InvalidInput) as info:
        check_device(token, "ios", "com.example", "u")
    assert info.value.field == "token"


@pytest.mark.parametrize("token", ["fGw0qy4TGgk:APA91bGt-_x", "abc"])
def test_fcm_tokens_are_url_safe(token: str) -> None:
    """FCM tokens of URL-safe characters and ':' are accepted."""
    check_device(token, "android", "com.example", "u")


@pytest.mark.parametrize("token", ["has space", "slash/y", "é"])
def test_malformed_fcm_tokens_are_refused(token: str) -> None:
    """FCM tokens with other characters are refused."""
    with pytest.raises(InvalidInput):
        check_device(token, "android", "com.example", "u")


def test_unknown_platform_is_refused() -> None:
    """Only ios and android are platforms."""
    with pytest.raises(InvalidInput) as info:
        check_device("ab", "web", "com.example", "u")
    assert info.value.field == "platform"


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (NotificationRequest(user_id="u"), "title"),
        (NotificationRequest(user_id="", title="t"), "user_id"),
        (NotificationRequest(user_id="u", title="t", ttl=-1), "ttl"),
        (NotificationRequest(user_id="u", title="t", collapse_key="x" * 65), "collapse_key"),
        (NotificationRequest(user_id="u", title="t", data={"from": "x"}), "data.from"),
        (NotificationRequest(user_id="u", title="t", data={"google.x": "x"}), "data.google.x"),
        (
            NotificationRequest(user_id="u", title="t", data={"notification_id": "x"}),
            "data.notification_id",
        ),
    ],
)
def test_bad_requests_name_the_field(request_: NotificationRequest, field: str) -> None:
    """Each invalid request is refused with the offending field named."""
    with pytest.raises(InvalidInput) as info:
        check_request(request_)
    assert info.value.field == field


def test_data_push_needs_no_title() -> None:
    """A data push with only data is valid."""
    check_request(NotificationRequest(user_id="u", kind="data", data={"k": "v"}))
