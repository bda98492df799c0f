"""The sender's HTTP API (FastAPI): a thin layer that turns JSON into ``SenderService`` calls.

Routes are ``async def`` on purpose: the service (its queue, its events) lives on the event loop,
and FastAPI would run plain ``def`` routes in a thread pool.

Apps authenticate with ``X-App-Key`` (device registration, engagement events); backends with
``Authorization: Bearer <api_key>`` (notifications). Every error is
``{"error": {"code": <status>, "message": ..., "fields": [...]}}``; bad input never yields a 500.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from .api_schemas import (
    DeliveryOut,
    DeviceIn,
    DeviceOut,
    ErrorOut,
    EventIn,
    EventOut,
    NotificationAccepted,
    NotificationIn,
    NotificationOut,
    SegmentIn,
    SegmentOut,
)
from .cards import CardService
from .cards_api import install_card_routes
from .errors import InvalidInput, NotFound
from .gates import BodyGate, Headers, Refusal
from .models import Device, NotificationRequest, Segment
from .passkit import PREFIX as PASSKIT_PREFIX
from .passkit import install_passkit_routes
from .service import SenderService
from .stats import Stats

log = logging.getLogger(__name__)

MAX_WAIT = 30.0
"""The longest long-poll ``GET /v1/notifications/{id}?wait=`` allows, in seconds."""

# Stateless security schemes (they only read headers); module-level so that FastAPI can resolve
# the route annotations, which ``from __future__ import annotations`` turns into strings.
_BEARER = HTTPBearer(auto_error=False, description="The backend's API key.")
_APP_KEY = APIKeyHeader(name="X-App-Key", auto_error=False, description="The app key.")

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 404, 422)
}


def create_app(
    service: SenderService, *, api_key: str, app_key: str, cards: CardService | None = None
) -> FastAPI:
    """Build the API for ``service``. The app's lifespan starts and stops the service's workers.
    With ``cards``, the loyalty-card API (``/v1/cards``) and the PassKit web service
    (``/passkit/v1/...``) are served too."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started_here = not service.running
        await service.start()
        if cards is not None:
            await cards.start()
        try:
            yield
        finally:
            if cards is not None:
                await cards.stop()
            if started_here:
                await service.stop()

    app = FastAPI(title="pushsim sender", version="1", lifespan=lifespan, responses=_ERRORS)
    _install_error_handlers(app)

    def known_caller(headers: Headers) -> Refusal | None:
        # Before a body is read: one of the two keys (each route then checks it has the right one).
        bearer = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = bearer.partition(" ")
        if scheme.lower() == "bearer" and _same(token.strip(), api_key):
            return None
        if _same(headers.get(b"x-app-key", b"").decode("latin-1"), app_key):
            return None
        return 401, "missing or wrong API key", [(b"www-authenticate", b"Bearer")]

    # The PassKit web service authenticates with the pass's own token, or not at all (/v1/log).
    open_paths = (PASSKIT_PREFIX + "/",) if cards is not None else ()
    app.add_middleware(BodyGate, admits=known_caller, open_paths=open_paths)

    async def require_api_key(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
    ) -> None:
        if credentials is None or not _same(credentials.credentials, api_key):
            raise HTTPException(401, "missing or wrong API key", {"WWW-Authenticate": "Bearer"})

    async def require_app_key(key: Annotated[str | None, Security(_APP_KEY)]) -> None:
        if key is None or not _same(key, app_key):
            raise HTTPException(401, "missing or wrong X-App-Key")

    app_auth = [Depends(require_app_key)]
    api_auth = [Depends(require_api_key)]

    @app.post("/v1/devices", response_model=DeviceOut, status_code=201, dependencies=app_auth)
    async def register_device(body: DeviceIn, response: Response) -> DeviceOut:
        """Register (or re-register) a push token; 201 when new, 200 when already known."""
        device, created = service.register_device(
            body.token, body.platform, body.app_id, body.user_id, body.installation_id
        )
        response.status_code = 201 if created else 200
        return _device_out(device)

    @app.delete("/v1/devices/{token}", status_code=204, dependencies=app_auth)
    async def unregister_device(token: str) -> Response:
        """Stop sending to a token."""
        service.unregister_device(token)
        return Response(status_code=204)

    @app.post(
        "/v1/notifications",
        response_model=NotificationAccepted,
        status_code=202,
        dependencies=api_auth,
    )
    async def submit(body: NotificationIn) -> NotificationAccepted:
        """Queue a notification to its target's active devices; persisted before answering.

        The payload size is checked here, before queueing (422 ``payload``)."""
        return NotificationAccepted(id=service.submit(NotificationRequest(**body.model_dump())))

    @app.get(
        "/v1/notifications/{notification_id}", response_model=NotificationOut, dependencies=api_auth
    )
    async def get_notification(
        notification_id: str,
        wait: Annotated[
            float, Query(ge=0, le=MAX_WAIT, description="Seconds to wait until it is done.")
        ] = 0,
    ) -> NotificationOut:
        """A notification with its per-device outcomes; ``wait`` long-polls until it is done."""
        if wait > 0:
            await service.wait(notification_id, wait)
        notification = service.get_notification(notification_id)
        return NotificationOut(
            id=notification.id,
            status=notification.status,
            created_at=notification.created_at,
            request=NotificationIn(**notification.request.to_json()),
            deliveries=[
                DeliveryOut(**{k: v for k, v in d.to_json().items() if k != "notification_id"})
                for d in service.deliveries(notification_id)
            ],
        )

    @app.get("/v1/devices/{token}", response_model=DeviceOut, dependencies=api_auth)
    async def get_device(token: str) -> DeviceOut:
        """A registered token and whether it is still used."""
        return _device_out(service.get_device(token))

    @app.put("/v1/segments/{name}", response_model=SegmentOut, dependencies=api_auth)
    async def save_segment(name: str, body: SegmentIn) -> SegmentOut:
        """Create or replace a saved audience, usable as a notification's ``segment``."""
        segment = service.save_segment(Segment(name=name, **body.model_dump()))
        return SegmentOut(**segment.to_json())

    @app.get("/v1/segments/{name}", response_model=SegmentOut, dependencies=api_auth)
    async def get_segment(name: str) -> SegmentOut:
        """A saved segment."""
        return SegmentOut(**service.get_segment(name).to_json())

    @app.get("/v1/stats", response_model=Stats, dependencies=api_auth)
    async def stats(notification_id: str | None = None) -> Stats:
        """Requested, sent, accepted, failed by reason, retries, auth errors, tokens pruned,
        engagement and open rate; for everything or for one ``notification_id``."""
        return service.stats(notification_id)

    @app.post("/v1/events", response_model=EventOut, status_code=202, dependencies=app_auth)
    async def record_event(body: EventIn) -> EventOut:
        """Record what the user did with a notification."""
        event = service.record_event(body.notification_id, body.token, body.event)
        return EventOut(
            notification_id=event.notification_id, token=event.token, event=event.event, at=event.at
        )

    if cards is not None:
        install_card_routes(app, cards, api_auth)
        install_passkit_routes(app, cards)
    return app


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _device_out(device: Device) -> DeviceOut:
    return DeviceOut(**device.to_json())


