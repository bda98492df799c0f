"""An example app backend that sends push notifications, with ordinary libraries only.

It stores device tokens in SQLite, signs APNs provider tokens with PyJWT, gets FCM access tokens
with google-auth and talks to both services with httpx over HTTP/2. It knows nothing of pushsim:
it reads the variables `pushsim env` prints (the same ones you would set for Apple and Google).

    eval "$(pushsim env)"
    python examples/backend.py --port 8000

HTTP API:
    POST /devices  {"device_id", "user_id", "platform": "ios"|"android", "token"}
    POST /events   {"token", "event", "notification_id"}            (engagement, counted)
    POST /notify   {"user_id"|"user_ids"|"topic"|"everyone", "title", "body", "kind", "data"}
    GET  /health

What it does right (the rules `pushsim audit` checks): one APNs JWT reused for 50 minutes and
re-signed on ExpiredProviderToken; one HTTP/2 connection per service; tokens dropped on APNs 410
and FCM UNREGISTERED or a token error; a device's new token replaces its old one; 429/500/503
retried with backoff, honouring Retry-After, 400/403/404/410/413 never; background pushes at
priority 5; payloads checked against 4096 bytes before sending; every device of a user.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import time
import uuid
from typing import Any

import google.auth.transport.requests
import httpx
import jwt
import uvicorn
from fastapi import FastAPI, HTTPException
from google.oauth2 import service_account

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
RETRIABLE = {429, 500, 503}
MAX_ATTEMPTS = 4
MAX_PAYLOAD = 4096


class Tokens:
    """Device tokens by device: a device's new token replaces its old one."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS devices (device_id TEXT PRIMARY KEY, user_id TEXT,"
            " platform TEXT, token TEXT UNIQUE, registered_at REAL)"
        )

    def register(self, device_id: str, user_id: str, platform: str, token: str) -> None:
        with self.db:
            self.db.execute(
                "DELETE FROM devices WHERE token = ? AND device_id != ?", (token, device_id)
            )
            self.db.execute(
                "INSERT OR REPLACE INTO devices VALUES (?, ?, ?, ?, ?)",
                (device_id, user_id, platform, token, time.time()),
            )

    def of_users(self, user_ids: list[str] | None) -> list[tuple[str, str]]:
        """(platform, token) of these users (or of everyone), without duplicates."""
        if user_ids is None:
            rows = self.db.execute("SELECT DISTINCT platform, token FROM devices")
        else:
            marks = ",".join("?" * len(user_ids))
            rows = self.db.execute(
                f"SELECT DISTINCT platform, token FROM devices WHERE user_id IN ({marks})", user_ids
            )
        return list(rows)

    def drop(self, token: str, unless_registered_after: float | None = None) -> None:
        with self.db:
            if unless_registered_after is None:
                self.db.execute("DELETE FROM devices WHERE token = ?", (token,))
            else:
                self.db.execute(
                    "DELETE FROM devices WHERE token = ? AND registered_at <= ?",
                    (token, unless_registered_after),
                )


class Apns:
    """APNs with token auth: one HTTP/2 client, one JWT reused for 50 minutes."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.url = os.environ["APNS_URL"]
        self.topic = os.environ["APNS_TOPIC"]
        self.team_id, self.key_id = os.environ["APNS_TEAM_ID"], os.environ["APNS_KEY_ID"]
        with open(os.environ["APNS_KEY_PATH"], "rb") as key:
            self.key = key.read()
        self.client = client
        self.jwt, self.signed_at = "", 0.0

    def bearer(self, *, renew: bool = False) -> str:
        if renew or time.time() - self.signed_at > 50 * 60:
            self.signed_at = time.time()
            self.jwt = jwt.encode(
                {"iss": self.team_id, "iat": int(self.signed_at)},
                self.key,
                algorithm="ES256",
                headers={"kid": self.key_id},
            )
        return self.jwt

    async def send(self, token: str, message: dict[str, Any], apns_id: str) -> httpx.Response:
        background = message["kind"] == "data"
        payload = apns_payload(message)
        headers = {
            "apns-topic": self.topic,
            "apns-push-type": "background" if background else "alert",
            "apns-priority": "5" if background else "10",
            "apns-id": apns_id,
        }
        for renew in (False, True):
            headers["authorization"] = f"bearer {self.bearer(renew=renew)}"
            response = await self.client.post(
                f"{self.url}/3/device/{token}", json=payload, headers=headers
            )
            if response.status_code != 403 or _reason(response) != "ExpiredProviderToken":
                break
        return response


def apns_payload(message: dict[str, Any]) -> dict[str, Any]:
    """An alert, or for kind "data" a background push; the data as custom keys."""
    if message["kind"] == "data":
        aps: dict[str, Any] = {"content-available": 1}
    else:
        aps = {"alert": {"title": message.get("title") or "", "body": message.get("body") or ""}}
    return {"aps": aps, **message.get("data", {})}


class Fcm:
    """FCM HTTP v1 with a service account; google-auth caches the access token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.url = os.environ["FCM_URL"]
        self.project = os.environ["FCM_PROJECT_ID"]
        self.credentials = service_account.Credentials.from_service_account_file(
            os.environ["GOOGLE_APPLICATION_CREDENTIALS"], scopes=[FCM_SCOPE]
        )
        self.client = client

    async def access_token(self, *, renew: bool = False) -> str:
        if renew or not self.credentials.valid:
            request = google.auth.transport.requests.Request()
            await asyncio.to_thread(self.credentials.refresh, request)
        return str(self.credentials.token)

    async def send(
        self, token: str | None, message: dict[str, Any], topic: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"data": {k: str(v) for k, v in message.get("data", {}).items()}}
        body["topic" if topic else "token"] = topic or token
        if message["kind"] != "data":
            body["notification"] = {
                "title": message.get("title") or "",
                "body": message.get("body") or "",
            }
        url = f"{self.url}/v1/projects/{self.project}/messages:send"
        for renew in (False, True):
            headers = {"authorization": f"Bearer {await self.access_token(renew=renew)}"}
            response = await self.client.post(url, json={"message": body}, headers=headers)
            if response.status_code != 401:
                break
        return response


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason", ""))
    except ValueError:
        return ""


