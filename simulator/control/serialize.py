"""Timeline events and phone state as JSON, the shapes the control API returns."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

from devices.apps import IosApp
from devices.phone import Phone
from devices.tray import TrayEntry
from simulator.timeline import kind_of

_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: Any) -> str:
    """``value`` as JSON text that any UTF-8 encoder takes: a lone UTF-16 surrogate (which a push
    header decoded with ``surrogateescape`` can carry into the timeline) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", json.dumps(value, ensure_ascii=False, separators=(",", ":")))


class TextSafeJSON(JSONResponse):
    """The control API's JSON responses, rendered with :func:`json_text`."""

    def render(self, content: Any) -> bytes:
        return json_text(content).encode("utf-8")


def event_json(event: Any, seq: int | None = None) -> dict[str, Any]:
    """``{"seq": 12, "type": "NotificationDisplayed", "at": 1.7e9, ...fields}``.

    ``seq`` is the event's sequence number on the timeline (:class:`simulator.timeline.Entry`),
    the cursor ``since`` takes.
    ``type`` is the event's kind (what ``?kind=`` filters on); it is not called ``kind`` because
    some events have a field of that name (``NotificationRequested.kind``: alert or data).
    """
    fields = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    head: dict[str, Any] = {} if seq is None else {"seq": seq}
    return {**head, "type": kind_of(event), **fields}


def phone_json(phone: Phone) -> dict[str, Any]:
    return {
        "phone_id": phone.phone_id,
        "platform": phone.platform,
        "online": phone.online,
        "apps": [
            {
                "app_id": app.app_id,
                "user_id": app.user_id,
                "token": app.token,
                "permission": app.permission.value,
                "notifications_enabled": app.enabled_in_settings,
                **_ios_app_json(app),
            }
            for app in phone.apps
        ],
        "notifications": [tray_json(entry) for entry in phone.notifications()],
    }


def _ios_app_json(app: Any) -> dict[str, Any]:
    """An iOS app's build environment, capabilities and special tokens (none for Android)."""
    if not isinstance(app, IosApp):
        return {}
    return {
        "environment": app.environment,
        "capabilities": sorted(app.capabilities),
        "special_tokens": dict(app.special_tokens),
        "live_activities": {a.activity_id: a.token for a in app.activities.values()},
        "reports_calls": app.reports_calls,
        "voip_stopped": app.voip_stopped,
    }


def tray_json(entry: TrayEntry) -> dict[str, Any]:
    return {f.name: _plain(getattr(entry, f.name)) for f in dataclasses.fields(entry)}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and hasattr(type(value), "__members__"):  # an Enum
        return value.value
    return value