def _error(
    code: int, message: str, fields: list[dict[str, str]] | None = None, **kw: Any
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": _printable(message)}
    if fields is not None:
        body["fields"] = [{k: _printable(v) for k, v in f.items()} for f in fields]
    return JSONResponse({"error": body}, status_code=code, **kw)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(error.get("type") == "json_invalid" for error in errors):
            return _error(400, "the request body is not valid JSON")
        fields = [
            {"field": _field(error.get("loc", ())), "message": str(error.get("msg", "invalid"))}
            for error in errors
        ]
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return _error(422, message or "invalid request", fields)

    @app.exception_handler(InvalidInput)
    async def on_invalid(request: Request, exc: InvalidInput) -> JSONResponse:
        return _error(422, str(exc), [{"field": exc.field, "message": exc.message}])

    @app.exception_handler(NotFound)
    async def on_not_found(request: Request, exc: NotFound) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        # A bug: log it here, never send the traceback to the client.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal error")


def _printable(text: str) -> str:
    # Messages may echo the caller's input, which JSON lets carry lone surrogates.
    return text.encode("utf-8", "replace").decode("utf-8")


def _field(loc: Any) -> str:
    """``("body", "data", "k")`` → ``"data.k"``: where the problem is, without FastAPI's prefix."""
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"
