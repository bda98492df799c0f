"""The sender's HTTP/2 pool against the fake APNs: stream limits and reconnection."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from fakeproviders.apns import ApnsSigningKey, FakeApns
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.ca import LocalCA
from fakeproviders.clock import WallClock
from fakeproviders.hypercorn_server import HypercornServer
from sender import ApnsClient, SystemClock
from sender.errors import ProviderUnreachable
from sender.h2_pool import H2Pool

APP = "com.example.app"


async def _pushes(client: ApnsClient, tokens: list[str]) -> list[int]:
    results = await asyncio.gather(
        *(
            client.send(t, APP, {"apns-push-type": "alert"}, {"aps": {"alert": "hi"}})
            for t in tokens
        )
    )
    return [r.status for r in results]


async def test_pool_honours_max_concurrent_streams(ca: LocalCA, tmp_path: Path) -> None:
    """With MAX_CONCURRENT_STREAMS 1 before auth and 4 after, 40 concurrent pushes all succeed on
    one connection: the client never opens more streams than the server allows."""
    key = ApnsSigningKey.generate()
    apns = FakeApns(
        clock=WallClock(),
        ssl_context=ca.server_ssl_context(alpn=("h2",)),
        keys=[key],
        topics=[APP],
        options=ApnsOptions(max_concurrent_streams=4, streams_before_auth=1),
    )
    await apns.start()
    client = ApnsClient(
        apns.url,
        key.team_id,
        key.key_id,
        key.private_key_pem,
        ca.cert_path,
        SystemClock(),
        max_connections=1,
    )
    try:
        tokens = [apns.registry.register(f"phone-{i}", APP) for i in range(40)]
        assert await _pushes(client, tokens) == [200] * 40
        pool = client.pool
        assert (pool.connections_opened, pool.goaways) == (1, 0)
        (connection,) = pool.connections
        assert connection.max_streams == 4
    finally:
        await client.aclose()
        await apns.stop()


async def test_pool_reconnects_after_the_server_goes_away(ca: LocalCA, tmp_path: Path) -> None:
    """When the server shuts down (GOAWAY Shutdown) the next push opens a new connection."""
    key = ApnsSigningKey.generate()
    first = FakeApns(
        clock=WallClock(), ssl_context=ca.server_ssl_context(alpn=("h2",)), keys=[key], topics=[APP]
    )
    await first.start()
    port = first.port
    client = ApnsClient(
        first.url, key.team_id, key.key_id, key.private_key_pem, ca.cert_path, SystemClock()
    )
    try:
        token = first.registry.register("phone", APP)
        assert await _pushes(client, [token]) == [200]
        await first.stop()  # GOAWAY {"reason": "Shutdown"} on the open connection
        second = FakeApns(
            clock=WallClock(),
            ssl_context=ca.server_ssl_context(alpn=("h2",)),
            keys=[key],
            topics=[APP],
            registry=first.registry,
        )
        await second.start(port=port)
        try:
            assert await _pushes(client, [token]) == [200]
        finally:
            await second.stop()
        assert client.pool.connections_opened == 2
    finally:
        await client.aclose()


async def test_pool_gives_up_on_a_silent_server_and_resets_the_stream(ca: LocalCA) -> None:
    """A server that never answers: ProviderUnreachable after the timeout, and the stream is
    reset (CANCEL) so the server learns that nobody waits for it any more."""
    reset = asyncio.Event()

    async def silent(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass  # the body
        if (await receive())["type"] == "http.disconnect":  # waits until the stream is reset
            reset.set()

    server = HypercornServer(silent, ca.server_ssl_context(alpn=("h2",)))
    await server.start()
    pool = H2Pool(f"https://127.0.0.1:{server.port}", ca.client_ssl_context(), max_connections=1)
    try:
        with pytest.raises(ProviderUnreachable, match=r"no answer from .* in 0\.2 s"):
            await pool.request("POST", "/", [], b"{}", timeout=0.2)
        async with asyncio.timeout(5):
            await reset.wait()
        (connection,) = pool.connections
        assert connection.usable and connection.reserved == 0  # the connection stays in use
    finally:
        await pool.aclose()
        await server.stop()
