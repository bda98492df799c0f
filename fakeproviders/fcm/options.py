"""Settings of the fake FCM: where Google's behaviour is unknown ([U] in reference/fcm.md) or
where tests need a switch, the choice is here with its default and the reason for it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class FcmOptions:
    """Tunable behaviour of the fake FCM. The defaults behave like FCM as far as it is known."""

    allow_not_in_conditions: bool = False
    """Accept ``!`` in conditions. Off: v1 answered "Invalid condition expression provided." for
    ``!`` (reference/fcm.md §1.3, [S] 2018), though some doc revisions describe it."""
    project_number: str | None = None
    """The numeric project id, also accepted in ``projects/{number}`` (§1.1) and shown as IID
    ``authorizedEntity`` (§4.1). None derives a stable 12-digit number from the project id."""
    uninstall_delay: float = 0.0
    """Seconds from uninstall to UNREGISTERED (devices.md §2.6: undocumented [U])."""
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
    idle_timeout: float | None = None
    """Real seconds after which an idle client connection is closed. Google's front ends close
    idle connections at some point, undocumented [U]; None keeps them open."""
