"""Colours by meaning: every colour on screen says one of four things, explained once in ``?``.

Event kinds, HTTP statuses and phone states are mapped to a :class:`Meaning`; widgets take the
style from :data:`STYLE` and never pick a colour of their own, so green always means "went
through" and red always means "refused or lost".
"""

from __future__ import annotations

from enum import Enum


class Meaning(Enum):
    """What a coloured thing says."""

    SUCCESS = "success"
    NEUTRAL = "neutral"
    WARNING = "warning"
    ERROR = "error"


#: The style of each meaning (Textual theme variables would not reach Rich text in a card).
STYLE = {
    Meaning.SUCCESS: "green",
    Meaning.NEUTRAL: "",
    Meaning.WARNING: "yellow",
    Meaning.ERROR: "bold red",
}

#: The legend on the help screen: (meaning, example, what it says).
LEGEND = (
    (Meaning.SUCCESS, "PushSent 200 ✔", "went through: accepted, delivered, shown, token issued"),
    (Meaning.NEUTRAL, "AppInstalled", "a fact: installs, launches, settings, the clock"),
    (
        Meaning.WARNING,
        "Suppressed Stored 429",
        "held or not shown, may still work out: suppressed, stored offline, retried, throttled",
    ),
    (Meaning.ERROR, "PushFailed 410", "refused or lost for good: failures, dead tokens, drops"),
)

_SUCCESS = {
    "PushSent",
    "NotificationAccepted",
    "NotificationDelivered",
    "NotificationDisplayed",
    "NotificationHandedToApp",
    "DataPushReceived",
    "TokenIssued",
    "TokenReceived",
    "NotificationTapped",
    "PhoneCameOnline",
}
_WARNING = {
    "NotificationSuppressed",
    "NotificationStored",
    "PushRetried",
    "BackgroundPushHeld",
    "PermissionPromptSkipped",
    "PhoneWentOffline",
    "TokenRotated",
    "NotificationDismissed",
}
_ERROR = {
    "PushFailed",
    "NotificationRejected",
    "TokenPruned",
    "TokenInvalidated",
    "PushDropped",
    "NotificationDiscarded",
    "PendingMessagesDeleted",
    "AppServerCallFailed",
}


def of_kind(kind: str) -> Meaning:
    """The meaning of a timeline event kind (unknown kinds are neutral)."""
    if kind in _SUCCESS:
        return Meaning.SUCCESS
    if kind in _WARNING:
        return Meaning.WARNING
    if kind in _ERROR:
        return Meaning.ERROR
    return Meaning.NEUTRAL


def of_status(status: int) -> Meaning:
    """An HTTP answer: 2xx went through; 429 and 5xx are retried (warning); other 4xx failed."""
    if 200 <= status < 300:
        return Meaning.SUCCESS
    if status == 429 or status >= 500:
        return Meaning.WARNING
    return Meaning.ERROR


def style(meaning: Meaning) -> str:
    """The Rich style for ``meaning``."""
    return STYLE[meaning]
