"""google-api-python-client, unmodified, managing loyalty cards on the fake Google Wallet API.

An issuer script (``python/wallet_issuer.py``) uses the client as Google's Wallet samples do
(``build("walletobjects", "v1", credentials=...)`` with the library's bundled discovery document),
run in the environment ``pushsim env`` prints: its key file names Google's ``token_uri``, so the
token request and the Wallet calls both go to Google's host names through ``HTTPS_PROXY``
(httplib2 needs PySocks for that), trusting ``HTTPLIB2_CA_CERTS``. A save link signed the samples'
way (google-auth's ``jwt.encode``) is saved on a simulated Android phone, which then shows the
notifying update.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import google.auth.jwt
from google.auth import crypt

from fakeproviders.fcm.service_account import GOOGLE_TOKEN_URI
from simulator.credentials import load_or_create_service_account
from simulator.simulation import Simulation

ISSUER_SCRIPT = Path(__file__).parent / "python" / "wallet_issuer.py"


async def _issuer(env: dict[str, str], key_file: Path, issuer: str, step: str) -> Any:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ISSUER_SCRIPT), str(key_file), issuer, step,
        env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return json.loads(out)


async def test_google_api_client_through_the_proxy(
    sim: Simulation, pushsim_env: dict[str, str], tmp_path: Path
) -> None:
    """insert, Google's 409 and 404 as HttpError, a save link, a NOTIFY_ON_UPDATE patch shown on
    the phone, addMessage: all from the unmodified client on walletobjects.googleapis.com."""
    account = load_or_create_service_account(sim.state_dir, sim.project_id)
    key_file = account.write(tmp_path / "key.json", token_uri=GOOGLE_TOKEN_URI)
    issuer = sim.wallet_issuer_id
    cards = await _issuer(pushsim_env, key_file, issuer, "cards")
    assert cards["inserted"]["kind"] == "walletobjects#loyaltyObject"
    assert cards["duplicate"] == [409, f"Wallet Object Class {issuer}.interop-club already exists."]
    assert cards["missing"][0] == 404

    signer = crypt.RSASigner.from_service_account_file(str(key_file))  # type: ignore[no-untyped-call]
    claims = {
        "iss": account.client_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(sim.clock.now()),
        "origins": [],
        "payload": {"loyaltyObjects": [{"id": cards["inserted"]["id"]}]},
    }
    token = google.auth.jwt.encode(signer, claims).decode()  # type: ignore[no-untyped-call]
    phone = sim.add_android()
    phone.save_pass(f"https://pay.google.com/gp/v/save/{token}")

    answer = await _issuer(pushsim_env, key_file, issuer, "notify")
    assert answer["resource"]["messages"][0]["header"] == "Hi"
    assert phone.passes()[0].points == 42
    assert [n.body for n in phone.notifications()] == ["Stars: 42"]
