"""The control API's providers: what the fake APNs, FCM and Google Wallet API were asked, and
the faults that decide their answers."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import Field

from simulator.control.body import StrictBody
from simulator.control.serialize import event_json
from simulator.simulation import Simulation, SimulationError


class NewFault(StrictBody):
    provider: Literal["apns", "fcm", "google_wallet"]
    # A 1xx is never a final answer (HTTP/2 has the client fail the stream, RFC 9113 §8.1).
    status: int | None = Field(default=None, ge=200, le=599)
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


def install_provider_routes(app: FastAPI, sim: Simulation, error: Callable[..., Exception]) -> None:
    """``/providers/{provider}/requests`` and ``/faults``; ``error(status, message)`` makes a
    control error."""

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
        try:
            fault = sim.fault(body.provider, **body.model_dump(exclude={"provider"}))
        except SimulationError as exc:
            raise error(422, str(exc)) from None
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
        raise error(404, f"no fault {fault_id!r}")


def _record_json(entry: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(entry) and not isinstance(entry, type):
        return event_json(entry) if hasattr(entry, "at") else dataclasses.asdict(entry)
    if hasattr(entry, "_asdict"):
        return dict(entry._asdict())
    return {"entry": repr(entry)}
