"""Settings of the fake FCM: where Google's behaviour is unknown ([U] in reference/fcm.md) or
where tests need a switch, the choice is here with its default and the reason for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: When an uninstalled app's token starts getting UNREGISTERED (reference/devices.md §2.6).
UninstallRule = Literal["after_delivery", "immediate"]


@dataclass(frozen=True, kw_only=True)
class FcmOptions:
    """Tunable behaviour of the fake FCM. The defaults behave like FCM as far as it is known."""

    allow_not_in_conditions: bool = False
    """Accept ``!`` in conditions. Off: v1 answered "Invalid condition expression provided." for
    ``!`` (reference/fcm.md §1.3, [S] 2018), though some doc revisions describe it."""
    project_number: str | None = None
    """The numeric project id, also accepted in ``projects/{number}`` (§1.1) and shown as IID
    ``authorizedEntity`` (§4.1). None derives a stable 12-digit number from the project id."""
    uninstall_invalidation: UninstallRule = "after_delivery"
    """``"after_delivery"``: FCM learns of an uninstall from the phone. Sends are accepted until
    one reaches the phone; the phone finds no app for it and tells FCM, which marks the token
    for deletion; sends get UNREGISTERED ``uninstall_delay`` later (Google's documented flow,
    "How uninstalled client app unregistration works", devices.md §2.6). ``"immediate"``:
    UNREGISTERED ``uninstall_delay`` after the uninstall (a test switch for the wire alone)."""
    uninstall_delay: float = 0.0
    """Clock seconds from the trigger above to UNREGISTERED. Google: "it might take a while for
    the registration token to be completely removed"; how long is undocumented [U]."""
    rotation_grace: float = 0.0
    """Seconds an old token keeps working after a rotation (see ``FcmRegistry``) [U]."""
    apns_key_configured: bool = True
    """Whether the project has an APNs key; without one, sends to iOS tokens get 401
    THIRD_PARTY_AUTH_ERROR (§2.3)."""
    request_log_size: int = 10_000
    """How many entries ``FakeFcm.request_log`` keeps."""
    max_concurrent_streams: int = 100
    """HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS. Google's value is undocumented [U]; 100 is what
    firebase-admin-node assumes (``peerMaxConcurrentStreams: 100``, reference/fcm.md §6)."""
    idle_timeout: float = 300.0
    """Real seconds after which a connection without a request in flight is closed. Google's
    front ends close idle connections at some point, undocumented [U]."""
    header_timeout: float = 10.0
    """Real seconds from the TLS handshake to the client's first bytes; a silent client is
    dropped (a slow-client defence; Google's value is [U])."""
    max_body_bytes: int = 1024 * 1024
    """Request bodies above this get Google's HTML 413 page, unread. Google's limit is
    undocumented [U]; a message is at most 4 KB (§1.3), a topic batch of 1,000 tokens ~200 KB."""
