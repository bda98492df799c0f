"""The fake APNs over real TLS sockets: httpx for ordinary requests, raw h2 for the rest."""

from __future__ import annotations

import asyncio
import json
import os
import re
import ssl
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import httpx
import pytest

from fakeproviders.apns import ApnsOptions, ApnsSigningKey, FakeApns
from fakeproviders.ca import LocalCA
from fakeproviders.events import (
    NotificationAccepted,
    NotificationDelivered,
    NotificationRejected,
    ProviderEvent,
)
from tests.doubles import Inbox, ManualClock

APP = "com.example.app"
T0 = 1_700_000_000.0
APNS_ID = "123e4567-e89b-12d3-a456-426614174000"
PAYLOAD = {"aps": {"alert": {"title": "Hi", "body": "there"}}}
TIMEOUT = 5.0


KEY = ApnsSigningKey.generate()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def events() -> list[ProviderEvent]:
    return []


async def _serving(apns: FakeApns) -> AsyncIterator[FakeApns]:
    await apns.start()
    try:
        yield apns
    finally:
        await apns.stop()


@pytest.fixture
async def apns(
    ca: LocalCA, clock: ManualClock, events: list[ProviderEvent]
) -> AsyncIterator[FakeApns]:
    server = FakeApns(
        clock=clock,
        ssl_context=ca.server_ssl_context(alpn=("h2",)),
        keys=[KEY],
        topics=[APP],
        emit=events.append,
    )
    async for running in _serving(server):
        yield running


@pytest.fixture
async def client(ca: LocalCA) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(http2=True, verify=ca.client_ssl_context(), timeout=TIMEOUT) as c:
        yield c


def auth_headers(
    key: ApnsSigningKey = KEY, iat: float = T0, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    return {
        "authorization": f"bearer {key.provider_token(int(iat))}",
        "apns-topic": APP,
        "apns-push-type": "alert",
        **(extra or {}),
    }


async def push(
    client: httpx.AsyncClient, apns: FakeApns, token: str, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        f"{apns.url}/3/device/{token}",
        headers=dict(headers if headers is not None else auth_headers()),
        content=json.dumps(PAYLOAD).encode(),
    )


# -- httpx ---------------------------------------------------------------------------------------


async def test_accepted_push_is_200_with_the_echoed_apns_id(
    apns: FakeApns, client: httpx.AsyncClient
) -> None:
    """A valid push over HTTP/2 gets 200, its apns-id echoed and a sandbox apns-unique-id."""
    token = apns.registry.register("p1", APP)
    response = await push(client, apns, token, auth_headers(extra={"apns-id": APNS_ID}))
    assert response.http_version == "HTTP/2"
    assert response.status_code == 200
    assert response.headers["apns-id"] == APNS_ID
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["apns-unique-id"])
    assert response.content == b""


async def test_push_reaches_a_connected_phone(
    apns: FakeApns, client: httpx.AsyncClient, events: list[ProviderEvent]
) -> None:
    """An accepted push is handed to the connected phone's inbox, announced on the timeline."""
    token = apns.registry.register("p1", APP)
    inbox = Inbox()
    apns.registry.connect("p1", inbox)
    response = await push(client, apns, token)
    apns_id = response.headers["apns-id"]
    assert [(t, i, p) for t, i, _, p in inbox.pushes] == [(token, apns_id, PAYLOAD)]
    assert inbox.pushes[0][2]["apns-push-type"] == "alert"
    kinds = [type(e) for e in events if getattr(e, "push_id", None) == apns_id]
    assert kinds == [NotificationAccepted, NotificationDelivered]


async def test_offline_push_is_stored_and_flushed_on_connect(
    apns: FakeApns, client: httpx.AsyncClient
) -> None:
    """A push to an offline phone is still 200, and arrives when the phone connects."""
    token = apns.registry.register("p1", APP)
    response = await push(client, apns, token)
    assert response.status_code == 200
    inbox = Inbox()
    apns.registry.connect("p1", inbox)
    assert [i for _, i, _, _ in inbox.pushes] == [response.headers["apns-id"]]


async def test_unknown_token_is_400_bad_device_token(
    apns: FakeApns, client: httpx.AsyncClient, events: list[ProviderEvent]
) -> None:
    """An unknown token gets 400, application/json, an apns-id and {"reason":"BadDeviceToken"}."""
    response = await push(client, apns, "ab" * 32)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.headers["apns-id"]
    assert response.json() == {"reason": "BadDeviceToken"}
    assert isinstance(events[-1], NotificationRejected)
    assert (events[-1].status, events[-1].reason) == (400, "BadDeviceToken")
    assert apns.request_log[-1][3:5] == (400, "BadDeviceToken")


