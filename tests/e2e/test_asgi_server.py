"""The fakes' ASGI server (``fakeproviders.asgi``): HTTP/2 and HTTP/1.1 over TLS, real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import h2.errors
import h2.events
import httpx
import pytest

from fakeproviders.asgi import AsgiServer, ServerError, ServerLimits
from fakeproviders.ca import LocalCA
from tests.e2e.test_apns_server import TIMEOUT, RawH2

Scope = dict[str, Any]


class Echo:
    """An app that answers with what it saw; some paths misbehave on purpose."""

    def __init__(self) -> None:
        self.scopes: list[Scope] = []
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()
        self.disconnected = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        message = await receive()
        body = message["body"]
        path = scope["path"]
        if path == "/fail":
            raise RuntimeError("the app broke")
        if path == "/silent":
            return
        if path == "/wait":
            self.waiting.set()
            await self.release.wait()
        if path == "/disconnect":
            self.release.set()
            if (await receive())["type"] == "http.disconnect":
                self.disconnected.set()
            return
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if path == "/stream":
            for part in (b"one,", b"two,"):
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b"three"})
        elif path == "/big":
            await send({"type": "http.response.body", "body": b"x" * 200_000})
        else:
            await send({"type": "http.response.body", "body": b"echo:" + body})


@pytest.fixture
def app() -> Echo:
    return Echo()


async def started(app: Echo, ca: LocalCA, **limits: Any) -> AsgiServer:
    server = AsgiServer(app, ca.server_ssl_context(), ServerLimits(**limits), stop_grace=0.5)
    await server.start()
    return server


@pytest.fixture
async def server(app: Echo, ca: LocalCA) -> AsyncIterator[AsgiServer]:
    server = await started(app, ca, max_body_bytes=1000)
    yield server
    await server.stop()


def url(server: AsgiServer, path: str = "/") -> str:
    return f"https://127.0.0.1:{server.port}{path}"


def client(ca: LocalCA, http2: bool) -> httpx.AsyncClient:
    return httpx.AsyncClient(http2=http2, http1=not http2, verify=ca.client_ssl_context())


async def raw_http1(server: AsgiServer, ca: LocalCA, data: bytes) -> bytes:
    """Write ``data`` on a TLS connection that offers no ALPN; read until the server closes."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", server.port, ssl=ca.client_ssl_context(), server_hostname="localhost"
    )
    writer.write(data)
    try:
        async with asyncio.timeout(TIMEOUT):
            return await reader.read(-1)
    finally:
        writer.close()


@pytest.mark.parametrize("http2", [True, False], ids=["h2", "http1.1"])
async def test_scope_and_body_reach_the_app(
    server: AsgiServer, app: Echo, ca: LocalCA, http2: bool
) -> None:
    """The app gets an ASGI http scope (decoded path, raw path, query, headers) and the body."""
    async with client(ca, http2) as http:
        response = await http.post(url(server, "/a%20b/c?x=1&y=2"), content=b"hello")
    assert (response.status_code, response.content) == (200, b"echo:hello")
    assert response.headers["date"] and response.headers["content-type"] == "text/plain"
    scope = app.scopes[0]
    assert scope["http_version"] == ("2" if http2 else "1.1")
    assert (scope["method"], scope["scheme"]) == ("POST", "https")
    assert (scope["path"], scope["raw_path"]) == ("/a b/c", b"/a%20b/c")
    assert scope["query_string"] == b"x=1&y=2"
    assert dict(scope["headers"])[b"host"] == f"127.0.0.1:{server.port}".encode()
    assert scope["client"][0] == "127.0.0.1" and scope["server"][1] == server.port


@pytest.mark.parametrize("http2", [True, False], ids=["h2", "http1.1"])
async def test_many_requests_share_one_connection(
    server: AsgiServer, ca: LocalCA, http2: bool
) -> None:
    """Requests, concurrent over HTTP/2 and one after another over HTTP/1.1, keep one connection."""
    async with client(ca, http2) as http:
        bodies = [str(i).encode() for i in range(20)]
        if http2:
            responses = await asyncio.gather(*(http.post(url(server), content=b) for b in bodies))
        else:
            responses = [await http.post(url(server), content=b) for b in bodies]
        assert [r.content for r in responses] == [b"echo:" + b for b in bodies]
        assert server.connections == 1


@pytest.mark.parametrize("http2", [True, False], ids=["h2", "http1.1"])
async def test_streamed_and_large_answers_arrive_whole(
    server: AsgiServer, ca: LocalCA, http2: bool
) -> None:
    """Bodies sent in parts arrive joined; one larger than the HTTP/2 window waits for it."""
    async with client(ca, http2) as http:
        streamed = await http.get(url(server, "/stream"))
        big = await http.get(url(server, "/big"))
    assert streamed.content == b"one,two,three"
    assert big.content == b"x" * 200_000


