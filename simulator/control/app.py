"""The control API (FastAPI): phones, apps, network, tray, timeline, providers, faults, clock.

Resource-oriented and loopback only, so CI in any language can drive a running ``pushsim up``.
Every action that makes an app talk to its server returns once the server has the message, so a
client can act, then send, with no waiting of its own. Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from starlette.exceptions import HTTPException

from devices.errors import DeviceError, NotFound
from sender.gates import BodyGate, LoopbackGate
from simulator.control.apple import apple_router
from simulator.control.body import StrictBody
from simulator.control.cards import install_card_routes
from simulator.control.hooks import install_hook_routes
from simulator.control.phones import install_phone_routes
from simulator.control.providers import install_provider_routes
from simulator.control.serialize import TextSafeJSON
from simulator.control.timeline import EVENT_KINDS, install_timeline_routes
from simulator.simulation import Simulation, SimulationError


class Advance(StrictBody):
    seconds: float = Field(ge=0, le=10 * 365 * 86400)


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def create_control_app(
    sim: Simulation, *, extra_endpoints: dict[str, Any] | None = None
) -> FastAPI:
    """The control API over a started ``sim``; ``extra_endpoints`` are added to ``/endpoints``."""
    app = FastAPI(
        title="pushsim control API",
        version="1",
        description="Drive simulated phones and inspect the fakes, the sender and the timeline.\n\n"
        "Timeline event kinds (the `kind` filter):\n\n"
        + "\n".join(f"- `{name}`: {summary}" for name, summary in EVENT_KINDS.items()),
        default_response_class=TextSafeJSON,
    )
    _install_error_handlers(app)

    @app.middleware("http")
    async def loopback_only(request: Request, call_next: Any) -> Any:
        # Bound to 127.0.0.1 already; this also refuses anything proxied in from elsewhere.
        if request.client is not None and not _is_loopback(request.client.host):
            return _error(403, "the control API answers loopback clients only")
        return await call_next(request)

    def phone(phone_id: str) -> Any:
        try:
            return sim.phone(phone_id)
        except SimulationError as exc:
            raise ControlError(404, str(exc)) from None

    # -- endpoints, clock, reset ----------------------------------------------------------------

    @app.get("/endpoints", summary="URLs, keys and CA of the fakes and the sender")
    async def endpoints() -> dict[str, Any]:
        return {**sim.endpoints, **(extra_endpoints or {})}

    @app.get("/clock", summary="The simulation's time (UNIX seconds)")
    async def clock() -> dict[str, float]:
        return {"now": sim.clock.now()}

    @app.post("/clock/advance", summary="Move the clock forward (never back)")
    async def advance(body: Advance) -> dict[str, float]:
        return {"now": sim.advance(body.seconds)}

    @app.post("/reset", status_code=204, summary="Remove every phone, token, fault and event")
    async def reset() -> Response:
        await sim.reset()
        return Response(status_code=204)

    install_phone_routes(app, sim, phone, ControlError)
    install_timeline_routes(app, sim, ControlError)
    install_provider_routes(app, sim, ControlError)
    app.include_router(apple_router(sim, phone))
    install_card_routes(app, sim, phone, ControlError)
    install_hook_routes(app, sim, ControlError)
    # Loopback only, against browsers too (DNS rebinding, cross-origin writes); bodies capped.
    app.add_middleware(BodyGate)
    app.add_middleware(LoopbackGate)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ControlError)
    async def control_error(_: Request, exc: ControlError) -> JSONResponse:
        return _error(exc.status, str(exc))

    @app.exception_handler(DeviceError)
    async def device_error(_: Request, exc: DeviceError) -> JSONResponse:
        # An app, notification, pass… the phone does not have: the request names something absent.
        return _error(404 if isinstance(exc, NotFound) else 409, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        # Starlette's own answers (no such route, method not allowed) in the same shape.
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(_problem(err) for err in exc.errors())
        return _error(422, problems or "invalid request")


def _problem(err: Any) -> str:
    """``phone_id: 'a/b' cannot be used…``: where (without the ``body``/``query`` prefix), what."""
    if err["type"] == "json_invalid":
        return "body: not valid JSON"
    where = ".".join(str(p) for p in err["loc"][1:]) or err["loc"][0]
    return f"{where}: {str(err['msg']).removeprefix('Value error, ')}"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "testclient")
