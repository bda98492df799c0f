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
import re
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from starlette.exceptions import HTTPException

from devices.errors import DeviceError
from devices.phone import Phone
from fakeproviders.faults import Fault
from sender.gates import BodyGate, LoopbackGate
from simulator.control.apple import apple_router
from simulator.control.cards import install_card_routes
from simulator.control.hooks import install_hook_routes
from simulator.control.serialize import TextSafeJSON, event_json, json_text, phone_json, tray_json
from simulator.kinds import event_kinds
from simulator.simulation import Simulation, SimulationError
from simulator.timeline import Entry


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Ids a client names resources by end up in URL paths (/phones/{phone_id}/apps/{app_id}): refuse
# what could not be read back: a "/" splits the path, "." and ".." are removed by clients, control
# characters (NUL, newline) break logs and shells.
_PATH_ID = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")
# Bundle ids and Android package names: letters, digits, "-", "_", dot-separated.
_APP_ID = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def _path_id(value: str | None) -> str | None:
    if value is not None and not _PATH_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} cannot be used in a URL path: use letters, digits and - _ . ~ "
            "(not starting with a dot)"
        )
    return value


def _app_id(value: str) -> str:
    if not _APP_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a bundle id or package name (like com.example.app)")
    return value


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError(f"{value!r} has control characters")
    return value


class NewPhone(_Strict):
    platform: Literal["ios", "android"]
    phone_id: Annotated[str | None, AfterValidator(_path_id)] = Field(
        default=None, min_length=1, max_length=64, description="letters, digits, - _ . ~"
    )
    api_level: int = Field(default=34, ge=21, le=40, description="Android only")


class Install(_Strict):
    app_id: Annotated[str, AfterValidator(_app_id)] = Field(min_length=1, max_length=255)
    user_id: Annotated[str, AfterValidator(_printable)] = Field(min_length=1, max_length=255)
    answer: Literal["allow", "deny", "dismiss"] = "allow"
    build: Literal["development", "production"] = Field(
        default="development",
        description="iOS only: development builds get sandbox tokens, production builds "
        "(App Store, TestFlight) production tokens",
    )
    capabilities: list[Literal["voip", "liveactivity", "pushtotalk", "location"]] = Field(
        default_factory=list,
        description="iOS only: each gives the app a token of its own (VoIP, push-to-start, "
        "push-to-talk, location); see the app's special_tokens",
    )


class AppSettings(_Strict):
    notifications_enabled: bool


class Network(_Strict):
    online: bool


class Advance(_Strict):
    seconds: float = Field(ge=0, le=10 * 365 * 86400)


class NewFault(_Strict):
    provider: Literal["apns", "fcm", "google_wallet"]
    status: int | None = Field(default=None, ge=100, le=599)
    reason: str | None = None
    retry_after: int | None = Field(default=None, ge=0)
    latency: float = Field(default=0.0, ge=0, le=60)
    invalidated_at: float | None = None
    goaway: bool = False
    times: int | None = Field(default=None, ge=1)
    token: str | None = None
    topic: str | None = None
    starts_at: float | None = None
    ends_at: float | None = None


