"""A deliberately naive push backend, kept to prove that `pushsim audit` catches what it should.

It works in a demo and breaks Apple's and Google's rules: a new APNs JWT for every request, a new
TLS connection and a new FCM access token for every push, tokens appended per user and never
pruned (a rotated token's old one stays, a re-posted one is stored twice), every failure retried
at once three times whatever the status or Retry-After, every push sent as an alert at priority
10, no payload size check. It still delivers to every stored token and survives GOAWAY (a new
connection each time), and every JWT it sends is fresh.

    python tests/audit/naive_backend.py --port 8000     (with `pushsim env`'s variables)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import time
from typing import Any

import google.auth.transport.requests
import httpx
import jwt
import requests
import uvicorn
from fastapi import FastAPI
from google.oauth2 import service_account


def create_app() -> FastAPI:
    app = FastAPI()
    tokens: dict[str, list[tuple[str, str]]] = {}  # user → [(platform, token)], append only
    with open(os.environ["APNS_KEY_PATH"], "rb") as key_file:
        key = key_file.read()
    tasks: set[asyncio.Task[Any]] = set()
    # Built once (each reads a CA bundle): the naivety under test is a new connection and a new
    # access token per push, not the time it takes to load certificates.
    tls = ssl.create_default_context()
    token_endpoint = google.auth.transport.requests.Request(requests.Session())

    async def apns(client: httpx.AsyncClient, token: str, message: dict[str, Any]) -> int:
        signed = jwt.encode(
            {"iss": os.environ["APNS_TEAM_ID"], "iat": int(time.time())},
            key,
            algorithm="ES256",
            headers={"kid": os.environ["APNS_KEY_ID"]},
        )
        aps: dict[str, Any] = {
            "alert": {"title": message.get("title") or "", "body": message.get("body") or ""}
        }
        if message.get("kind") == "data":
            aps = {"content-available": 1, "alert": ""}
        response = await client.post(
            f"{os.environ['APNS_URL']}/3/device/{token}",
            json={"aps": aps, **message.get("data", {})},
            headers={
                "authorization": f"bearer {signed}",
                "apns-topic": os.environ["APNS_TOPIC"],
                "apns-push-type": "alert",
                "apns-priority": "10",
            },
        )
        return response.status_code

    async def access_token() -> str:
        credentials = service_account.Credentials.from_service_account_file(
            os.environ["GOOGLE_APPLICATION_CREDENTIALS"],
            scopes=["https://www.googleapis.com/auth/firebase.messaging"],
        )
        await asyncio.to_thread(credentials.refresh, token_endpoint)
        return str(credentials.token)

    async def fcm(
        client: httpx.AsyncClient, token: str, message: dict[str, Any], bearer: str
    ) -> int:
        body = {
            "token": token,
            "notification": {
                "title": message.get("title") or "",
                "body": message.get("body") or "",
            },
            "data": {k: str(v) for k, v in message.get("data", {}).items()},
        }
        response = await client.post(
            f"{os.environ['FCM_URL']}/v1/projects/{os.environ['FCM_PROJECT_ID']}/messages:send",
            json={"message": body},
            headers={"authorization": f"Bearer {bearer}"},
        )
        return response.status_code

    async def deliver(platform: str, token: str, message: dict[str, Any]) -> None:
        # A new connection (and FCM access token) for every push.
        bearer = await access_token() if platform == "android" else ""
        async with httpx.AsyncClient(http2=True, verify=tls) as client:
            for _ in range(3):  # retry anything that is not a 200, at once
                if platform == "ios":
                    status = await apns(client, token, message)
                else:
                    status = await fcm(client, token, message, bearer)
                if status == 200:
                    return

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/devices", status_code=204)
    async def register(device: dict[str, str]) -> None:
        tokens.setdefault(device["user_id"], []).append((device["platform"], device["token"]))

    @app.post("/events", status_code=204)
    async def event(report: dict[str, Any]) -> None:
        return None

    @app.post("/notify", status_code=202)
    async def notify(message: dict[str, Any]) -> dict[str, int]:
        targets = tokens.get(message.get("user_id") or "", [])
        for platform, token in targets:
            task = asyncio.get_running_loop().create_task(deliver(platform, token, message))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return {"devices": len(targets)}

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_level="warning")
