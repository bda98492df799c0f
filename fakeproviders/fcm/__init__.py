"""The fake FCM: HTTP v1 ``messages:send``, OAuth2, topic management, and delivery to phones.

reference/fcm.md describes the real service this imitates.
"""

from __future__ import annotations

from fakeproviders.fcm.errors import FakeFcmError
from fakeproviders.fcm.inspection import LoggedRequest, RequestLog
from fakeproviders.fcm.options import FcmOptions
from fakeproviders.fcm.registry import FcmRegistry
from fakeproviders.fcm.server import FakeFcm
from fakeproviders.fcm.service_account import ServiceAccount
from fakeproviders.fcm.tokens import Platform, Registration, UnknownToken
from fakeproviders.fcm.topics import InvalidTopic, TooManyTopics, TopicError

__all__ = [
    "FakeFcm",
    "FakeFcmError",
    "FcmOptions",
    "FcmRegistry",
    "InvalidTopic",
    "LoggedRequest",
    "Platform",
    "Registration",
    "RequestLog",
    "ServiceAccount",
    "TooManyTopics",
    "TopicError",
    "UnknownToken",
]
