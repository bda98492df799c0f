"""An HTTP answer of the fake FCM, as the sans-IO front ends produce it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from fakeproviders.fcm import errors
from fakeproviders.fcm.errors import ErrorResponse


@dataclass(frozen=True, slots=True)
class Reply:
    """Status, body and headers (``content-type`` included), and what the request log keeps."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds the server waits before answering (an injected latency)."""
    reason: str | None = None
    """The decision when it is not a success: errorCode, ErrorInfo reason or rpc status."""
    token: str | None = None
    topic: str | None = None
    condition: str | None = None
    push_id: str | None = None
    """The message name of an accepted send."""
    recipients: int = 0
    """How many app instances an accepted send was handed to (fan-out for topics)."""
    fault_id: str | None = None

    @classmethod
    def json(
        cls, status: int, data: object, content_type: str = errors.CONTENT_TYPE, **log: object
    ) -> Reply:
        body = json.dumps(data, indent=2).encode()
        return cls(status, body, {"content-type": content_type}, **log)  # type: ignore[arg-type]

    @classmethod
    def error(cls, response: ErrorResponse, **log: object) -> Reply:
        return cls(
            response.status,
            response.content(),
            {"content-type": errors.CONTENT_TYPE, **response.headers},
            reason=response.reason,
            **log,  # type: ignore[arg-type]
        )
