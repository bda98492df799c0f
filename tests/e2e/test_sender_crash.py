"""Kill -9 the sender in the middle of a campaign: after a restart every push is delivered."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from fakeproviders.ca import LocalCA
from sender import SqliteStore
from sender.models import Device
from tests.sender.providers import APP_ID, Providers, running_providers

DEVICES = 5_000
API_KEY = "crash-api-key"
IN_FLIGHT = 200


async def _start_sender(
    providers: Providers, database: Path, log: Path
) -> tuple[asyncio.subprocess.Process, str]:
    """Run ``python -m sender`` (the pushsim-sender entry point); returns it and its URL."""
    env = {
        **os.environ,
        **providers.sender_environment(),
        "PUSHSIM_SENDER_API_KEY": API_KEY,
        "PUSHSIM_SENDER_APP_KEY": "crash-app-key",
        "PUSHSIM_SENDER_LOG_LEVEL": "WARNING",
        "PUSHSIM_SENDER_MAX_IN_FLIGHT": str(IN_FLIGHT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sender",
        "--port",
        "0",
        "--database",
        str(database),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=log.open("ab"),
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 20)
    assert line.startswith(b"pushsim-sender listening on "), line + log.read_bytes()[-2000:]
    return process, line.decode().rsplit(" ", 1)[-1].strip()


async def test_kill_9_mid_campaign_loses_nothing(
    ca: LocalCA, tmp_path: Path, capsys: object
) -> None:
    """Every push of a 5,000-device campaign reaches the providers despite a kill -9 mid-way."""
    database = tmp_path / "sender.sqlite3"
    log = tmp_path / "sender.log"
    async with running_providers(ca, tmp_path) as providers:
        store = SqliteStore(database)
        tokens = []
        for i in range(DEVICES):
            ios = i % 2 == 0
            token = providers.ios_token() if ios else providers.android_token()
            tokens.append(token)
            store.upsert_device(
                Device(
                    token=token,
                    platform="ios" if ios else "android",
                    app_id=APP_ID,
                    user_id=f"user-{i}",
                    registered_at=0,
                )
            )
        store.close()
        headers = {"Authorization": f"Bearer {API_KEY}"}

        first, url = await _start_sender(providers, database, log)
        try:
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as api:
                response = await api.post(
                    "/v1/notifications", json={"everyone": True, "title": "Sale", "body": "50%"}
                )
            assert response.status_code == 202, response.text
            notification_id = response.json()["id"]
            await providers.wait_accepted(DEVICES // 4, timeout=30)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        at_kill = providers.total_accepted
        assert at_kill < DEVICES, "the campaign finished before the kill: nothing was tested"

        second, url = await _start_sender(providers, database, log)
        try:
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=40) as api:
                result = (
                    await api.get(f"/v1/notifications/{notification_id}", params={"wait": 30})
                ).json()
                stats = (await api.get("/v1/stats")).json()
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 10) == 0, "clean exit on SIGTERM"

    assert result["status"] == "done"
    assert set(providers.accepted) == set(tokens), "every device got the notification"
    outcomes = result["deliveries"]
    assert len(outcomes) == DEVICES and {d["token"] for d in outcomes} == set(tokens)
    assert all(d["outcome"] == "accepted" for d in outcomes)
    assert stats["accepted"] == DEVICES
    duplicates = providers.total_accepted - DEVICES
    # At least once: only pushes in flight or not yet recorded at the kill can go out twice.
    assert duplicates <= IN_FLIGHT + 500
    print(
        f"\ncrash test: killed after {at_kill} accepted pushes; duplicates after restart: {duplicates}"
    )
