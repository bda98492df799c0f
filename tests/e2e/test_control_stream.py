"""The control API's WebSocket stream, against an in-process simulation on real sockets."""

from __future__ import annotations

import asyncio
import json

import websockets

from sender import SenderServer
from simulator import DEFAULT_APP_ID, Simulation
from simulator.control import create_control_app


async def test_stream_replays_then_follows_the_timeline(pushsim: Simulation):
    """/timeline/stream?since=0 sends past events, then each new one as it happens, as JSON,
    each with its seq."""
    pushsim.add_iphone("ws-phone")
    server = SenderServer(create_control_app(pushsim))
    await server.start()
    try:
        url = server.url.replace("http://", "ws://") + "/timeline/stream?since=0"
        async with websockets.connect(url) as stream:
            pushsim.phone("ws-phone").install(DEFAULT_APP_ID, user_id="wes")
            seen: list[dict] = []
            async with asyncio.timeout(10):
                while not any(e["type"] == "TokenReceived" for e in seen):
                    seen.append(json.loads(await stream.recv()))
            assert seen[0]["type"] == "AppInstalled"
            assert seen[0]["phone_id"] == "ws-phone"
            seqs = [event["seq"] for event in seen]
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    finally:
        await server.stop()
