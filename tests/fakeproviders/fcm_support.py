"""Shared doubles for the fake FCM's sans-IO tests (no tests here)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fakeproviders.events import ProviderEvent
from fakeproviders.faults import FaultInjector
from fakeproviders.fcm.frontend import FcmFrontEnd
from fakeproviders.fcm.oauth import (
    FIREBASE_MESSAGING_SCOPE,
    AccessToken,
    InMemoryAccessTokens,
    OAuthEndpoint,
)
from fakeproviders.fcm.registry import FcmRegistry
from fakeproviders.fcm.reply import Reply
from fakeproviders.fcm.topic_api import TopicManagement
from tests.doubles import Inbox, ManualClock

PROJECT = "demo-proj"
APP = "com.example.app"
BEARER = "Bearer ya29.good"
DAY = 86_400.0


class Harness:
    """A front end, topic API and registry on a manual clock, with one valid bearer token."""

    def __init__(self, **frontend_options: Any) -> None:
        self.clock = ManualClock()
        self.events: list[ProviderEvent] = []
        self.registry = FcmRegistry(self.clock, self.events.append, PROJECT)
        store = InMemoryAccessTokens()
        store.add(
            AccessToken(
                "ya29.good", "sa@demo-proj.iam.gserviceaccount.com",
                frozenset({FIREBASE_MESSAGING_SCOPE}), float("inf"),
            )
        )  # fmt: skip
        self.oauth = OAuthEndpoint(self.clock, store=store)
        self.faults = FaultInjector()
        self.frontend = FcmFrontEnd(
            clock=self.clock, oauth_endpoint=self.oauth, registry=self.registry,
            project_id=PROJECT, emit=self.events.append, faults=self.faults, **frontend_options,
        )  # fmt: skip
        self.topics = TopicManagement(
            clock=self.clock, oauth_endpoint=self.oauth, registry=self.registry,
            project_id=PROJECT, project_number=self.frontend.project_number,
            owns=self.frontend.owns,
        )  # fmt: skip

    def phone(
        self, phone_id: str = "phone-1", app_id: str = APP, **register: Any
    ) -> tuple[str, Inbox]:
        """Register an app on a connected phone: (token, inbox)."""
        token = self.registry.register(phone_id, app_id, **register)
        inbox = Inbox()
        self.registry.connect(phone_id, inbox)
        return token, inbox

    def send(
        self,
        message: Mapping[str, Any],
        *,
        validate_only: bool = False,
        auth: str | None = BEARER,
        project: str = PROJECT,
    ) -> Reply:
        body: dict[str, Any] = {"message": dict(message)}
        if validate_only:
            body["validate_only"] = True
        return self.frontend.send(project, auth, json.dumps(body).encode())


def body(reply: Reply) -> Any:
    return json.loads(reply.body)


def error_code(reply: Reply) -> str | None:
    """The FcmError errorCode of an error reply (None if it has none)."""
    for detail in body(reply)["error"].get("details", []):
        if detail["@type"].endswith("FcmError"):
            return str(detail["errorCode"])
    return None