@pytest.mark.parametrize("http2", [True, False], ids=["h2", "http1.1"])
@pytest.mark.parametrize("path", ["/fail", "/silent"])
async def test_an_app_that_fails_or_answers_nothing_gives_500(
    server: AsgiServer, ca: LocalCA, http2: bool, path: str
) -> None:
    """An exception in the app, or no answer at all, is a 500, and the server keeps serving."""
    async with client(ca, http2) as http:
        failed = await http.get(url(server, path))
        after = await http.post(url(server), content=b"ok")
    assert failed.status_code == 500
    assert (after.status_code, after.content) == (200, b"echo:ok")


@pytest.mark.parametrize("http2", [True, False], ids=["h2", "http1.1"])
async def test_a_body_over_the_limit_is_refused_with_413(
    server: AsgiServer, app: Echo, ca: LocalCA, http2: bool
) -> None:
    """Bodies above ``max_body_bytes`` get 413 and never reach the app."""
    async with client(ca, http2) as http:
        response = await http.post(url(server), content=b"x" * 1001)
    assert response.status_code == 413
    assert app.scopes == []


async def test_http2_prior_knowledge_without_alpn(server: AsgiServer, ca: LocalCA) -> None:
    """A client that offers no ALPN but sends the HTTP/2 preface is served HTTP/2."""
    raw = await RawH2.open(server.port, ca.client_ssl_context())
    try:
        headers = [(":method", "POST"), (":scheme", "https"), (":path", "/"), (":authority", "x")]
        events = await raw.request(headers, b"h2")
    finally:
        await raw.close()
    data = b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived))
    assert data == b"echo:h2"


async def test_http2_settings_advertise_the_stream_limit(app: Echo, ca: LocalCA) -> None:
    """SETTINGS carry ``max_concurrent_streams``."""
    server = await started(app, ca, max_concurrent_streams=7)
    raw = await RawH2.open(server.port, ca.client_ssl_context())
    try:
        await raw.until(
            lambda events: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events)
        )
        assert raw.h2.remote_settings.max_concurrent_streams == 7
    finally:
        await raw.close()
        await server.stop()


async def test_http2_reset_stream_disconnects_the_app(
    server: AsgiServer, app: Echo, ca: LocalCA
) -> None:
    """When the client resets its stream, the app's next receive() is http.disconnect."""
    raw = await RawH2.open(server.port, ca.client_ssl_context())
    try:
        stream_id = raw.h2.get_next_available_stream_id()
        headers = [(":method", "GET"), (":scheme", "https"), (":path", "/disconnect")]
        raw.h2.send_headers(stream_id, [*headers, (":authority", "x")], end_stream=True)
        raw.flush()
        async with asyncio.timeout(TIMEOUT):
            await app.release.wait()
            raw.h2.reset_stream(stream_id)
            raw.flush()
            await app.disconnected.wait()
    finally:
        await raw.close()


async def test_http1_without_alpn_and_pipelined_requests(server: AsgiServer, ca: LocalCA) -> None:
    """No ALPN and no preface means HTTP/1.1; pipelined requests are answered in order."""
    one = b"POST /1 HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\none"
    two = b"POST /2 HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nconnection: close\r\n\r\ntwo"
    answer = await raw_http1(server, ca, one + two)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.index(b"echo:one") < answer.index(b"echo:two")
    assert answer.count(b"content-length: 8\r\n") == 2


