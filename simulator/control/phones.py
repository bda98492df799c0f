"""The control API's phones: add and remove them, their network, their apps (install, settings,
launch, data pushes) and their notification tray (tap, dismiss)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import AfterValidator, Field

from devices.phone import Phone
from simulator.config import check_app_id
from simulator.control.body import StrictBody
from simulator.control.serialize import phone_json, tray_json
from simulator.simulation import Simulation, SimulationError

# Ids a client names resources by end up in URL paths (/phones/{phone_id}/apps/{app_id}): refuse
# what could not be read back: a "/" splits the path, "." and ".." are removed by clients, control
# characters (NUL, newline) break logs and shells.
_PATH_ID = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


def _path_id(value: str | None) -> str | None:
    if value is not None and not _PATH_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} cannot be used in a URL path: use letters, digits and - _ . ~ "
            "(not starting with a dot)"
        )
    return value


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError(f"{value!r} has control characters")
    return value


class NewPhone(StrictBody):
    platform: Literal["ios", "android"]
    phone_id: Annotated[str | None, AfterValidator(_path_id)] = Field(
        default=None, min_length=1, max_length=64, description="letters, digits, - _ . ~"
    )
    api_level: int = Field(default=34, ge=21, le=40, description="Android only")


class Install(StrictBody):
    app_id: Annotated[str, AfterValidator(check_app_id)] = Field(min_length=1, max_length=255)
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


class AppSettings(StrictBody):
    notifications_enabled: bool


class Network(StrictBody):
    online: bool


def install_phone_routes(
    app: FastAPI, sim: Simulation, phone: Callable[[str], Phone], error: Callable[..., Exception]
) -> None:
    """``/phones``, their apps and trays; ``error(status, message)`` makes a control error."""

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
            raise error(409, str(exc)) from None
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
            raise error(
                409,
                f"{body.app_id} is not an app the fakes serve ({', '.join(sim.app_ids)}): "
                f"declare it with `pushsim up --app {body.app_id}` or [apps] ids in --config",
            )
        options: dict[str, Any] = {}
        if target.platform == "ios":
            options = {"build": body.build, "capabilities": body.capabilities}
        elif body.build != "development" or body.capabilities:
            raise error(422, "build and capabilities are for iOS apps only")
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
