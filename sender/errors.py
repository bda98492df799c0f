"""The sender's exceptions, all under one root::

SenderError
├── InvalidInput            bad data from a caller (field + message)
├── NotFound                an unknown device token or notification id
└── ProviderError           a provider could not be used at all
    ├── ProviderUnreachable connection failed, timed out, or the answer was not HTTP
    └── ProviderAuthError   credentials could not be loaded or refreshed
"""

from __future__ import annotations


class SenderError(Exception):
    """Root of every error the sender raises on purpose."""


class InvalidInput(SenderError):
    """A caller gave data the sender refuses; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(SenderError):
    """An unknown id: ``kind`` is ``"device"`` or ``"notification"``."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"unknown {kind}: {key}")
        self.kind = kind
        self.key = key


class ProviderError(SenderError):
    """APNs or FCM could not be used to send at all."""


class ProviderUnreachable(ProviderError):
    """No HTTP answer: connection refused, TLS failure, timeout, protocol error."""


class ProviderAuthError(ProviderError):
    """The provider credentials could not be loaded or refreshed."""
