"""A push backend that multiplexes greedily, kept to prove that `pushsim audit` H2-MAX-STREAMS
catches it: each notification goes out on a new HTTP/2 connection with all its streams at once,
without waiting for the server's SETTINGS. APNs allows one stream until the first authenticated
answer, so two devices are already one stream too many. APNs only; one JWT, signed at start.

    python tests/audit/greedy_backend.py --port 8000     (with `pushsim env`'s variables)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import time
import urllib.parse
from typing import Any

import h2.config
import h2.connection
import h2.events
import jwt
import uvicorn
from fastapi import FastAPI

_DONE = (h2.events.StreamEnded, h2.events.StreamReset)


def create_app() -> FastAPI:
    app = FastAPI()
    devices: dict[str, tuple[str, str]] = {}  # device → (user, token)
    url = urllib.parse.urlsplit(os.environ["APNS_URL"])
    with open(os.environ["APNS_KEY_PATH"], "rb") as key:
        bearer = jwt.encode(
            {"iss": os.environ["APNS_TEAM_ID"], "iat": int(time.time())},
            key.read(),
            algorithm="ES256",
            headers={"kid": os.environ["APNS_KEY_ID"]},
        )
    tls = ssl.create_default_context()
    tls.set_alpn_protocols(["h2"])
    tasks: set[asyncio.Task[Any]] = set()

    async def burst(tokens: list[str], message: dict[str, Any]) -> None:
        reader, writer = await asyncio.open_connection(
            url.hostname, url.port, ssl=tls, server_hostname=url.hostname
        )
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        alert = {"title": message.get("title") or "", "body": message.get("body") or ""}
        body = json.dumps({"aps": {"alert": alert}, **message.get("data", {})}).encode()
        streams = set()
        for token in tokens:  # every stream at once: the server's limit is never read
            stream = conn.get_next_available_stream_id()
            headers = [
                (":method", "POST"),
                (":scheme", "https"),
                (":path", f"/3/device/{token}"),
                (":authority", str(url.hostname)),
                ("authorization", f"bearer {bearer}"),
                ("apns-topic", os.environ["APNS_TOPIC"]),
                ("apns-push-type", "alert"),
            ]
            conn.send_headers(stream, headers)
            conn.send_data(stream, body, end_stream=True)
            streams.add(stream)
        writer.write(conn.data_to_send())
        try:
            while streams:
                data = await asyncio.wait_for(reader.read(65536), 10)
                if not data:
                    return
                for event in conn.receive_data(data):
                    if isinstance(event, _DONE):
                        streams.discard(event.stream_id)
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        return
                writer.write(conn.data_to_send())
        finally:
            writer.close()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/devices", status_code=204)
    async def register(device: dict[str, str]) -> None:
        if device["platform"] == "ios":
            devices[device["device_id"]] = (device["user_id"], device["token"])

    @app.post("/events", status_code=204)
    async def event(report: dict[str, Any]) -> None:
        return None

    @app.post("/notify", status_code=202)
    async def notify(message: dict[str, Any]) -> dict[str, int]:
        tokens = [t for u, t in devices.values() if u == message.get("user_id")]
        task = asyncio.get_running_loop().create_task(burst(tokens, message))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return {"devices": len(tokens)}

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_level="warning")
