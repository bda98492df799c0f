"""Settings of the fake APNs: where Apple's behaviour is unknown ([U] in reference/apns.md) or
where tests need a switch, the choice is here with its default and the reason for it."""

from __future__ import annotations

from dataclasses import dataclass

from fakeproviders.apns.reasons import ApnsReason


@dataclass(frozen=True, kw_only=True)
class ApnsOptions:
    """Tunable behaviour of validation and the server. The defaults behave like APNs."""

    strict_iat: bool = False
    """Reject a JWT whose ``iat`` is not a JSON integer. Off by default: PyAPNs2 sends a float and
    kalyke a string, and APNs is not known to reject them (reference/apns.md §3.1)."""
    provider_token_lifetime: float = 3600.0
    """A JWT whose ``iat`` is older than this gets 403 ExpiredProviderToken (§3.1)."""
    provider_token_update_interval: float | None = 1200.0
    """Minimum ``iat`` distance between two tokens used on one connection; closer gives 429
    TooManyProviderTokenUpdates (§3.1, "no more than once every 20 minutes"). None disables."""
    invalid_payload_reason: ApnsReason = ApnsReason.PayloadEmpty
    """The answer to a body that is not a JSON object. Apple documents none ([U], §1.5);
    PayloadEmpty is the closest documented device-push reason ("no usable payload") and one that
    every client library knows (kalyke raises AttributeError on reasons it does not list, §2.6)."""
    enforce_topic_suffix: bool = True
    """Reject a topic whose suffix does not fit ``apns-push-type`` (``.voip`` for voip…) with
    400 BadTopic. Which reason APNs uses is [U] (§1.4); BadTopic is APNSwift's choice."""
    reject_background_priority_10: bool = True
    """An explicit ``apns-priority: 10`` on a background push is 400 BadPriority (§1.4: "Using
    priority 10 is an error"). Only an explicit 10: whether the default counts is [U]."""
    max_payload_bytes: int = 4096
    max_voip_payload_bytes: int = 5120
    max_collapse_id_bytes: int = 64
    max_concurrent_streams: int = 1000
    """MAX_CONCURRENT_STREAMS once authenticated (§4: 500, 1000 and 1500 have been observed)."""
    streams_before_auth: int | None = None
    """MAX_CONCURRENT_STREAMS until the first valid JWT (§4: APNs allows 1). None advertises
    ``max_concurrent_streams`` from the start, which spares clients a startup race."""
    request_log_size: int = 10_000
    """How many entries ``FakeApns.request_log`` keeps."""
