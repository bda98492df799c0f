"""The sender API's JSON shapes (pydantic), kept apart from the routes for /docs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    # Unknown fields are a caller's mistake worth reporting, not silently dropping.
    model_config = ConfigDict(extra="forbid")


class DeviceIn(_Body):
    token: str = Field(description="The APNs device token (hex) or FCM registration token.")
    platform: Literal["ios", "android"]
    app_id: str = Field(description="iOS bundle id (the APNs topic) or Android package name.")
    user_id: str
    installation_id: str | None = Field(
        default=None,
        description="The app install: a new token for the same install replaces the old one.",
    )


class DeviceOut(BaseModel):
    token: str
    platform: str
    app_id: str
    user_id: str
    registered_at: float
    active: bool
    installation_id: str | None = None
    inactive_reason: str | None = None


class NotificationIn(_Body):
    """Exactly one target: ``user_id``, ``user_ids``, ``topic``, ``condition``, ``segment`` or
    ``everyone``."""

    user_id: str | None = Field(default=None, description="Target: one user's devices.")
    user_ids: list[str] | None = Field(default=None, description="Target: these users' devices.")
    topic: str | None = Field(default=None, description="Target: an FCM topic (no /topics/).")
    condition: str | None = Field(
        default=None,
        description="Target: an FCM condition, e.g. \"'news' in topics && 'sport' in topics\".",
    )
    segment: str | None = Field(default=None, description="Target: a saved segment.")
    everyone: bool = Field(default=False, description="Target: every active device.")
    kind: Literal["alert", "data"] = "alert"
    title: str | None = None
    body: str | None = None
    data: dict[str, str] = Field(default_factory=dict)
    collapse_key: str | None = None
    ttl: int | None = Field(default=None, description="Seconds a provider may keep the push.")
    priority: Literal["high", "normal"] | None = None
    badge: int | None = Field(default=None, description="App icon badge (iOS; Android count).")
    sound: str | None = Field(default=None, description='"default" or a sound file name.')
    thread_id: str | None = Field(default=None, description="Groups notifications.")
    category: str | None = Field(default=None, description="iOS category / Android click_action.")


class SegmentIn(_Body):
    """Active devices matching every criterion given; none = everyone."""

    user_ids: list[str] | None = None
    platform: Literal["ios", "android"] | None = None
    app_id: str | None = None


class SegmentOut(SegmentIn):
    name: str


class NotificationAccepted(BaseModel):
    id: str


class DeliveryOut(BaseModel):
    token: str
    platform: str
    outcome: Literal["accepted", "failed"]
    push_id: str | None
    http_status: int
    reason: str | None
    at: float
    attempts: int = 1


class NotificationOut(BaseModel):
    id: str
    status: Literal["queued", "sending", "done"]
    created_at: float
    request: NotificationIn
    deliveries: list[DeliveryOut]


class EventIn(_Body):
    notification_id: str
    token: str
    event: Literal["received", "opened", "dismissed"]


class EventOut(BaseModel):
    notification_id: str
    token: str
    event: str
    at: float


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: int
    message: str
    fields: list[ErrorDetail] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
