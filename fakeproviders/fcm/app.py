"""The fake FCM's ASGI app: routes that hand bytes to :class:`FcmFrontEnd` and back.

Every answer, including the framework's own failures, is rendered the way Google's front end
renders it: JSON ``google.rpc.Status`` for API errors, an HTML page for unknown paths; never
FastAPI's ``{"detail": ...}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response

from fakeproviders.clock import Clock
from fakeproviders.fcm import errors
from fakeproviders.fcm.frontend import FcmFrontEnd, LoggedRequest, Reply, RequestLog

_log = logging.getLogger(__name__)


def create_app(*, frontend: FcmFrontEnd, request_log: RequestLog, clock: Clock) -> FastAPI:
    """An app serving ``frontend``; each request is recorded in ``request_log``."""
    app = FastAPI(title="pushsim fake FCM", docs_url=None, redoc_url=None, openapi_url=None)

    async def serve(request: Request, handle: Callable[[bytes], Reply]) -> Response:
        raw = await request.body()
        try:
            reply = handle(raw)
        except Exception:  # bad input must never crash the server or leak a traceback
            _log.exception("fake FCM failed on %s %s", request.method, request.url.path)
            reply = Reply.error(errors.internal_error())
        request_log.append(
            LoggedRequest(
                at=clock.now(),
                method=request.method,
                path=request.url.path,
                http_version=request.scope.get("http_version", ""),
                status=reply.status,
                request_body=raw,
                response_body=reply.body,
            )
        )
        return Response(reply.body, reply.status, headers=dict(reply.headers))

    async def token(request: Request) -> Response:
        return await serve(request, frontend.token)

    async def send(project: str, request: Request) -> Response:
        authorization = request.headers.get("authorization")
        return await serve(request, lambda raw: frontend.send(project, authorization, raw))

    # The token endpoint answers at /token (what our service-account JSON names) and at Google's
    # older path, for senders that hard-code it (reference/fcm.md §8).
    app.add_api_route("/token", token, methods=["POST"], include_in_schema=False)
    app.add_api_route("/oauth2/v4/token", token, methods=["POST"], include_in_schema=False)
    app.add_api_route(
        "/v1/projects/{project}/messages:send", send, methods=["POST"], include_in_schema=False
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405):
            # Google's front end: an HTML 404 page for any path (or method) it does not serve,
            # the retired legacy /fcm/send included (reference/fcm.md §1.1).
            status, page = errors.not_found_html(request.url.path)
            return HTMLResponse(page, status)
        error = errors.status_body(exc.status_code, str(exc.detail), "UNKNOWN")
        return Response(
            errors.ErrorResponse(exc.status_code, error, "UNKNOWN").content(),
            exc.status_code,
            media_type=errors.CONTENT_TYPE,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        reply = Reply.error(errors.bad_request("Invalid JSON payload received."))
        return Response(reply.body, reply.status, headers=dict(reply.headers))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        reply = Reply.error(errors.internal_error())
        return Response(reply.body, reply.status, headers=dict(reply.headers))

    return app
