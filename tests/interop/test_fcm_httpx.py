"""A hand-written sender on raw httpx, over HTTP/2 and HTTP/1.1, against the fake FCM.

Only configuration: the URL is the fake's, the local CA is passed as ``verify``; the access token
comes from the fake's token endpoint through google-auth (the service account's ``token_uri``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import requests
from google.auth.transport.requests import Request as GoogleAuthRequest
from google.oauth2 import service_account

from devices.phone import AndroidPhone
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock
from fakeproviders.fcm import FakeFcm, ServiceAccount

PROJECT = "httpx-proj"
APP = "com.example.app"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


def access_token(path: Path, ca: LocalCA) -> str:
    creds = service_account.Credentials.from_service_account_file(str(path), scopes=[SCOPE])
    session = requests.Session()
    session.trust_env = False  # the CA below, not the system bundle from the environment
    session.verify = str(ca.cert_path)
    creds.refresh(GoogleAuthRequest(session))
    return str(creds.token)


@pytest.mark.parametrize("http2", [True, False], ids=["h2", "http1.1"])
async def test_raw_httpx_send_and_unregistered(
    fcm: FakeFcm, account: ServiceAccount, ca: LocalCA, tmp_path: Path, http2: bool
) -> None:
    """A POST to messages:send delivers to the phone; after uninstall it gets the 404 body."""
    path = account.write(tmp_path / "sa.json", fcm.token_uri)
    bearer = await asyncio.to_thread(access_token, path, ca)
    phone = AndroidPhone("pixel", push_service=fcm.registry, clock=WallClock())
    phone.install(APP, "alice", answer="allow")
    token = phone.app(APP).token
    url = f"{fcm.url}/v1/projects/{PROJECT}/messages:send"
    headers = {"authorization": f"Bearer {bearer}"}
    message = {"message": {"token": token, "notification": {"title": "raw"}}}
    async with httpx.AsyncClient(http2=http2, verify=ca.client_ssl_context()) as client:
        sent = await client.post(url, json=message, headers=headers)
        assert sent.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
        assert sent.status_code == 200
        assert [e.title for e in phone.notifications(APP)] == ["raw"]
        phone.uninstall(APP)
        dead = await client.post(url, json=message, headers=headers)
    assert dead.status_code == 404
    assert dead.json()["error"]["details"][0]["errorCode"] == "UNREGISTERED"
