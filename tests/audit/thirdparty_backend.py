"""A tiny backend that sends with unmodified third-party libraries from PyPI: aioapns (APNs)
and PyFCM (FCM), wired the way their READMEs show. It is the glue an app would write: tokens per
device, the libraries' own connection, JWT, token and retry handling, and pruning on the answers
they report (APNs 410, PyFCM's FCMNotRegisteredError). `pushsim audit` grades the libraries.

aioapns has no host option: its server and port class attributes point it at the fake (the
README's recipe). PyFCM reaches the fake through HTTPS_PROXY, as it would reach Google.

    python tests/audit/thirdparty_backend.py --port 8000     (with `pushsim env`'s variables)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import urllib.parse
from typing import Any

import aioapns
import aioapns.connection
import uvicorn
from fastapi import FastAPI
from pyfcm import FCMNotification
from pyfcm.errors import FCMNotRegisteredError


def create_app() -> FastAPI:
    app = FastAPI()
    devices: dict[str, tuple[str, str, str]] = {}  # device → (user, platform, token)
    protocols = aioapns.connection
    for cls in (protocols.APNsDevelopmentClientProtocol, protocols.APNsProductionClientProtocol):
        cls.APNS_SERVER = "127.0.0.1"
    protocols.APNsTLSClientProtocol.APNS_PORT = urllib.parse.urlsplit(os.environ["APNS_URL"]).port
    with open(os.environ["APNS_KEY_PATH"]) as key:
        apns_key = key.read()
    clients: list[aioapns.APNs] = []

    def apns() -> aioapns.APNs:
        """One client, made on the server's event loop (aioapns binds to the loop it starts on)."""
        if not clients:
            clients.append(
                aioapns.APNs(
                    key=apns_key,
                    key_id=os.environ["APNS_KEY_ID"],
                    team_id=os.environ["APNS_TEAM_ID"],
                    topic=os.environ["APNS_TOPIC"],
                    use_sandbox=True,
                )
            )
        return clients[0]

    fcm = FCMNotification(
        service_account_file=os.environ["GOOGLE_APPLICATION_CREDENTIALS"],
        project_id=os.environ["FCM_PROJECT_ID"],
    )
    tasks: set[asyncio.Task[Any]] = set()

    def prune(token: str) -> None:
        for device, (_, _, known) in list(devices.items()):
            if known == token:
                del devices[device]

    async def deliver(platform: str, token: str, message: dict[str, Any]) -> None:
        data = {k: str(v) for k, v in message.get("data", {}).items()}
        background = message.get("kind") == "data"
        if platform == "ios":
            aps: dict[str, Any] = (
                {"content-available": 1}
                if background
                else {
                    "alert": {
                        "title": message.get("title") or "",
                        "body": message.get("body") or "",
                    }
                }
            )
            request = aioapns.NotificationRequest(
                token,
                {"aps": aps, **data},
                push_type=aioapns.PushType.BACKGROUND if background else aioapns.PushType.ALERT,
                priority=aioapns.PRIORITY_NORMAL if background else aioapns.PRIORITY_HIGH,
            )
            result = await apns().send_notification(request)
            if result.status == "410":
                prune(token)
            return
        try:
            await asyncio.to_thread(
                fcm.notify,
                fcm_token=token,
                notification_title=None if background else message.get("title"),
                notification_body=None if background else message.get("body"),
                data_payload=data,
            )
        except FCMNotRegisteredError:
            prune(token)
        except Exception:  # PyFCM raises on other errors; the glue gives up on that push
            pass

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/devices", status_code=204)
    async def register(device: dict[str, str]) -> None:
        devices[device["device_id"]] = (device["user_id"], device["platform"], device["token"])

    @app.post("/events", status_code=204)
    async def event(report: dict[str, Any]) -> None:
        return None

    @app.post("/notify", status_code=202)
    async def notify(message: dict[str, Any]) -> dict[str, int]:
        users = message.get("user_ids") or [message.get("user_id")]
        targets = {(p, t) for u, p, t in devices.values() if message.get("everyone") or u in users}
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
