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


class DeviceOut(BaseModel):
    token: str
    platform: str
    app_id: str
    user_id: str
    registered_at: float
    active: bool


class NotificationIn(_Body):
    user_id: str
    kind: Literal["alert", "data"] = "alert"
    title: str | None = None
    body: str | None = None
    data: dict[str, str] = Field(default_factory=dict)
    collapse_key: str | None = None
    ttl: int | None = Field(default=None, description="Seconds a provider may keep the push.")
    priority: Literal["high", "normal"] | None = None


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
