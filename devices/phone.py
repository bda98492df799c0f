"""Simulated phones: the public entry point (``from devices.phone import IosPhone, AndroidPhone``).

The shared behaviour is in :mod:`devices.base`, the platforms' rules in :mod:`devices.ios` and
:mod:`devices.android`.
"""

from __future__ import annotations

from devices.android import AndroidPhone
from devices.base import ANDROID_TOKEN_RULES, IOS_TOKEN_RULES, Clock, Phone, TokenRules
from devices.ios import IosPhone

__all__ = [
    "ANDROID_TOKEN_RULES",
    "IOS_TOKEN_RULES",
    "AndroidPhone",
    "Clock",
    "IosPhone",
    "Phone",
    "TokenRules",
]
