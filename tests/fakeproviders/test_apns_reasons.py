from __future__ import annotations

from fakeproviders.apns import ApnsReason

# reference/apns.md §2.4, status by status.
DOCUMENTED = {
    400: "BadCollapseId BadDeviceToken BadExpirationDate BadMessageId BadPriority BadTopic "
    "DeviceTokenNotForTopic DuplicateHeaders IdleTimeout InvalidPushType MissingDeviceToken "
    "MissingTopic PayloadEmpty TopicDisallowed",
    403: "BadCertificate BadCertificateEnvironment ExpiredProviderToken Forbidden "
    "InvalidProviderToken MissingProviderToken UnrelatedKeyIdInToken BadEnvironmentKeyIdInToken "
    "BadEnvironmentKeyInToken",
    404: "BadPath",
    405: "MethodNotAllowed",
    410: "ExpiredToken Unregistered",
    413: "PayloadTooLarge",
    429: "TooManyProviderTokenUpdates TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable Shutdown",
}


def test_every_documented_reason_has_its_status() -> None:
    """Each reason of Apple's table exists with its documented HTTP status, and no other does."""
    expected = {wire: status for status, names in DOCUMENTED.items() for wire in names.split()}
    assert {r.wire: r.status for r in ApnsReason} == expected


def test_from_wire_finds_the_member() -> None:
    """from_wire maps a JSON reason string back to its member."""
    assert ApnsReason.from_wire("Unregistered") is ApnsReason.Unregistered
