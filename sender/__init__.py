"""The sender: a real app server that stores push tokens and sends through APNs and FCM.

It knows nothing of pushsim's fakes: point it at Apple and Google, or at the fakes, with URLs,
credentials and a CA bundle.
"""

from __future__ import annotations

from .api import create_app
from .apns_client import ApnsClient, ApnsResult
from .clock import Clock, SystemClock
from .config import ConfigError, SenderConfig, load_config
from .errors import (
    InvalidInput,
    NotFound,
    ProviderAuthError,
    ProviderError,
    ProviderUnreachable,
    SenderError,
    WalletApiError,
)
from .events import (
    EngagementRecorded,
    NotificationRequested,
    PushFailed,
    PushRetried,
    PushSent,
    SenderEvent,
    TokenPruned,
)
from .fcm_client import FcmClient, FcmResult
from .google_wallet import GoogleWalletClient
from .models import (
    Delivery,
    Device,
    EngagementEvent,
    Notification,
    NotificationRequest,
    Segment,
)
from .policy import RetryPolicy
from .server import SenderServer
from .service import SenderService
from .stats import Stats
from .stores import SqliteStore, Store, open_store

__all__ = [
    "ApnsClient",
    "ApnsResult",
    "Clock",
    "ConfigError",
    "Delivery",
    "Device",
    "EngagementEvent",
    "EngagementRecorded",
    "FcmClient",
    "FcmResult",
    "GoogleWalletClient",
    "InvalidInput",
    "NotFound",
    "Notification",
    "NotificationRequest",
    "NotificationRequested",
    "ProviderAuthError",
    "ProviderError",
    "ProviderUnreachable",
    "PushFailed",
    "PushRetried",
    "PushSent",
    "RetryPolicy",
    "Segment",
    "SenderConfig",
    "SenderError",
    "SenderEvent",
    "SenderServer",
    "SenderService",
    "SqliteStore",
    "Stats",
    "Store",
    "SystemClock",
    "TokenPruned",
    "WalletApiError",
    "create_app",
    "load_config",
    "open_store",
]
