"""The sender's exceptions, all under one root::

SenderError
├── InvalidInput            bad data from a caller (field + message)
├── NotFound                an unknown device token or notification id
├── ProviderError           a provider could not be used at all
│   ├── ProviderUnreachable connection failed, timed out, or the answer was not HTTP
│   └── ProviderAuthError   credentials could not be loaded or refreshed
└── WalletApiError          the Google Wallet API refused a call (its status and message)
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


class WalletApiError(SenderError):
    """The Google Wallet API answered an error: ``status`` (HTTP), ``reason`` (the
    ``errors[].reason``, e.g. ``quotaExceeded``), ``message`` and ``rpc_status`` as Google sent
    them (reference/wallet.md §6)."""

    def __init__(
        self, status: int, message: str, reason: str | None = None, rpc_status: str | None = None
    ) -> None:
        super().__init__(f"Google Wallet API {status} {reason or rpc_status or ''}: {message}")
        self.status = status
        self.message = message
        self.reason = reason
        self.rpc_status = rpc_status

    @property
    def quota_exceeded(self) -> bool:
        """Google's answer to a fourth notification for a pass within 24 h (§7): send the
        message as ``TEXT`` (or the update without ``NOTIFY_ON_UPDATE``) instead."""
        return self.reason == "quotaExceeded"
