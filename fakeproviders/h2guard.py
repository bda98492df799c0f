"""``FrameGuard``: reads a client's HTTP/2 frame headers before the HTTP/2 stack does, and tells
when the client is abusing the connection, so that only that connection ends.

It is sans-IO: the server feeds it the decrypted bytes the client sent and, if :meth:`feed`
returns a :class:`Verdict`, sends GOAWAY with that code and closes. What it catches:

- rapid reset (CVE-2023-44487): streams opened and reset at once, each costing the server a
  request; more resets than the budget allows end with ENHANCE_YOUR_CALM;
- a frame header announcing more than the advertised SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR
  at the header, before any of the announced payload is buffered (RFC 9113 §4.2);
- floods of frames that cost the server work but carry no request: SETTINGS, PING, PRIORITY and
  empty DATA without END_STREAM (CVE-2019-9512/9515/9518): ENHANCE_YOUR_CALM (WINDOW_UPDATE is
  not counted: a busy client sends one per answer it reads);
- CONTINUATION floods (CVE-2024-27316): a header block larger than the limit, however split,
  ends with ENHANCE_YOUR_CALM before it is decoded.

Budgets are token buckets in real seconds (socket protection, not simulated time): a burst of
``burst`` frames, refilled at ``per_second``, so a long-lived connection that pings now and then
is never cut, while a flood is, within a bounded number of frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from h2.errors import ErrorCodes
from hyperframe.frame import GoAwayFrame

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_HEADER = 9

_DATA, _HEADERS, _PRIORITY, _RST_STREAM, _SETTINGS = 0x0, 0x1, 0x2, 0x3, 0x4
_PING, _CONTINUATION = 0x6, 0x9
_END_STREAM, _ACK, _END_HEADERS = 0x1, 0x1, 0x4


@dataclass(frozen=True, kw_only=True)
class GuardLimits:
    """How much of each kind of work one connection may ask for."""

    max_frame_size: int = 16_384
    """The SETTINGS_MAX_FRAME_SIZE the server advertises (16,384 unless it says otherwise)."""
    max_header_block: int = 64 * 1024
    """Bytes of one header block (HEADERS plus its CONTINUATIONs), compressed."""
    resets: tuple[int, float] = (1000, 100.0)
    """RST_STREAM from the client: (burst, per second)."""
    control: tuple[int, float] = (500, 50.0)
    """SETTINGS, PING (not ACKs), PRIORITY and empty DATA: (burst, per second)."""


@dataclass(frozen=True)
class Verdict:
    """Why the connection must end: the GOAWAY error code and a short text for its debug data."""

    code: ErrorCodes
    reason: str

    def goaway(self, last_stream_id: int) -> bytes:
        """The GOAWAY frame that ends the connection."""
        frame = GoAwayFrame(
            0,
            last_stream_id=last_stream_id,
            error_code=self.code,
            additional_data=self.reason.encode(),
        )
        return bytes(frame.serialize())


class _Bucket:
    def __init__(self, burst: int, per_second: float, now: float) -> None:
        self._burst = float(burst)
        self._rate = per_second
        self._tokens = float(burst)
        self._at = now

    def take(self, now: float) -> bool:
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class FrameGuard:
    """Watches one connection's inbound frames (after the client preface, if any)."""

    def __init__(
        self,
        limits: GuardLimits | None = None,
        *,
        preface: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits = limits or GuardLimits()
        self._clock = clock
        now = clock()
        self._resets = _Bucket(*limits.resets, now)
        self._control = _Bucket(*limits.control, now)
        self._preface_left = len(PREFACE) if preface else 0
        self._buffer = b""
        self._skip = 0  # payload bytes of the current frame still to pass
        self._block = 0  # bytes of the header block being received
        self.last_stream_id = 0
        """The highest stream the client opened (for the GOAWAY)."""
        self.verdict: Verdict | None = None

    @property
    def preface_seen(self) -> bool:
        """Whether the whole client preface has arrived."""
        return self._preface_left == 0

    def feed(self, data: bytes) -> Verdict | None:
        """Look at the next bytes the client sent; a verdict once the connection must end."""
        if self.verdict is not None:
            return self.verdict
        view = memoryview(data)
        if self._preface_left:
            taken = min(self._preface_left, len(view))
            self._preface_left -= taken
            view = view[taken:]
        while view:
            if self._skip:
                passed = min(self._skip, len(view))
                self._skip -= passed
                view = view[passed:]
                continue
            need = _HEADER - len(self._buffer)
            self._buffer += bytes(view[:need])
            view = view[need:]
            if len(self._buffer) < _HEADER:
                break
            header, self._buffer = self._buffer, b""
            verdict = self._frame(header)
            if verdict is not None:
                self.verdict = verdict
                return verdict
        return None

    def _frame(self, header: bytes) -> Verdict | None:
        length = int.from_bytes(header[:3], "big")
        kind, flags = header[3], header[4]
        stream = int.from_bytes(header[5:9], "big") & 0x7FFF_FFFF
        self._skip = length
        if length > self.limits.max_frame_size:
            return Verdict(ErrorCodes.FRAME_SIZE_ERROR, f"frame of {length} bytes announced")
        now = self._clock()
        if kind == _HEADERS:
            self.last_stream_id = max(self.last_stream_id, stream)
            self._block = length
        elif kind == _CONTINUATION:
            self._block += length
            if not self._block_within_limit(flags):
                return Verdict(ErrorCodes.ENHANCE_YOUR_CALM, "header block too large")
            return None
        elif kind == _RST_STREAM:
            if not self._resets.take(now):
                return Verdict(ErrorCodes.ENHANCE_YOUR_CALM, "too many stream resets")
            return None
        elif kind in (_SETTINGS, _PING):
            if flags & _ACK:
                return None
            return self._control_frame(now)
        elif kind == _PRIORITY or (kind == _DATA and length == 0 and not flags & _END_STREAM):
            return self._control_frame(now)
        if kind == _HEADERS and not self._block_within_limit(flags):
            return Verdict(ErrorCodes.ENHANCE_YOUR_CALM, "header block too large")
        return None

    def _block_within_limit(self, flags: int) -> bool:
        within = self._block <= self.limits.max_header_block
        if flags & _END_HEADERS:
            self._block = 0
        return within

    def _control_frame(self, now: float) -> Verdict | None:
        if self._control.take(now):
            return None
        return Verdict(ErrorCodes.ENHANCE_YOUR_CALM, "too many control frames")
