"""Kinds of device token, and which topics each may be pushed to.

On Apple a VoIP (PushKit) push, a Live Activity push (per activity, and the push-to-start token),
a push-to-talk push and a location push each need their own token, issued by the framework that
receives them, not the app's notification token (reference/apns.md §1.4, §5.3; Apple's PushKit,
ActivityKit, PushToTalk and CoreLocation documentation). A token sent with a topic of another kind
is refused; which reason APNs gives is not documented ([U]): ``ApnsOptions.token_topic_reason``.
"""

from __future__ import annotations

from collections.abc import Mapping

NOTIFICATION = "notification"

#: The topic suffix each special kind serves (reference/apns.md §1.4).
SPECIAL_SUFFIXES: Mapping[str, str] = {
    "voip": ".voip",
    "liveactivity": ".push-type.liveactivity",  # an activity's update token
    "pushtostart": ".push-type.liveactivity",  # the app's push-to-start token (§5.3)
    "pushtotalk": ".voip-ptt",
    "location": ".location-query",
}
TOKEN_KINDS: tuple[str, ...] = (NOTIFICATION, *SPECIAL_SUFFIXES)
_SPECIAL = frozenset(SPECIAL_SUFFIXES.values())


def token_fits_topic(kind: str, suffix: str) -> bool:
    """Whether a token of ``kind`` may be pushed to a topic with push-type ``suffix``.

    The notification token serves the bundle id and the suffixes of no special kind
    (``.complication``, ``.push-type.widgets``…), as before special tokens existed.
    """
    if kind == NOTIFICATION:
        return suffix not in _SPECIAL
    return SPECIAL_SUFFIXES.get(kind) == suffix
