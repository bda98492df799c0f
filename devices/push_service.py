"""The small protocol a phone uses to talk to its push provider (DESIGN.md, "The flow").

Phones declare what they need; ``fakeproviders`` implements it without importing this module
(structural typing), and the simulator wires the two together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class PushInbox(Protocol):
    """A connected phone, as its provider sees it: somewhere to hand pushes."""

    def push_arrived(
        self, token: str, push_id: str, headers: Mapping[str, str], payload: Mapping[str, Any]
    ) -> None:
        """A push for the app that holds ``token``.

        ``headers`` are the delivery attributes (APNs: the ``apns-*`` request headers with their
        defaults filled in; FCM: ``priority``, ``collapse_key``, ``ttl``), ``payload`` the body
        (APNs: the JSON payload with ``aps``; FCM: the message's ``notification``, ``data`` and
        ``android`` blocks).
        """
        ...


class PushService(Protocol):
    """APNs for iPhones, FCM for Android phones."""

    def register(self, phone_id: str, app_id: str) -> str:
        """Issue the token for ``app_id`` (bundle id or package name) on ``phone_id``."""
        ...

    def unregister(self, token: str) -> None:
        """The app was uninstalled: the token stops working under the provider's rules.

        APNs: only after a push reached the phone after the deletion, plus a configurable delay
        (reference/devices.md §1.5); FCM: after a configurable delay (§2.6).
        """
        ...

    def rotate(self, token: str) -> str:
        """The OS replaced the app's token (restore, reinstall, clear data, OS update).

        Returns the new token; how long the old one keeps working is the provider's setting.
        """
        ...

    def connect(self, phone_id: str, inbox: PushInbox) -> None:
        """The phone is online; the provider hands it any stored pushes, then new ones."""
        ...

    def disconnect(self, phone_id: str) -> None:
        """The phone went offline; the provider stores pushes under its rules."""
        ...


class ApnsPushService(PushService, Protocol):
    """APNs as an iPhone needs it: tokens per environment and per kind (VoIP, Live Activity…)."""

    def register(
        self,
        phone_id: str,
        app_id: str,
        environment: str | None = None,
        *,
        kind: str = "notification",
        activity_id: str | None = None,
    ) -> str:
        """The token of ``kind`` for ``app_id`` in ``environment`` (``"sandbox"`` or
        ``"production"``); ``"liveactivity"`` tokens belong to one ``activity_id``."""
        ...
