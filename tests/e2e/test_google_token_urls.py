"""Google's token URLs, old and new, reached by their real host names through pushsim's proxy."""

from __future__ import annotations

import ssl
import time

import httpx
import jwt
import pytest

from fakeproviders.fcm.service_account import GOOGLE_TOKEN_URIS
from simulator import Simulation


@pytest.mark.parametrize("token_url", GOOGLE_TOKEN_URIS)
async def test_each_google_token_url_grants_through_the_proxy(pushsim: Simulation, token_url):
    """A JWT-bearer grant posted to a Google token URL, signed for that URL as its audience (what
    gtoken does with www.googleapis.com/oauth2/v4/token), is tunnelled to the fake and granted."""
    account = pushsim.fcm.service_account
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": account.client_email,
            "scope": "https://www.googleapis.com/auth/firebase.messaging",
            "aud": token_url,
            "iat": now,
            "exp": now + 3600,
        },
        account.private_key_pem,
        algorithm="RS256",
        headers={"kid": account.private_key_id},
    )
    trust = ssl.create_default_context(cafile=str(pushsim.ca.cert_path))
    async with httpx.AsyncClient(proxy=pushsim.endpoints["proxy"]["url"], verify=trust) as client:
        answer = await client.post(
            token_url,
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
            },
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["access_token"].startswith("ya29.")
    (logged,) = pushsim.fcm.request_log.query(kind="token")
    assert (logged.path, logged.status) == (httpx.URL(token_url).path, 200)
