"""SenderServer on a real loopback socket."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from sender import SenderServer, SenderService, SqliteStore, create_app
from tests.sender.conftest import ManualClock


async def test_serves_on_ephemeral_port_without_touching_signals(tmp_path: Path) -> None:
    """The server binds port 0, reports the real URL, answers, leaves SIGINT alone, and stops."""
    store = SqliteStore(tmp_path / "sender.db")
    service = SenderService(store, None, None, ManualClock())
    server = SenderServer(create_app(service, api_key="k", app_key="a"))
    before = signal.getsignal(signal.SIGINT)
    await server.start()
    try:
        assert server.port > 0
        assert signal.getsignal(signal.SIGINT) is before
        assert service.running, "the app's lifespan starts the service"
        async with httpx.AsyncClient(base_url=server.url) as client:
            response = await client.post(
                "/v1/devices",
                json={"token": "ab" * 32, "platform": "ios", "app_id": "x", "user_id": "u"},
                headers={"X-App-Key": "a"},
            )
        assert response.status_code == 201
    finally:
        await server.stop()
    store.close()
    assert not service.running
    assert signal.getsignal(signal.SIGINT) is before
