"""A pass in the iPhone's Wallet (devices/wallet.py): what Wallet keeps of it, what the user
sees, and how its web service is addressed (reference/wallet.md §1)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.pkpass import PassData
from devices.wallet_web import HttpResponse


class HeldPass:
    """A pass in Wallet and its per-pass switches."""

    __slots__ = (
        "automatic_updates",
        "data",
        "last_modified",
        "notifications",
        "registered",
        "updates",
    )

    def __init__(self, data: PassData) -> None:
        self.data = data
        self.notifications = True
        self.automatic_updates = True
        self.registered = False
        self.last_modified: str | None = None
        self.updates = 0

    def view(self) -> WalletPass:
        return WalletPass(
            pass_type_id=self.data.pass_type_id,
            serial_number=self.data.serial_number,
            organization_name=self.data.organization_name,
            fields={key: fld.value for key, fld in self.data.fields.items()},
            notifications=self.notifications,
            automatic_updates=self.automatic_updates,
            registered=self.registered,
            updates=self.updates,
        )


@dataclass(frozen=True, slots=True)
class WalletPass:
    """A pass as the user sees it in Wallet."""

    pass_type_id: str
    serial_number: str
    organization_name: str
    fields: Mapping[str, Any]
    notifications: bool
    automatic_updates: bool
    registered: bool
    updates: int = 0
    """Newer versions fetched since the pass was added."""


def auth(info: PassData) -> dict[str, str]:
    """The web service's ``Authorization`` header for the pass."""
    return {"authorization": f"ApplePass {info.authentication_token}"}


def base(info: PassData) -> str:
    """The pass's ``webServiceURL`` without a trailing slash."""
    return (info.web_service_url or "").rstrip("/")


def quote(part: str) -> str:
    """One path segment of a web-service URL."""
    return urllib.parse.quote(part, safe="")


def status(reply: HttpResponse) -> str:
    """How the device's log names a failed answer."""
    return reply.error or f"HTTP {reply.status}"