def _fcm_token_is_dead(response: httpx.Response) -> bool:
    """UNREGISTERED, or INVALID_ARGUMENT about the token itself (not about the payload)."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError):
        return False
    codes = {d.get("errorCode") for d in error.get("details", []) if isinstance(d, dict)}
    if response.status_code == 404 or "UNREGISTERED" in codes:
        return True
    return response.status_code == 400 and "registration token" in error.get("message", "")


def _retry_after(response: httpx.Response, attempt: int) -> float:
    """Retry-After when given, else a doubling backoff, half of it random ("equal jitter")."""
    given = response.headers.get("retry-after", "")
    if given.isdigit():
        return float(given)
    backoff = 0.5 * 2**attempt
    return backoff / 2 + random.uniform(0, backoff / 2)


def create_app(database: str) -> FastAPI:
    app = FastAPI(title="example push backend")
    tokens = Tokens(database)
    client = httpx.AsyncClient(http2=True, timeout=15)
    apns, fcm = Apns(client), Fcm(client)
    events: dict[str, int] = {}
    sending: set[asyncio.Task[Any]] = set()

    def in_background(job: Any) -> None:
        task = asyncio.get_running_loop().create_task(job)
        sending.add(task)
        task.add_done_callback(sending.discard)

    async def deliver(platform: str, token: str, message: dict[str, Any]) -> None:
        apns_id = str(uuid.uuid4())  # one id per notification and device, kept across retries
        for attempt in range(MAX_ATTEMPTS):
            try:
                if platform == "ios":
                    response = await apns.send(token, message, apns_id)
                else:
                    response = await fcm.send(token, message)
            except httpx.TransportError:
                await asyncio.sleep(0.2 * 2**attempt)  # e.g. GOAWAY: resend on a new connection
                continue
            if response.status_code == 410:
                timestamp = response.json().get("timestamp")
                tokens.drop(token, timestamp / 1000 if timestamp else None)
            elif platform == "android" and _fcm_token_is_dead(response):
                tokens.drop(token)
            if response.status_code not in RETRIABLE:
                return
            await asyncio.sleep(_retry_after(response, attempt))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/devices", status_code=204)
    async def register(device: dict[str, str]) -> None:
        try:
            tokens.register(
                device["device_id"], device["user_id"], device["platform"], device["token"]
            )
        except KeyError as missing:
            raise HTTPException(422, f"missing {missing}") from None

    @app.post("/events", status_code=204)
    async def event(report: dict[str, Any]) -> None:
        events[report.get("event", "?")] = events.get(report.get("event", "?"), 0) + 1

    @app.post("/notify", status_code=202)
    async def notify(message: dict[str, Any]) -> dict[str, int]:
        message.setdefault("kind", "alert")
        message.setdefault("data", {})
        if len(json.dumps(apns_payload(message)).encode()) > MAX_PAYLOAD:
            raise HTTPException(413, "the notification would exceed the 4 KB push payload limit")
        if message.get("topic"):
            in_background(fcm.send(None, message, message["topic"]))
            return {"devices": 0}
        users = None if message.get("everyone") else message.get("user_ids") or [message["user_id"]]
        targets = tokens.of_users(users)
        for platform, token in targets:
            in_background(deliver(platform, token, message))
        return {"devices": len(targets)}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--database", default=":memory:", help="SQLite file (default: in memory)")
    args = parser.parse_args()
    uvicorn.run(create_app(args.database), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
