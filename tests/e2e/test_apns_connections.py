"""HTTP/2 connection behaviour of the fake APNs and abuse that must end only one connection."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator

import h2.errors
import h2.events
import h2.settings
import httpx
import pytest

from fakeproviders.apns import ApnsOptions, FakeApns
from fakeproviders.ca import LocalCA
from tests.doubles import ManualClock
from tests.e2e.test_apns_server import (
    APP,
    KEY,
    T0,
    TIMEOUT,
    RawH2,
    auth_headers,
    no_alpn_context,
    push,
    response_of,
)

MCS = h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS
AUTH = auth_headers()  # one JWT for every request: a new one per request would be refused


def request_headers(token: str) -> list[tuple[str, str]]:
    path = f"/3/device/{token}"
    pseudo = [(":method", "POST"), (":scheme", "https"), (":path", path)]
    return [*pseudo, (":authority", "localhost"), *AUTH.items()]


async def serving(ca: LocalCA, clock: ManualClock, **options: object) -> FakeApns:
    apns = FakeApns(
        clock=clock,
        ssl_context=ca.server_ssl_context(alpn=("h2",)),
        keys=[KEY],
        topics=[APP],
        options=ApnsOptions(**options),  # type: ignore[arg-type]
    )
    await apns.start()
    return apns


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def apns(ca: LocalCA, clock: ManualClock) -> AsyncIterator[FakeApns]:
    server = await serving(ca, clock)
    yield server
    await server.stop()


def stream_limits(raw: RawH2) -> list[int]:
    return [
        e.changed_settings[MCS].new_value
        for e in raw.events
        if isinstance(e, h2.events.RemoteSettingsChanged) and MCS in e.changed_settings
    ]


def goaway_of(raw: RawH2) -> h2.events.ConnectionTerminated:
    return next(e for e in raw.events if isinstance(e, h2.events.ConnectionTerminated))


def terminated(events: list[h2.events.Event]) -> bool:
    return any(isinstance(e, h2.events.ConnectionTerminated) for e in events)


async def test_alpn_h2_is_selected_when_offered(apns: FakeApns, ca: LocalCA) -> None:
    """A client offering ALPN h2 gets h2 selected (undici, httpx) and is served over HTTP/2."""
    context = ca.client_ssl_context()
    context.set_alpn_protocols(["h2"])
    raw = await RawH2.open(apns.port, context)
    try:
        assert raw.writer.get_extra_info("ssl_object").selected_alpn_protocol() == "h2"
        token = apns.registry.register("p1", APP)
        headers, _ = response_of(await raw.request(request_headers(token), b'{"aps":{}}'))
        assert headers[":status"] == "200"
    finally:
        await raw.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_tls_below_1_2_is_refused(apns: FakeApns, ca: LocalCA) -> None:
    """A client limited to TLS 1.1 cannot connect: APNs requires TLS 1.2 or later."""
    context = ca.client_ssl_context()
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await asyncio.wait_for(
            asyncio.open_connection(
                "127.0.0.1", apns.port, ssl=context, server_hostname="localhost"
            ),
            TIMEOUT,
        )


async def test_stream_limit_is_raised_after_the_first_valid_token(
    apns: FakeApns, ca: LocalCA
) -> None:
    """MAX_CONCURRENT_STREAMS is 1 until a valid JWT, then max_concurrent_streams (1000)."""
    token = apns.registry.register("p1", APP)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        await raw.request(request_headers(token), b'{"aps":{}}')
        await raw.until(lambda es: len(stream_limits(raw)) >= 2)
        assert stream_limits(raw) == [1, 1000]
    finally:
        await raw.close()


async def test_invalid_token_keeps_the_stream_limit_at_1(apns: FakeApns, ca: LocalCA) -> None:
    """A rejected provider token does not lift the one-stream limit."""
    token = apns.registry.register("p1", APP)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        bad = [(k, v) for k, v in request_headers(token) if k != "authorization"]
        await raw.request([*bad, ("authorization", "bearer nope")], b'{"aps":{}}')
        raw.h2.ping(b"barrier!")
        raw.flush()
        await raw.until(lambda es: any(isinstance(e, h2.events.PingAckReceived) for e in es))
        assert stream_limits(raw) == [1]
    finally:
        await raw.close()


async def test_throttle_drops_to_one_stream_after_a_rejection(
    ca: LocalCA, clock: ManualClock
) -> None:
    """With throttle_after_rejection, a rejection drops the limit to 1; a success restores it."""
    apns = await serving(ca, clock, throttle_after_rejection=True)
    token = apns.registry.register("p1", APP)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        await raw.request(request_headers(token), b'{"aps":{}}')
        await raw.request(request_headers("ab" * 32), b'{"aps":{}}')
        await raw.request(request_headers(token), b'{"aps":{}}')
        await raw.until(lambda es: len(stream_limits(raw)) >= 4)
        assert stream_limits(raw) == [1, 1000, 1, 1000]
    finally:
        await raw.close()
        await apns.stop()


async def test_idle_connection_gets_goaway_idle_timeout(ca: LocalCA, clock: ManualClock) -> None:
    """With idle_timeout, a connection without requests gets GOAWAY {"reason":"IdleTimeout"}."""
    apns = await serving(ca, clock, idle_timeout=0.05)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        await raw.until(terminated)
        assert json.loads(goaway_of(raw).additional_data or b"") == {"reason": "IdleTimeout"}
    finally:
        await raw.close()
        await apns.stop()


async def test_too_many_errors_end_the_connection(ca: LocalCA, clock: ManualClock) -> None:
    """After max_errors_per_connection rejections the server answers, then GOAWAY and closes."""
    apns = await serving(ca, clock, max_errors_per_connection=2)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        await raw.request(request_headers("ab" * 32), b'{"aps":{}}')
        stream = await raw.request(request_headers("cd" * 32), b'{"aps":{}}')
        assert response_of(stream)[1] == [b'{"reason":"BadDeviceToken"}']
        await raw.until(terminated)
        assert json.loads(goaway_of(raw).additional_data or b"") == {"reason": "BadDeviceToken"}
    finally:
        await raw.close()
        await apns.stop()


async def test_exceeding_the_stream_limit_gets_goaway_refused_stream(
    apns: FakeApns, ca: LocalCA
) -> None:
    """Opening a second stream while only one is allowed gets GOAWAY REFUSED_STREAM with APNs's
    plain-text "Maximum active streams violated" (pushy#356), and is counted; other clients are
    still served."""
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        for _ in range(2):  # sent before the server's SETTINGS (limit 1) are read
            stream_id = raw.h2.get_next_available_stream_id()
            raw.h2.send_headers(stream_id, request_headers("ab" * 32))
        raw.flush()
        await raw.until(terminated)
        goaway = goaway_of(raw)
        assert goaway.error_code == h2.errors.ErrorCodes.REFUSED_STREAM
        assert goaway.additional_data == b"Maximum active streams violated for this endpoint."
        assert apns.streams_over_limit == 1  # what `pushsim audit` H2-MAX-STREAMS reads
    finally:
        await raw.close()
    await still_serving(apns, ca)


async def test_rapid_stream_resets_end_the_connection(ca: LocalCA, clock: ManualClock) -> None:
    """A client resetting more streams than max_stream_resets gets GOAWAY ENHANCE_YOUR_CALM."""
    apns = await serving(ca, clock, max_stream_resets=20, streams_before_auth=None)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        for _ in range(30):
            stream_id = raw.h2.get_next_available_stream_id()
            raw.h2.send_headers(stream_id, request_headers("ab" * 32))
            raw.h2.reset_stream(stream_id)
        raw.flush()
        await raw.until(terminated)
        assert goaway_of(raw).error_code == h2.errors.ErrorCodes.ENHANCE_YOUR_CALM
    finally:
        await raw.close()
    await still_serving(apns, ca)
    await apns.stop()


async def test_client_that_never_reads_does_not_stop_the_others(
    apns: FakeApns, ca: LocalCA
) -> None:
    """A client that floods PINGs and never reads the answers leaves other clients served."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", apns.port, ssl=no_alpn_context(ca), server_hostname="localhost"
    )
    flood = RawH2(reader, writer)
    flood.flush()
    for _ in range(20_000):  # each PING makes the server write a PING ACK nobody reads
        flood.h2.ping(b"12345678")
    writer.write(flood.h2.data_to_send())
    await still_serving(apns, ca)
    writer.transport.abort()


async def test_unacknowledged_settings_do_not_block_requests(apns: FakeApns, ca: LocalCA) -> None:
    """Malformed frames on one connection (a SETTINGS frame of bad length) leave others served."""
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        raw.writer.write(b"\x00\x00\x05\x04\x00\x00\x00\x00\x00hello")
        await raw.until(terminated)
        assert goaway_of(raw).error_code == h2.errors.ErrorCodes.FRAME_SIZE_ERROR
    finally:
        await raw.close()
    await still_serving(apns, ca)


async def still_serving(apns: FakeApns, ca: LocalCA) -> None:
    token = apns.registry.register("other-phone", APP)
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context(), timeout=TIMEOUT) as c:
        assert (await push(c, apns, token, auth_headers())).status_code == 200
