"""The CONNECT proxy on real loopback sockets, with an echo server standing in for a fake."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from fakeproviders.proxy import ConnectProxy, Route


@contextlib.asynccontextmanager
async def _echo_server():
    async def echo(reader, writer):
        while data := await reader.read(1024):
            if data == b"bye":
                break
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def proxy():
    async with _echo_server() as port:
        routes = {("api.push.apple.com", 443): Route(target_port=port, service="apns")}
        proxy = ConnectProxy(routes)
        await proxy.start()
        yield proxy
        await proxy.stop()


async def _connect(
    proxy: ConnectProxy, request: bytes
) -> tuple[bytes, asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    return head, reader, writer


async def _until(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_connect_to_a_faked_host_is_tunnelled(proxy):
    """CONNECT api.push.apple.com:443 answers the exact status line strict clients wait for."""
    head, reader, writer = await _connect(
        proxy, b"CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n\r\n"
    )
    assert head == b"HTTP/1.1 200 Connection established\r\n\r\n"
    writer.write(b"ping")
    await writer.drain()
    assert await asyncio.wait_for(reader.readexactly(4), 5) == b"ping"
    writer.close()


async def test_host_names_are_case_insensitive(proxy):
    """The authority's host is matched without regard to case."""
    head, _, writer = await _connect(proxy, b"CONNECT API.Push.Apple.com:443 HTTP/1.1\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    writer.close()


@pytest.mark.parametrize(
    "authority",
    [b"example.com:443", b"10.0.0.1:443", b"api.push.apple.com:8443", b"no-port"],
)
async def test_other_destinations_are_refused(proxy, authority):
    """Unlisted hosts, other ports and non-loopback addresses get 403 (or 403 for bad syntax)."""
    head, reader, _ = await _connect(proxy, b"CONNECT " + authority + b" HTTP/1.1\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403 Forbidden")
    body = await asyncio.wait_for(reader.read(), 5)
    assert b"not a service pushsim fakes" in body


async def test_plain_http_requests_are_refused(proxy):
    """A GET through the proxy is 405: it only tunnels HTTPS to the fakes."""
    head, _, _ = await _connect(
        proxy, b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"
    )
    assert head.startswith(b"HTTP/1.1 405")


async def test_survives_a_client_that_leaves_mid_handshake(proxy):
    """A client that sends half a request and disconnects does not disturb the next one."""
    _, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"CONNECT api.push.ap")
    await writer.drain()
    writer.close()
    await _until(lambda: proxy.open_tunnels == 0)
    head, _, writer = await _connect(proxy, b"CONNECT api.push.apple.com:443 HTTP/1.1\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    writer.close()


async def test_tunnel_closes_when_the_client_closes(proxy):
    """Once the client side closes, the tunnel and its upstream connection are gone."""
    _, _, writer = await _connect(proxy, b"CONNECT api.push.apple.com:443 HTTP/1.1\r\n\r\n")
    assert proxy.open_tunnels == 1
    writer.close()
    await _until(lambda: proxy.open_tunnels == 0)


async def test_tunnel_closes_when_the_upstream_closes(proxy):
    """Once the fake closes its side, the client's connection is closed too."""
    _, reader, writer = await _connect(proxy, b"CONNECT api.push.apple.com:443 HTTP/1.1\r\n\r\n")
    writer.write(b"bye")  # the echo server closes on this
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    await _until(lambda: proxy.open_tunnels == 0)
