"""Settings of the fake APNs: where Apple's behaviour is unknown ([U] in reference/apns.md) or
where tests need a switch, the choice is here with its default and the reason for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fakeproviders.apns.reasons import ApnsReason

#: When an uninstalled app's token starts getting 410 (reference/devices.md §1.5).
UninstallRule = Literal["after_delivery", "immediate"]

#: Default seconds from "a push reached the phone after the uninstall" to the first 410. Apple's
#: schedule is undocumented, "sliding" and long in practice (reference/devices.md §1.5: 200s for
#: "an extended period", a month in one report) [U]: one day, so that a sender never sees 410 on
#: the push right after the uninstall, yet a scenario spanning a week of clock time sees it.
DEFAULT_INVALIDATION_DELAY = 24 * 3600.0


@dataclass(frozen=True, kw_only=True)
class ApnsOptions:
    """Tunable behaviour of validation, the registry and the server. The defaults behave like APNs."""

    # -- provider tokens (reference/apns.md §3.1) ------------------------------------------------
    strict_iat: bool = False
    """Reject a JWT whose ``iat`` is not a JSON integer. Off by default: PyAPNs2 sends a float and
    kalyke a string, and APNs is not known to reject them (reference/apns.md §3.1)."""
    strict_jwt_header: bool = False
    """Reject a JWT header with anything but ``alg`` and ``kid`` (PyJWT and PyAPNs2 add ``typ``).
    Off by default: APNs accepted ``typ`` (aioapns PR #45, §3.1)."""
    provider_token_lifetime: float = 3600.0
    """A JWT whose ``iat`` is older than this gets 403 ExpiredProviderToken (§3.1)."""
    future_iat_reason: ApnsReason | None = ApnsReason.InvalidProviderToken
    """The answer to a JWT whose ``iat`` lies more than ``future_iat_leeway`` in the future (an
    ``iat`` in milliseconds, a clock running fast). How APNs treats a future ``iat`` is [U] (§3.1);
    Pushy's and APNSwift's mock servers accept it (set None for that); InvalidProviderToken, the
    answer to every other claim that does not check out, is the default."""
    future_iat_leeway: float = 60.0
    """Seconds a sender's clock may run ahead before ``future_iat_reason`` applies ([U])."""
    provider_token_update_interval: float | None = 1200.0
    """Minimum ``iat`` distance between two tokens used on one connection; closer gives 429
    TooManyProviderTokenUpdates (§3.1, "no more than once every 20 minutes"). None disables."""
    environment_key_reason: ApnsReason = ApnsReason.BadEnvironmentKeyInToken
    """The reason for a key used in the wrong environment. Apple's table says
    BadEnvironmentKeyIdInToken, clients observe BadEnvironmentKeyInToken on the wire (§2.6); the
    observed string is the default."""
    token_topic_reason: ApnsReason = ApnsReason.DeviceTokenNotForTopic
    """The reason for a token sent with a topic of another kind: the app's notification token to
    ``.voip``, a VoIP token to the bundle id, a Live Activity token to ``.voip-ptt``… (``kinds.py``).
    Apple documents none for this ([U], §1.4); DeviceTokenNotForTopic ("the device token does not
    match the specified topic", §2.4) is what senders report for a notification token sent as VoIP."""
    key_topic_reason: ApnsReason = ApnsReason.TopicDisallowed
    """The reason for a topic-specific key used on a topic it does not list ([U], §3.1; Pushy's mock
    says InvalidProviderToken, Apple's "Pushing to this topic is not allowed" fits best)."""

    # -- requests (reference/apns.md §1.3-§1.6) --------------------------------------------------
    invalid_payload_reason: ApnsReason = ApnsReason.PayloadEmpty
    """The answer to a body that is not a JSON object, lacks ``aps`` or breaks the Live Activity
    rules. Apple documents none ([U], §1.5); PayloadEmpty is the closest documented device-push
    reason ("no usable payload") and one every client library knows (kalyke raises AttributeError
    on reasons it does not list, §2.6)."""
    require_aps: bool = True
    """A payload must hold an ``aps`` dictionary (§1.5, §1.6); ``mdm`` pushes are exempt."""
    enforce_topic_suffix: bool = True
    """Reject a topic whose suffix does not fit ``apns-push-type`` (``.voip`` for voip…) with
    400 BadTopic. Which reason APNs uses is [U] (§1.4); BadTopic is APNSwift's choice."""
    reject_background_priority_10: bool = True
    """An explicit ``apns-priority: 10`` on a background push is 400 BadPriority (§1.4: "Using
    priority 10 is an error"). Only an explicit 10: whether the default counts is [U]."""
    certificate_push_types: frozenset[str] | None = frozenset(
        {"alert", "background", "voip", "complication", "fileprovider", "mdm", "liveactivity"}
    )
    """Push types a certificate connection may send; others get 403 Forbidden. Apple: certificates
    support "only a subset" (§1.4) and ``location`` is token-only; the rest of the list is [U].
    None allows all."""
    pass_environments: frozenset[str] = frozenset({"production"})
    """Where a Pass Type ID certificate may push pass updates. reference/wallet.md §4: "works only
    in the production environment"; a pass certificate in sandbox gets 403
    BadCertificateEnvironment (which reason Apple gives there is [U])."""
    max_payload_bytes: int = 4096
    max_voip_payload_bytes: int = 5120
    max_broadcast_payload_bytes: int = 5120
    """[U] from Apple; APNSwift's test server uses 5120 (§5.2)."""
    max_collapse_id_bytes: int = 64
    requests_per_token: tuple[int, float] | None = None
    """``(n, seconds)``: more than ``n`` pushes to one device token within ``seconds`` (clock time)
    get 429 TooManyRequests. The threshold is [U] (§2.4), so it is off by default."""

    # -- HTTP/2 connections (reference/apns.md §4) ------------------------------------------------
    max_concurrent_streams: int = 1000
    """MAX_CONCURRENT_STREAMS once authenticated (§4: 500, 1000 and 1500 have been observed)."""
    streams_before_auth: int | None = 1
    """MAX_CONCURRENT_STREAMS until the first valid JWT or a client certificate (§4: "APNs allows
    only one stream until you post a request with a valid authentication token"). None advertises
    ``max_concurrent_streams`` from the start."""
    throttle_after_rejection: bool = False
    """Drop MAX_CONCURRENT_STREAMS to 1 after a rejection and restore it after the next success
    (openradar 27870881, pushy#732: observed in 2016 and 2020, §4). Off by default."""
    idle_timeout: float | None = 3600.0
    """Real seconds without a request or PING after which the server sends GOAWAY
    ``IdleTimeout`` and closes. Whether APNs does this, and when, is [U] (§4); an hour, since
    Apple's advice is to PING a connection idle for an hour. None keeps idle connections."""
    handshake_timeout: float = 10.0
    """Real seconds a client has to finish its TLS handshake."""
    header_timeout: float = 10.0
    """Real seconds from the handshake to the client's HTTP/2 preface; a silent client is
    dropped (a slow-client defence, not an APNs behaviour)."""
    max_errors_per_connection: int | None = None
    """After this many rejected requests on one connection, answer, then GOAWAY with the last
    reason and close ("APNs disconnects a provider connection with too many error conditions",
    §2.4; the count is [U], so off by default). 410 is "not an error condition" and not counted."""
    max_stream_resets: int | None = 1000
    """A client that resets more streams than this in a burst on one connection (refilled at a
    tenth of it per second) gets GOAWAY ENHANCE_YOUR_CALM ("rapid reset", CVE-2023-44487;
    ``fakeproviders.h2guard``); APNs's own limit is unknown. None: no limit."""

    # -- device tokens (reference/devices.md §1.4-§1.5) ------------------------------------------
    uninstall_invalidation: UninstallRule = "after_delivery"
    """``"after_delivery"``: an uninstalled app's token stays valid (200) until one push has
    reached the phone after the deletion, then turns 410 after ``invalidation_delay`` (Apple DTS,
    devices.md §1.5). ``"immediate"``: 410 from the uninstall on (a test switch for deterministic
    scenarios; ``invalidation_delay`` does not apply)."""
    invalidation_delay: float = DEFAULT_INVALIDATION_DELAY
    """Clock seconds between the first push that reached the phone after the uninstall and the
    first 410 (Apple: "a sliding schedule", undocumented [U]; see ``DEFAULT_INVALIDATION_DELAY``).
    0 gives 410 from the next push on."""
    rotated_token_lifetime: float | None = None
    """Clock seconds an old token keeps working after ``rotate()``; None = it keeps working
    (devices.md §1.4: after a reinstall "the old token keeps working" [S]). Then 410 Unregistered."""
    storage_seconds: float = 30 * 24 * 3600.0
    """How long a push without ``apns-expiration`` is kept for an offline phone ("up to 30 days",
    devices.md §1.6)."""

    # -- channels and broadcast (reference/apns.md §5) -------------------------------------------
    max_channels: int = 10_000
    """Channels per app and environment (§5.1: "10,000 channels per environment")."""
    channel_storage_seconds: float = 8 * 3600.0
    """How long a Most-Recent-Message channel keeps its message (§5.1: "at most 8 h")."""

    request_log_size: int = 10_000
    """How many entries ``FakeApns.request_log`` keeps."""
