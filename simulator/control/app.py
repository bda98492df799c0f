"""The control API (FastAPI): phones, apps, network, tray, timeline, providers, faults, clock.

Resource-oriented and loopback only, so CI in any language can drive a running ``pushsim up``.
Every action that makes an app talk to its server returns once the server has the message, so a
client can act, then send, with no waiting of its own. Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
from typing import Any, Literal

from fastapi import FastAPI, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from devices.errors import DeviceError
from devices.phone import Phone
from fakeproviders.faults import Fault
from simulator.control.serialize import event_json, phone_json, tray_json
from simulator.simulation import Simulation, SimulationError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewPhone(_Strict):
    platform: Literal["ios", "android"]
    phone_id: str | None = Field(default=None, min_length=1, max_length=64)
    api_level: int = Field(default=34, ge=21, le=40, description="Android only")


class Install(_Strict):
    app_id: str = Field(min_length=1, max_length=255)
    user_id: str = Field(min_length=1, max_length=255)
    answer: Literal["allow", "deny", "dismiss"] = "allow"


class AppSettings(_Strict):
    notifications_enabled: bool


class Network(_Strict):
    online: bool


class Advance(_Strict):
    seconds: float = Field(ge=0, le=10 * 365 * 86400)


class NewFault(_Strict):
    provider: Literal["apns", "fcm"]
    status: int | None = Field(default=None, ge=100, le=599)
    reason: str | None = None
    retry_after: int | None = Field(default=None, ge=0)
    latency: float = Field(default=0.0, ge=0, le=60)
    goaway: bool = False
    times: int | None = Field(default=None, ge=1)
    token: str | None = None
    topic: str | None = None
    starts_at: float | None = None
    ends_at: float | None = None


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
        description="Drive simulated phones and inspect the fakes, the sender and the timeline.",
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

    # -- phones ---------------------------------------------------------------------------------

    @app.get("/phones", summary="Every phone with its apps and tray")
    async def list_phones() -> list[dict[str, Any]]:
        return [phone_json(p) for p in sim.phones]

    @app.post("/phones", status_code=201, summary="Add a phone (online)")
    async def add_phone(body: NewPhone) -> dict[str, Any]:
        try:
            new: Phone
            if body.platform == "ios":
                new = sim.add_iphone(body.phone_id)
            else:
                new = sim.add_android(body.phone_id, api_level=body.api_level)
        except SimulationError as exc:
            raise ControlError(409, str(exc)) from None
        return phone_json(new)

    @app.get("/phones/{phone_id}")
    async def get_phone(phone_id: str) -> dict[str, Any]:
        return phone_json(phone(phone_id))

    @app.delete("/phones/{phone_id}", status_code=204)
    async def delete_phone(phone_id: str) -> Response:
        phone(phone_id)
        sim.remove_phone(phone_id)
        return Response(status_code=204)

    @app.put("/phones/{phone_id}/network", summary="Take the phone offline or bring it online")
    async def network(phone_id: str, body: Network) -> dict[str, Any]:
        target = phone(phone_id)
        target.go_online() if body.online else target.go_offline()
        return phone_json(target)

    # -- apps -----------------------------------------------------------------------------------

    @app.post(
        "/phones/{phone_id}/apps",
        status_code=201,
        summary="Install an app, answer its permission prompt; its token reaches the sender",
    )
    async def install(phone_id: str, body: Install) -> dict[str, Any]:
        target = phone(phone_id)
        if body.app_id not in sim.app_ids:
            # Its token would draw TopicDisallowed on every push: say why before that happens.
            raise ControlError(
                409,
                f"{body.app_id} is not an app the fakes serve ({', '.join(sim.app_ids)}): "
                f"declare it with `pushsim up --app {body.app_id}` or [apps] ids in --config",
            )
        target.install(body.app_id, user_id=body.user_id, answer=body.answer)
        await sim.settle()
        return phone_json(target)

    @app.delete("/phones/{phone_id}/apps/{app_id}", status_code=204, summary="Uninstall an app")
    async def uninstall(phone_id: str, app_id: str) -> Response:
        phone(phone_id).uninstall(app_id)
        return Response(status_code=204)

    @app.patch("/phones/{phone_id}/apps/{app_id}", summary="Change the app's Settings")
    async def settings(phone_id: str, app_id: str, body: AppSettings) -> dict[str, Any]:
        target = phone(phone_id)
        target.set_notifications_enabled(app_id, body.notifications_enabled)
        return phone_json(target)

    @app.post("/phones/{phone_id}/apps/{app_id}/launch", summary="Open the app (it re-registers)")
    async def launch(phone_id: str, app_id: str) -> dict[str, Any]:
        target = phone(phone_id)
        target.launch(app_id)
        await sim.settle()
        return phone_json(target)

    @app.get("/phones/{phone_id}/apps/{app_id}/data-pushes", summary="Data pushes the app got")
    async def data_pushes(phone_id: str, app_id: str) -> list[dict[str, Any]]:
        return list(phone(phone_id).app(app_id).data_pushes)

    # -- tray -----------------------------------------------------------------------------------

    @app.get("/phones/{phone_id}/notifications", summary="The notifications on the tray")
    async def tray(phone_id: str) -> list[dict[str, Any]]:
        return [tray_json(entry) for entry in phone(phone_id).notifications()]

    @app.post("/phones/{phone_id}/notifications/{entry_id}/tap", summary="Tap a notification")
    async def tap(phone_id: str, entry_id: str) -> dict[str, Any]:
        entry = phone(phone_id).tap(entry_id)
        await sim.settle()
        return tray_json(entry)

    @app.post("/phones/{phone_id}/notifications/{entry_id}/dismiss", summary="Swipe it away")
    async def dismiss(phone_id: str, entry_id: str) -> dict[str, Any]:
        entry = phone(phone_id).dismiss(entry_id)
        await sim.settle()
        return tray_json(entry)

    # -- timeline -------------------------------------------------------------------------------

    @app.get("/timeline", summary="Events, oldest first, filtered")
    async def timeline(
        kind: str | None = None,
        phone_id: str | None = Query(default=None, alias="phone"),
        notification: str | None = None,
        since: int = Query(default=0, ge=0),
        limit: int = Query(default=1000, ge=1, le=100_000),
    ) -> list[dict[str, Any]]:
        events = sim.timeline.events(kind, phone=phone_id, notification=notification, since=since)
        return [event_json(e) for e in events[:limit]]

    @app.get("/timeline/wait", summary="The first matching event; waits for it (long poll)")
    async def wait(
        kind: str | None = None,
        phone_id: str | None = Query(default=None, alias="phone"),
        notification: str | None = None,
        since: int = Query(default=0, ge=0),
        timeout: float = Query(default=10.0, gt=0, le=60),
    ) -> dict[str, Any]:
        filters: dict[str, Any] = {"phone": phone_id, "notification": notification}
        try:
            event = await sim.timeline.wait_for(
                kind, timeout=timeout, since=since, **{k: v for k, v in filters.items() if v}
            )
        except TimeoutError as exc:
            raise ControlError(408, str(exc)) from None
        return event_json(event)

    @app.websocket("/timeline/stream")
    async def stream(socket: WebSocket, since: int | None = None) -> None:
        """Every event as a JSON message: the past ones from ``since`` (if given), then live."""
        await socket.accept()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        unsubscribe = sim.timeline.subscribe(queue.put_nowait)
        try:
            if since is not None:
                for event in sim.timeline.events(since=since):
                    await socket.send_json(event_json(event))
            while True:
                await socket.send_json(event_json(await queue.get()))
        except WebSocketDisconnect:
            pass
        finally:
            unsubscribe()

    # -- providers and faults -------------------------------------------------------------------

    @app.get("/providers/{provider}/requests", summary="What the fake APNs or FCM was asked")
    async def requests_log(provider: Literal["apns", "fcm"]) -> list[dict[str, Any]]:
        fake = sim.apns if provider == "apns" else sim.fcm
        return [_record_json(entry) for entry in fake.request_log]

    @app.get("/faults", summary="Faults in force")
    async def list_faults() -> list[dict[str, Any]]:
        return [
            {"provider": name, **dataclasses.asdict(fault)}
            for name, fake in (("apns", sim.apns), ("fcm", sim.fcm))
            for fault in fake.faults.active()
        ]

    @app.post("/faults", status_code=201, summary="Inject a fault into a fake provider")
    async def add_fault(body: NewFault) -> dict[str, Any]:
        fake = sim.apns if body.provider == "apns" else sim.fcm
        fields = body.model_dump(exclude={"provider"})
        try:
            fault = fake.faults.add(Fault(**fields))
        except ValueError as exc:
            raise ControlError(422, str(exc)) from None
        return {"provider": body.provider, **dataclasses.asdict(fault)}

    @app.delete("/faults", status_code=204, summary="Clear every fault")
    async def clear_faults() -> Response:
        sim.apns.faults.clear()
        sim.fcm.faults.clear()
        return Response(status_code=204)

    @app.delete("/faults/{fault_id}", status_code=204, summary="Clear one fault")
    async def clear_fault(fault_id: str) -> Response:
        for fake in (sim.apns, sim.fcm):
            with contextlib.suppress(KeyError):
                fake.faults.clear(fault_id)
                return Response(status_code=204)
        raise ControlError(404, f"no fault {fault_id!r}")

    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ControlError)
    async def control_error(_: Request, exc: ControlError) -> JSONResponse:
        return _error(exc.status, str(exc))

    @app.exception_handler(DeviceError)
    async def device_error(_: Request, exc: DeviceError) -> JSONResponse:
        # Unknown app or notification on an existing phone: the request names something absent.
        return _error(
            404 if "not installed" in str(exc) or "no notification" in str(exc) else 409, str(exc)
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'] if p != 'body')}: {err['msg']}"
            for err in exc.errors()
        )
        return _error(422, problems or "invalid request")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "testclient")


def _record_json(entry: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(entry) and not isinstance(entry, type):
        return event_json(entry) if hasattr(entry, "at") else dataclasses.asdict(entry)
    if hasattr(entry, "_asdict"):
        return dict(entry._asdict())
    return {"entry": repr(entry)}