async def test_http1_malformed_request_gets_400_and_close(server: AsgiServer, ca: LocalCA) -> None:
    """A request line that is not HTTP gets 400 and the connection is closed."""
    answer = await raw_http1(server, ca, b"NOT HTTP AT ALL\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"connection: close" in answer


async def test_http1_expect_100_continue(server: AsgiServer, ca: LocalCA) -> None:
    """A client that waits for 100 Continue gets it before sending its body."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", server.port, ssl=ca.client_ssl_context(), server_hostname="localhost"
    )
    try:
        writer.write(
            b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n"
        )
        async with asyncio.timeout(TIMEOUT):
            assert (await reader.readline()).startswith(b"HTTP/1.1 100 ")
            assert await reader.readline() == b"\r\n"
            writer.write(b"body")
            assert (await reader.readline()).startswith(b"HTTP/1.1 200 ")
            assert (await reader.readuntil(b"echo:body")).endswith(b"echo:body")
    finally:
        writer.close()


async def test_http1_head_sends_no_body(server: AsgiServer, ca: LocalCA) -> None:
    """HEAD: status and content-length of the answer, but no body."""
    answer = await raw_http1(server, ca, b"HEAD / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"content-length: 5" in head
    assert body == b""


@pytest.mark.parametrize("http2", [True, False], ids=["h2", "http1.1"])
async def test_stop_lets_the_answer_in_flight_finish(app: Echo, ca: LocalCA, http2: bool) -> None:
    """stop() waits for an answer being written, then closes; the port refuses afterwards."""
    server = await started(app, ca)
    port = server.port
    async with client(ca, http2) as http:
        pending = asyncio.create_task(http.get(url(server, "/wait")))
        async with asyncio.timeout(TIMEOUT):
            await app.waiting.wait()
        stopping = asyncio.create_task(server.stop())
        await asyncio.sleep(0)  # stop() runs until its first await: connections are draining
        app.release.set()
        response = await pending
        await stopping
    assert response.status_code == 200
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    await server.stop()  # idempotent


async def test_idle_connections_are_closed_after_the_timeout(app: Echo, ca: LocalCA) -> None:
    """With ``idle_timeout``, a connection with nothing in flight gets GOAWAY and is closed."""
    server = await started(app, ca, idle_timeout=0.1)
    raw = await RawH2.open(server.port, ca.client_ssl_context())
    try:
        headers = [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "x")]
        await raw.request(headers, b"")
        events = await raw.until(lambda _: False)  # reads until the server closes
        assert raw.closed
        assert any(isinstance(e, h2.events.ConnectionTerminated) for e in events)
    finally:
        await raw.close()
        await server.stop()


async def test_start_twice_and_port_before_start_are_errors(app: Echo, ca: LocalCA) -> None:
    """Misuse is a clear ServerError; a busy port too."""
    server = AsgiServer(app, ca.server_ssl_context())
    with pytest.raises(ServerError, match="not started"):
        _ = server.port
    await server.start()
    try:
        with pytest.raises(ServerError, match="already started"):
            await server.start()
        other = AsgiServer(app, ca.server_ssl_context())
        with pytest.raises(ServerError, match="cannot bind"):
            await other.start("127.0.0.1", server.port)
    finally:
        await server.stop()


def test_limits_defaults() -> None:
    """ServerLimits defaults: 100 streams, 8 MiB bodies, 64 KiB of headers, no idle timeout."""
    limits = ServerLimits()
    assert limits.max_concurrent_streams == 100
    assert (limits.max_body_bytes, limits.max_header_bytes) == (8 * 1024 * 1024, 64 * 1024)
    assert limits.idle_timeout is None


async def test_http2_garbage_ends_only_that_connection(server: AsgiServer, ca: LocalCA) -> None:
    """Bytes that are not HTTP/2 after ALPN h2: GOAWAY (PROTOCOL_ERROR) and close; the server
    keeps serving other clients."""
    context = ca.client_ssl_context()
    context.set_alpn_protocols(["h2"])
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", server.port, ssl=context, server_hostname="localhost"
    )
    writer.write(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n" * 2)
    try:
        async with asyncio.timeout(TIMEOUT):
            answer = await reader.read(-1)
    finally:
        writer.close()
    # The server's SETTINGS, then a GOAWAY frame (type 0x7) with PROTOCOL_ERROR (0x1).
    assert b"\x07\x00\x00\x00\x00\x00" in answer and answer.endswith(b"\x00\x00\x00\x01")
    async with client(ca, True) as http:
        assert (await http.post(url(server), content=b"still")).content == b"echo:still"


async def test_stop_closes_a_connection_that_never_said_its_protocol(
    app: Echo, ca: LocalCA
) -> None:
    """No ALPN and no bytes yet: stop() still closes the connection instead of leaving it."""
    server = await started(app, ca)
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", server.port, ssl=ca.client_ssl_context(), server_hostname="localhost"
    )
    try:
        await server.stop()
        async with asyncio.timeout(TIMEOUT):
            assert await reader.read() == b""  # closed by the server
    finally:
        writer.close()


async def test_http2_streams_opened_while_stopping_are_refused(app: Echo, ca: LocalCA) -> None:
    """During stop(), a new stream gets REFUSED_STREAM (safe to retry elsewhere) while the
    answer already in flight is still written."""
    server = await started(app, ca)
    raw = await RawH2.open(server.port, ca.client_ssl_context())
    pseudo = [(":method", "GET"), (":scheme", "https"), (":authority", "x")]
    try:
        first = raw.h2.get_next_available_stream_id()
        raw.h2.send_headers(first, [*pseudo, (":path", "/wait")], end_stream=True)
        raw.flush()
        async with asyncio.timeout(TIMEOUT):
            await app.waiting.wait()
        stopping = asyncio.create_task(server.stop())
        await asyncio.sleep(0)  # stop() runs until its first await: connections are draining
        second = raw.h2.get_next_available_stream_id()
        raw.h2.send_headers(second, [*pseudo, (":path", "/")], end_stream=True)
        raw.flush()
        events = await raw.until(lambda evs: any(isinstance(e, h2.events.StreamReset) for e in evs))
        (refused,) = [e for e in events if isinstance(e, h2.events.StreamReset)]
        assert (refused.stream_id, refused.error_code) == (
            second,
            h2.errors.ErrorCodes.REFUSED_STREAM,
        )
        app.release.set()
        answered = await raw.request_events(first)
        assert any(isinstance(e, h2.events.StreamEnded) for e in answered)
        await stopping
    finally:
        await raw.close()
