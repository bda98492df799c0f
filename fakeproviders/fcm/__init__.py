"""The fake FCM: HTTP v1 ``messages:send``, its OAuth2 token endpoint, and Android delivery.

reference/fcm.md describes the real service this imitates.
"""

from __future__ import annotations

from fakeproviders.fcm.errors import FakeFcmError
from fakeproviders.fcm.registry import FcmRegistry
from fakeproviders.fcm.server import FakeFcm
from fakeproviders.fcm.service_account import ServiceAccount

__all__ = ["FakeFcm", "FakeFcmError", "FcmRegistry", "ServiceAccount"]
