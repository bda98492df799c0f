"""The fake Google Wallet API: loyalty classes and objects, Save to Google Wallet links, and the
per-pass notification quota. reference/wallet.md (GOOGLE) describes the real service."""

from __future__ import annotations

from fakeproviders.gwallet.api import WALLET_SCOPE, Reply, WalletApi
from fakeproviders.gwallet.errors import FakeWalletError, WalletError
from fakeproviders.gwallet.events import WalletObjectChanged, WalletQuotaExceeded
from fakeproviders.gwallet.holders import PassNotice
from fakeproviders.gwallet.options import WalletOptions
from fakeproviders.gwallet.saving import SavedPass, SaveOutcome
from fakeproviders.gwallet.server import HOST, FakeGoogleWallet

__all__ = [
    "HOST",
    "WALLET_SCOPE",
    "FakeGoogleWallet",
    "FakeWalletError",
    "PassNotice",
    "Reply",
    "SaveOutcome",
    "SavedPass",
    "WalletApi",
    "WalletError",
    "WalletObjectChanged",
    "WalletOptions",
    "WalletQuotaExceeded",
]
