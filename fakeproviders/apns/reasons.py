"""Every documented APNs rejection reason, as data: (wire string, HTTP status).

Source: reference/apns.md §2.4 (Apple's "Handling notification responses from APNs").
"""

from __future__ import annotations

import enum


class ApnsReason(enum.Enum):
    """A rejection reason: ``reason.wire`` is the JSON ``reason``, ``reason.status`` the ``:status``."""

    wire: str
    status: int

    def __init__(self, wire: str, status: int) -> None:
        self.wire = wire
        self.status = status

    BadCollapseId = ("BadCollapseId", 400)
    BadDeviceToken = ("BadDeviceToken", 400)
    BadExpirationDate = ("BadExpirationDate", 400)
    BadMessageId = ("BadMessageId", 400)
    BadPriority = ("BadPriority", 400)
    BadTopic = ("BadTopic", 400)
    DeviceTokenNotForTopic = ("DeviceTokenNotForTopic", 400)
    DuplicateHeaders = ("DuplicateHeaders", 400)
    IdleTimeout = ("IdleTimeout", 400)
    InvalidPushType = ("InvalidPushType", 400)
    MissingDeviceToken = ("MissingDeviceToken", 400)
    MissingTopic = ("MissingTopic", 400)
    PayloadEmpty = ("PayloadEmpty", 400)
    TopicDisallowed = ("TopicDisallowed", 400)
    BadCertificate = ("BadCertificate", 403)
    BadCertificateEnvironment = ("BadCertificateEnvironment", 403)
    ExpiredProviderToken = ("ExpiredProviderToken", 403)
    Forbidden = ("Forbidden", 403)
    InvalidProviderToken = ("InvalidProviderToken", 403)
    MissingProviderToken = ("MissingProviderToken", 403)
    UnrelatedKeyIdInToken = ("UnrelatedKeyIdInToken", 403)
    # Apple's table says BadEnvironmentKeyIdInToken; clients report BadEnvironmentKeyInToken on the
    # wire (reference/apns.md §2.6). Both exist so a setting can choose.
    BadEnvironmentKeyInToken = ("BadEnvironmentKeyInToken", 403)
    BadEnvironmentKeyIdInToken = ("BadEnvironmentKeyIdInToken", 403)
    BadPath = ("BadPath", 404)
    MethodNotAllowed = ("MethodNotAllowed", 405)
    ExpiredToken = ("ExpiredToken", 410)
    Unregistered = ("Unregistered", 410)
    PayloadTooLarge = ("PayloadTooLarge", 413)
    TooManyProviderTokenUpdates = ("TooManyProviderTokenUpdates", 429)
    TooManyRequests = ("TooManyRequests", 429)
    InternalServerError = ("InternalServerError", 500)
    ServiceUnavailable = ("ServiceUnavailable", 503)
    Shutdown = ("Shutdown", 503)

    @classmethod
    def from_wire(cls, wire: str) -> ApnsReason:
        """The member whose wire string is ``wire`` (``KeyError`` if none)."""
        return _BY_WIRE[wire]


_BY_WIRE: dict[str, ApnsReason] = {r.wire: r for r in ApnsReason}
