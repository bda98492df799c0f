"""Kill -9 a sender in the middle of a campaign: every push is still delivered.

On SQLite the one sender is restarted; on PostgreSQL two instances share the campaign and the
survivor takes the killed one's batches over once their lease runs out.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from fakeproviders.ca import LocalCA
from sender import open_store
from sender.models import Device
from tests.e2e.sender_process import start_sender
from tests.sender.providers import APP_ID, Providers, running_providers

DEVICES = {"sqlite": 5_000, "postgres": 2_000}
API_KEY = "crash-api-key"
IN_FLIGHT = 200
LEASE = 2.0


async def _start_sender(
    providers: Providers, database: str, log: Path
) -> tuple[asyncio.subprocess.Process, str]:
    variables = {
        **providers.sender_environment(),
        "PUSHSIM_SENDER_API_KEY": API_KEY,
        "PUSHSIM_SENDER_APP_KEY": "crash-app-key",
        "PUSHSIM_SENDER_LOG_LEVEL": "WARNING",
        "PUSHSIM_SENDER_MAX_IN_FLIGHT": str(IN_FLIGHT),
        "PUSHSIM_SENDER_LEASE": str(LEASE),
        "PUSHSIM_SENDER_POLL_INTERVAL": "0.1",
    }
    return await start_sender(variables, database, log)


def _register(providers: Providers, database: str, count: int) -> list[str]:
    store = open_store(database)
    tokens = []
    for i in range(count):
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
    return tokens


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
async def test_kill_9_mid_campaign_loses_nothing(
    engine: str, ca: LocalCA, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every push of a campaign (5,000 devices on SQLite, 2,000 on PostgreSQL) reaches the
    providers despite a kill -9 mid-way; only pushes the killed sender held (at most its
    in-flight window) may go out twice."""
    devices = DEVICES[engine]
    if engine == "sqlite":
        database = str(tmp_path / "sender.sqlite3")
    else:
        database = request.getfixturevalue("postgres_url")
    log = tmp_path / "sender.log"
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with running_providers(ca, tmp_path) as providers:
        tokens = _register(providers, database, devices)
        survivor = None
        if engine == "postgres":
            survivor = await _start_sender(providers, database, log)
        first, url = await _start_sender(providers, database, log)
        try:
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as api:
                response = await api.post(
                    "/v1/notifications", json={"everyone": True, "title": "Sale", "body": "50%"}
                )
            assert response.status_code == 202, response.text
            notification_id = response.json()["id"]
            await providers.wait_accepted(devices // 4, timeout=30)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        at_kill = providers.total_accepted
        assert at_kill < devices, "the campaign finished before the kill: nothing was tested"

        second, url = survivor or await _start_sender(providers, database, log)
        try:
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=40) as api:
                for _ in range(3):  # the API waits at most 30 s at a time
                    result = (
                        await api.get(f"/v1/notifications/{notification_id}", params={"wait": 30})
                    ).json()
                    if result["status"] == "done":
                        break
                stats = (await api.get("/v1/stats")).json()
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 10) == 0, "clean exit on SIGTERM"

    assert result["status"] == "done"
    assert set(providers.accepted) == set(tokens), "every device got the notification"
    outcomes = result["deliveries"]
    assert {d["token"] for d in outcomes} == set(tokens)
    assert all(d["outcome"] == "accepted" for d in outcomes)
    # An outcome the killed sender wrote and its successor wrote again counts twice in
    # "accepted"; "duplicates" says how many (one per token in ``outcomes``).
    assert len(outcomes) == devices and stats["duplicates"] <= IN_FLIGHT
    assert stats["accepted"] == devices + stats["duplicates"]
    duplicates = providers.total_accepted - devices
    # At least once: only pushes the killed sender held (sent or sending, outcome not yet
    # written) can go out twice, and it holds at most its in-flight window.
    assert duplicates <= IN_FLIGHT
    if engine == "postgres":
        assert "took over batch" in log.read_text(), "the survivor took the killed one's work"
    print(
        f"\ncrash test ({engine}): killed after {at_kill} accepted pushes; duplicates: "
        f"{duplicates} sent twice, {stats['duplicates']} recorded twice"
    )