async def test_uninstalled_token_is_410_with_integer_ms_timestamp(
    apns: FakeApns, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """After uninstall, a push still gets 200 and reaches the phone; later ones get 410
    Unregistered with that moment as integer ms (reference/devices.md §1.5; delay 0 here)."""
    apns.registry.invalidation_delay = 0.0
    token = apns.registry.register("p1", APP)
    apns.registry.connect("p1", Inbox())
    apns.registry.unregister(token)
    clock.t = T0 + 1.5
    headers = auth_headers()  # one JWT: a new one within 20 min is TooManyProviderTokenUpdates
    assert (await push(client, apns, token, headers)).status_code == 200
    clock.t = T0 + 60
    response = await push(client, apns, token, headers)
    assert response.status_code == 410
    assert response.content == b'{"reason":"Unregistered","timestamp":%d}' % int((T0 + 1.5) * 1000)


async def test_provider_token_older_than_an_hour_is_403_expired(
    apns: FakeApns, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """Once the clock passes an hour after iat, the same JWT gets 403 ExpiredProviderToken."""
    token = apns.registry.register("p1", APP)
    headers = auth_headers()
    assert (await push(client, apns, token, headers)).status_code == 200
    clock.t = T0 + 3601
    response = await push(client, apns, token, headers)
    assert (response.status_code, response.json()) == (403, {"reason": "ExpiredProviderToken"})


async def test_token_signed_by_another_key_is_403_invalid(
    apns: FakeApns, client: httpx.AsyncClient
) -> None:
    """A JWT signed by a key the server was not given gets 403 InvalidProviderToken."""
    token = apns.registry.register("p1", APP)
    response = await push(client, apns, token, auth_headers(key=ApnsSigningKey.generate()))
    assert (response.status_code, response.json()) == (403, {"reason": "InvalidProviderToken"})


# -- raw h2 --------------------------------------------------------------------------------------


class RawH2:
    """A bare h2 client over TLS, for what httpx cannot express."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.h2.initiate_connection()
        self.events: list[h2.events.Event] = []
        self.closed = False

    @classmethod
    async def open(cls, port: int, context: ssl.SSLContext) -> RawH2:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname="localhost"
        )
        raw = cls(reader, writer)
        raw.flush()
        return raw

    def flush(self) -> None:
        self.writer.write(self.h2.data_to_send())

    async def until(self, done: Callable[[list[h2.events.Event]], bool]) -> list[h2.events.Event]:
        """Read until ``done(events)`` or the server closes; return all events so far."""
        async with asyncio.timeout(TIMEOUT):
            while not done(self.events) and not self.closed:
                try:
                    data = await self.reader.read(65536)
                except (ConnectionError, ssl.SSLError):
                    data = b""
                if not data:
                    self.closed = True
                    break
                self.events += self.h2.receive_data(data)
                self.flush()
        return self.events

    async def request(
        self, headers: Sequence[tuple[str, str]], body: bytes
    ) -> list[h2.events.Event]:
        """Send one request; return the events of its stream once it ends."""
        stream_id = self.h2.get_next_available_stream_id()
        self.h2.send_headers(stream_id, list(headers))
        self.h2.send_data(stream_id, body, end_stream=True)
        self.flush()
        return await self.request_events(stream_id)

    async def request_events(self, stream_id: int) -> list[h2.events.Event]:
        """The events of ``stream_id``, once the server has ended it."""

        def ended(events: list[h2.events.Event]) -> bool:
            return any(
                isinstance(e, h2.events.StreamEnded) and e.stream_id == stream_id for e in events
            )

        await self.until(ended)
        return [e for e in self.events if getattr(e, "stream_id", None) == stream_id]

    async def close(self) -> None:
        self.writer.close()
        try:
            async with asyncio.timeout(TIMEOUT):
                await self.writer.wait_closed()
        except (ConnectionError, ssl.SSLError):
            pass


def request_headers(
    token: str, *, host: bool = False, extra: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    pseudo = [(":method", "POST"), (":scheme", "https"), (":path", f"/3/device/{token}")]
    # Apple's sample and aioapns send `host` instead of `:authority` (reference/apns.md §1.2).
    authority = [("host", "api.sandbox.push.apple.com")] if host else []
    if not host:
        pseudo.append((":authority", "localhost"))
    return [*pseudo, *authority, *auth_headers().items(), *extra]


def response_of(stream_events: list[h2.events.Event]) -> tuple[dict[str, str], list[bytes]]:
    headers = next(e for e in stream_events if isinstance(e, h2.events.ResponseReceived))
    frames = [bytes(e.data) for e in stream_events if isinstance(e, h2.events.DataReceived)]
    return dict(headers.headers or []), frames  # type: ignore[arg-type]


def no_alpn_context(ca: LocalCA) -> ssl.SSLContext:
    """Like aioapns and Pushy: TLS that offers no ALPN protocol (reference/apns.md §4)."""
    return ca.client_ssl_context()


async def test_http2_works_without_alpn(apns: FakeApns, ca: LocalCA) -> None:
    """A client that offers no ALPN still speaks HTTP/2 with prior knowledge and gets 200."""
    token = apns.registry.register("p1", APP)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        assert raw.writer.get_extra_info("ssl_object").selected_alpn_protocol() is None
        headers, _ = response_of(await raw.request(request_headers(token), b'{"aps":{}}'))
        assert headers[":status"] == "200"
    finally:
        await raw.close()


async def test_host_header_replaces_authority(apns: FakeApns, ca: LocalCA) -> None:
    """A request with `host` and no `:authority` (Apple's sample, aioapns) is served."""
    token = apns.registry.register("p1", APP)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        stream = await raw.request(request_headers(token, host=True), b'{"aps":{}}')
        assert response_of(stream)[0][":status"] == "200"
    finally:
        await raw.close()


async def test_error_is_one_data_frame_with_end_stream(apns: FakeApns, ca: LocalCA) -> None:
    """An error body arrives whole in ONE DATA frame that ends the stream."""
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        stream = await raw.request(request_headers("cd" * 32), b'{"aps":{}}')
        headers, frames = response_of(stream)
        assert headers[":status"] == "400"
        assert headers["content-type"] == "application/json"
        assert frames == [b'{"reason":"BadDeviceToken"}']
        data = next(e for e in stream if isinstance(e, h2.events.DataReceived))
        assert data.stream_ended is not None
    finally:
        await raw.close()


async def test_duplicate_header_is_400_duplicate_headers(apns: FakeApns, ca: LocalCA) -> None:
    """A request repeating a header gets 400 DuplicateHeaders."""
    token = apns.registry.register("p1", APP)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        stream = await raw.request(
            request_headers(token, extra=[("apns-priority", "10"), ("apns-priority", "5")]),
            b'{"aps":{}}',
        )
        headers, frames = response_of(stream)
        assert (headers[":status"], frames) == ("400", [b'{"reason":"DuplicateHeaders"}'])
    finally:
        await raw.close()


async def test_settings_are_those_apns_advertises(apns: FakeApns, ca: LocalCA) -> None:
    """The server's SETTINGS match APNs's: table 4096, one stream before auth, window 65535,
    frame 16384, header list 8000."""
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        events = await raw.until(
            lambda es: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in es)
        )
        changed = next(e for e in events if isinstance(e, h2.events.RemoteSettingsChanged))
        codes = h2.settings.SettingCodes
        assert {k: v.new_value for k, v in changed.changed_settings.items()} == {
            codes.HEADER_TABLE_SIZE: 4096,
            codes.MAX_CONCURRENT_STREAMS: 1,
            codes.INITIAL_WINDOW_SIZE: 65535,
            codes.MAX_FRAME_SIZE: 16384,
            codes.MAX_HEADER_LIST_SIZE: 8000,
        }
    finally:
        await raw.close()


async def test_one_stream_until_the_first_valid_token(ca: LocalCA, clock: ManualClock) -> None:
    """With streams_before_auth=1, MAX_CONCURRENT_STREAMS is 1 until a valid JWT, then raised."""
    server = FakeApns(
        clock=clock,
        ssl_context=ca.server_ssl_context(alpn=("h2",)),
        keys=[KEY],
        topics=[APP],
        options=ApnsOptions(streams_before_auth=1, max_concurrent_streams=500),
    )
    async for apns in _serving(server):
        token = apns.registry.register("p1", APP)
        raw = await RawH2.open(apns.port, no_alpn_context(ca))
        try:
            await raw.request(request_headers(token), b'{"aps":{}}')
            await raw.until(
                lambda es: sum(isinstance(e, h2.events.RemoteSettingsChanged) for e in es) >= 2
            )
            code = h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS
            limits = [
                e.changed_settings[code].new_value
                for e in raw.events
                if isinstance(e, h2.events.RemoteSettingsChanged) and code in e.changed_settings
            ]
            assert limits == [1, 500]
        finally:
            await raw.close()


async def test_garbage_client_does_not_stop_the_server(
    apns: FakeApns, ca: LocalCA, client: httpx.AsyncClient
) -> None:
    """Random bytes after TLS close that connection only; other clients are still served."""
    token = apns.registry.register("p1", APP)
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", apns.port, ssl=ca.client_ssl_context(), server_hostname="localhost"
    )
    writer.write(os.urandom(512))
    received = b""
    async with asyncio.timeout(TIMEOUT):
        try:
            while chunk := await reader.read(65536):
                received += chunk
        except (ConnectionError, ssl.SSLError):
            pass
    writer.close()
    assert reader.at_eof() or writer.is_closing()
    # The server said goodbye in HTTP/2: its SETTINGS, then a GOAWAY (frame type 7).
    assert b"\x07\x00\x00\x00\x00\x00" in received
    assert (await push(client, apns, token)).status_code == 200


async def test_stop_sends_goaway_with_shutdown(ca: LocalCA, clock: ManualClock) -> None:
    """stop() sends open connections a GOAWAY carrying {"reason":"Shutdown"}."""
    apns = FakeApns(
        clock=clock, ssl_context=ca.server_ssl_context(alpn=("h2",)), keys=[KEY], topics=[APP]
    )
    await apns.start()
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    await raw.until(lambda es: bool(es))
    stopping = asyncio.ensure_future(apns.stop())
    events = await raw.until(
        lambda es: any(isinstance(e, h2.events.ConnectionTerminated) for e in es)
    )
    await stopping
    await raw.close()
    goaway = next(e for e in events if isinstance(e, h2.events.ConnectionTerminated))
    assert json.loads(goaway.additional_data or b"") == {"reason": "Shutdown"}


async def test_invalid_frame_gets_goaway_protocol_error(
    apns: FakeApns, ca: LocalCA, client: httpx.AsyncClient
) -> None:
    """A broken frame after a valid preamble gets GOAWAY PROTOCOL_ERROR; others are served."""
    token = apns.registry.register("p1", APP)
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        await raw.until(lambda es: bool(es))
        raw.writer.write(b"\x00\x00\x01\x00\x00\x00\x00\x00\x00x")  # DATA on stream 0
        events = await raw.until(
            lambda es: any(isinstance(e, h2.events.ConnectionTerminated) for e in es)
        )
        goaway = next(e for e in events if isinstance(e, h2.events.ConnectionTerminated))
        assert goaway.error_code == h2.errors.ErrorCodes.PROTOCOL_ERROR
    finally:
        await raw.close()
    assert (await push(client, apns, token)).status_code == 200


async def test_ping_is_answered(apns: FakeApns, ca: LocalCA) -> None:
    """A PING gets its ACK at once (gorush gives it one second)."""
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        raw.h2.ping(b"pushsim!")
        raw.flush()
        events = await raw.until(
            lambda es: any(isinstance(e, h2.events.PingAckReceived) for e in es)
        )
        ack = next(e for e in events if isinstance(e, h2.events.PingAckReceived))
        assert ack.ping_data == b"pushsim!"
    finally:
        await raw.close()


async def test_error_body_waits_for_flow_control_window(apns: FakeApns, ca: LocalCA) -> None:
    """With a zero stream window the error body is held back, then sent whole on WINDOW_UPDATE."""
    raw = await RawH2.open(apns.port, no_alpn_context(ca))
    try:
        raw.h2.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        raw.flush()
        await raw.until(lambda es: any(isinstance(e, h2.events.SettingsAcknowledged) for e in es))
        stream_id = raw.h2.get_next_available_stream_id()
        raw.h2.send_headers(stream_id, request_headers("ef" * 32))
        raw.h2.send_data(stream_id, b'{"aps":{}}', end_stream=True)
        raw.h2.ping(b"barrier!")  # answered after anything the server wrote before it
        raw.flush()
        events = await raw.until(
            lambda es: (
                any(isinstance(e, h2.events.PingAckReceived) for e in es)
                and any(isinstance(e, h2.events.ResponseReceived) for e in es)
            )
        )
        assert not any(isinstance(e, h2.events.DataReceived) for e in events)
        raw.h2.increment_flow_control_window(1024, stream_id)
        raw.flush()
        stream = await raw.request_events(stream_id)
        assert response_of(stream)[1] == [b'{"reason":"BadDeviceToken"}']
    finally:
        await raw.close()
