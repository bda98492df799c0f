"""The control API's timeline: events filtered, a long poll for the next one, and a WebSocket
stream of them all."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import FastAPI, Query, WebSocket, WebSocketDisconnect
from pydantic import WithJsonSchema

from simulator.control.serialize import event_json, json_text
from simulator.kinds import event_kinds
from simulator.simulation import Simulation
from simulator.timeline import Entry

#: Every event kind the timeline may hold, with its one-line description.
EVENT_KINDS = event_kinds()
# A plain string (so a typo gets a message listing the kinds), shown as an enum in the schema.
KindName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(EVENT_KINDS)})]


def install_timeline_routes(app: FastAPI, sim: Simulation, error: type[Exception]) -> None:
    """``/timeline``, ``/timeline/wait`` and ``/timeline/stream``; ``error`` is the control
    error class (raised as ``error(status, message)``; the stream closes on one)."""
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

    def cursor(since: str) -> int:
        if since == "latest":
            return sim.timeline.last_seq
        # Past 18 digits no seq can match; int() would refuse over 4300 of them with a 500.
        if not since.isascii() or not since.isdigit() or len(since) > 18:
            raise error(422, f"since: a seq (0, 1, 2…) or 'latest', not {since[:40]!r}")
        return int(since)

    def kind_name(kind: str | None) -> str | None:
        if kind is not None and kind not in EVENT_KINDS:
            known = ", ".join(EVENT_KINDS)
            raise error(422, f"kind: no event kind {kind!r}; kinds: {known}")
        return kind

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
            raise error(408, str(exc)) from None
        return event_json(entry.event, entry.seq)

    @app.websocket("/timeline/stream")
    async def stream(socket: WebSocket, since: str | None = None) -> None:
        """Every event as a JSON message: the past ones after ``since`` (if given), then live."""
        await socket.accept()
        try:
            start = None if since is None else cursor(since)
        except error as exc:
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