#: Every event kind the timeline may hold, with its one-line description.
EVENT_KINDS = event_kinds()
# A plain string (so a typo gets a message listing the kinds), shown as an enum in the schema.
KindName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(EVENT_KINDS)})]


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
    KIND = Query(
        default=None, description="An event kind (listed with one line each in the description)"
    )
    SINCE = Query(
        default="0",
        description=(
            "Only events recorded after the one with this `seq` (0: from the start); "
            "`latest`: only events recorded from now on"
        ),
    )

    @app.middleware("http")
    async def loopback_only(request: Request, call_next: Any) -> Any:
        # Bound to 127.0.0.1 already; this also refuses anything proxied in from elsewhere.
        if request.client is not None and not _is_loopback(request.client.host):
            return _error(403, "the control API answers loopback clients only")
        return await call_next(request)

    def cursor(since: str) -> int:
        if since == "latest":
            return sim.timeline.last_seq
        if not since.isascii() or not since.isdigit():
            raise ControlError(422, f"since: a seq (0, 1, 2…) or 'latest', not {since!r}")
        return int(since)

    def kind_name(kind: str | None) -> str | None:
        if kind is not None and kind not in EVENT_KINDS:
            known = ", ".join(EVENT_KINDS)
            raise ControlError(422, f"kind: no event kind {kind!r}; kinds: {known}")
        return kind

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
        options: dict[str, Any] = {}
        if target.platform == "ios":
            options = {"build": body.build, "capabilities": body.capabilities}
        elif body.build != "development" or body.capabilities:
            raise ControlError(422, "build and capabilities are for iOS apps only")
        target.install(body.app_id, user_id=body.user_id, answer=body.answer, **options)
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

    @app.get("/timeline", summary="Events in clock order, filtered")
    async def timeline(
        kind: KindName | None = KIND,
        phone_id: str | None = Query(default=None, alias="phone"),
        notification: str | None = None,
        since: str = SINCE,
        limit: int = Query(default=1000, ge=1, le=100_000),
    ) -> list[dict[str, Any]]:
        entries = sim.timeline.entries(
            kind_name(kind), phone=phone_id, notification=notification, since=cursor(since)
        )
        return [event_json(e.event, e.seq) for e in entries[:limit]]

    @app.get(
        "/timeline/wait",
        summary="The first matching event after `since`; waits for it (long poll)",
        description=(
            "For the next notification on a phone, pass the `seq` of the last one you saw "
            "as `since` (or `since=latest` if you start waiting before you send)."
        ),
    )
    async def wait(
        kind: KindName | None = KIND,
        phone_id: str | None = Query(default=None, alias="phone"),
        notification: str | None = None,
        since: str = SINCE,
        timeout: float = Query(default=10.0, gt=0, le=60),
    ) -> dict[str, Any]:
        filters: dict[str, Any] = {"phone": phone_id, "notification": notification}
        try:
            entry = await sim.timeline.wait_for_entry(
                kind_name(kind),
                timeout=timeout,
                since=cursor(since),
                **{k: v for k, v in filters.items() if v},
            )
        except TimeoutError as exc:
            raise ControlError(408, str(exc)) from None
        return event_json(entry.event, entry.seq)

    @app.websocket("/timeline/stream")
    async def stream(socket: WebSocket, since: str | None = None) -> None:
        """Every event as a JSON message: the past ones after ``since`` (if given), then live."""
        await socket.accept()
        try:
            start = None if since is None else cursor(since)
        except ControlError as exc:
            await socket.close(code=1008, reason=str(exc)[:120])  # 1008: policy violation
            return
        queue: asyncio.Queue[Entry] = asyncio.Queue()
        unsubscribe = sim.timeline.subscribe_entries(queue.put_nowait)
        try:
            # Taken right after subscribing, with no await between: no event is missed or sent
            # twice.
            past = [] if start is None else sim.timeline.entries(since=start)
            for entry in past:
                await socket.send_text(json_text(event_json(entry.event, entry.seq)))
            while True:
                entry = await queue.get()
                await socket.send_text(json_text(event_json(entry.event, entry.seq)))
        except WebSocketDisconnect:
            pass
        finally:
            unsubscribe()

    # -- providers and faults -------------------------------------------------------------------

    @app.get(
        "/providers/{provider}/requests",
        summary="What the fake APNs, FCM or Google Wallet API was asked",
    )
    async def requests_log(
        provider: Literal["apns", "fcm", "google_wallet"],
    ) -> list[dict[str, Any]]:
        if provider != "apns":
            fake = sim.fcm if provider == "fcm" else sim.google_wallet
            return [_record_json(entry) for entry in fake.request_log]
        # Both APNs environments, in the order they were answered.
        entries = [
            {**_record_json(entry), "environment": fake.environment}
            for fake in (sim.apns, sim.apns_production)
            for entry in fake.request_log
        ]
        return sorted(entries, key=lambda e: float(e["at"]))

    @app.get("/faults", summary="Faults in force")
    async def list_faults() -> list[dict[str, Any]]:
        return [
            {"provider": name, **dataclasses.asdict(fault)}
            for name, injector in sim.fault_injectors.items()
            for fault in injector.active()
        ]

    @app.post("/faults", status_code=201, summary="Inject a fault into a fake provider")
    async def add_fault(body: NewFault) -> dict[str, Any]:
        fields = body.model_dump(exclude={"provider"})
        try:
            fault = sim.fault_injectors[body.provider].add(Fault(**fields))
        except ValueError as exc:
            raise ControlError(422, str(exc)) from None
        return {"provider": body.provider, **dataclasses.asdict(fault)}

    @app.delete("/faults", status_code=204, summary="Clear every fault")
    async def clear_faults() -> Response:
        sim.clear_faults()
        return Response(status_code=204)

    @app.delete("/faults/{fault_id}", status_code=204, summary="Clear one fault")
    async def clear_fault(fault_id: str) -> Response:
        for injector in sim.fault_injectors.values():
            with contextlib.suppress(KeyError):
                injector.clear(fault_id)
                return Response(status_code=204)
        raise ControlError(404, f"no fault {fault_id!r}")

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
        # Unknown app or notification on an existing phone: the request names something absent.
        return _error(
            404 if "not installed" in str(exc) or "no notification" in str(exc) else 409, str(exc)
        )

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


def _record_json(entry: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(entry) and not isinstance(entry, type):
        return event_json(entry) if hasattr(entry, "at") else dataclasses.asdict(entry)
    if hasattr(entry, "_asdict"):
        return dict(entry._asdict())
    return {"entry": repr(entry)}
