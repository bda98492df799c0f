"""What apps say to their app server. The phone only produces these messages; how they travel
(the sender's API by default, or a user's own backend) is an adapter outside this package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenReport:
    """The app posts its current push token (``POST /v1/devices`` on the sender)."""

    phone_id: str
    app_id: str
    user_id: str
    platform: str
    token: str


@dataclass(frozen=True, kw_only=True, slots=True)
class EngagementReport:
    """The app reports what the user did with a notification (``POST /v1/events``)."""

    phone_id: str
    app_id: str
    token: str
    notification_id: str
    event: str
    """``"received"``, ``"opened"`` or ``"dismissed"``."""


AppServerMessage = TokenReport | EngagementReport

#: Where a phone's apps send their messages.
AppServerLink = Callable[[AppServerMessage], None]


def drop_message(message: AppServerMessage) -> None:
    """The default link: the app has no server."""
