"""ASGI middleware that guards an HTTP API before its framework reads anything.

``BodyGate`` reads a request body only from a caller it admits, and only up to a limit: a body
over the limit is refused as soon as that is known (from ``content-length``, or when the bytes
read pass the limit), so an unauthenticated or oversized upload costs neither memory nor parsing.
A URL whose path or query holds NUL (``%00``) is refused (422) before any route looks it up.
A JSON body must be strict JSON: no ``NaN``/``Infinity``, no lone UTF-16 surrogate (which no
database, log or terminal downstream can encode), no nesting past ``MAX_DEPTH``.
``LoopbackGate`` keeps a loopback API from browsers: only loopback ``Host`` names (DNS rebinding
would otherwise let a web page read it), no cross-origin writes or WebSocket connections.
Refusals are ``{"error": {"code", "message"}}``, the shape of both pushsim APIs.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = dict[bytes, bytes]
Refusal = tuple[int, str, Sequence[tuple[bytes, bytes]]]
"""(status, message, extra headers)."""

MAX_BODY_BYTES = 1024 * 1024
"""The largest request body the APIs read (a notification is at most a few kilobytes)."""

MAX_DEPTH = 32
"""Nested arrays and objects a JSON body may have."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _headers(scope: Scope) -> Headers:
    return {bytes(name).lower(): bytes(value) for name, value in scope.get("headers", ())}


async def refuse(
    send: Send, status: int, message: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """Answer ``status`` with the APIs' error shape."""
    body = json.dumps({"error": {"code": status, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyGate:
    """Reads each request body before ``app`` does, if ``admits(headers)``, up to ``max_bytes``.

    ``admits`` sees the request headers of a request that carries a body and returns None to
    go on, or ``(status, message, headers)`` to refuse before one byte of the body is read.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int = MAX_BODY_BYTES,
        admits: Callable[[Headers], Refusal | None] | None = None,
        open_paths: tuple[str, ...] = (),
    ) -> None:
        """``open_paths``: path prefixes served by another protocol's rules (the PassKit web
        service): their callers authenticate otherwise (``admits`` is not asked) and their
        routes answer a NUL in the URL in that protocol's codes; the size limit still holds."""
        self.app = app
        self.max_bytes = max_bytes
        self.admits = admits
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        open_path = bool(self.open_paths) and path.startswith(self.open_paths)
        if not open_path and ("\x00" in path or b"%00" in bytes(scope.get("query_string", b""))):
            # No id or value may hold NUL: PostgreSQL's text cannot, so neither may SQLite's.
            await refuse(send, 422, "the URL holds NUL (%00), which no id or value may contain")
            return
        headers = _headers(scope)
        length = headers.get(b"content-length", b"")
        has_body = scope["method"] in _BODY_METHODS or length not in (b"", b"0")
        if has_body and self.admits is not None and not open_path:
            refusal = self.admits(headers)
            if refusal is not None:
                await refuse(send, *refusal)
                return
        if length.isdigit() and int(length) > self.max_bytes:
            await refuse(send, 413, f"the request body is over {self.max_bytes} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_bytes:
                await refuse(send, 413, f"the request body is over {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: bytes | None = b"".join(chunks)
        if body and b"json" in headers.get(b"content-type", b""):
            problem = json_problem(body)
            if problem is not None:
                await refuse(send, 400, f"the request body is not valid JSON: {problem}")
                return

        async def replay() -> Message:
            nonlocal body
            if body is not None:
                whole, body = body, None
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def json_problem(body: bytes) -> str | None:
    """Why ``body`` is not strict JSON, or None if it is (or is not JSON at all: the app says so
    in its own words)."""

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    try:
        value = json.loads(body, parse_constant=constant)
    except RecursionError:
        return "nested too deeply"
    except ValueError as exc:
        return str(exc) if "JSON number" in str(exc) else None
    # Level by level, the strings searched at once: a walk that made a tuple per value and a
    # search per string took 1.5 s of CPU over a 1 MiB body of small objects.
    strings: list[str] = []
    level: list[Any] = [value]
    depth = 0
    while level:
        below: list[Any] = []
        for item in level:
            if isinstance(item, str):
                strings.append(item)
            elif isinstance(item, dict | list):
                if depth >= MAX_DEPTH:
                    return "nested too deeply"
                if isinstance(item, dict):
                    strings.extend(item)
                    below.extend(item.values())
                else:
                    below.extend(item)
        level, depth = below, depth + 1
    if _SURROGATE.search("".join(strings)):
        return "a string holds a lone UTF-16 surrogate"
    return None


def is_loopback_host(host: str) -> bool:
    """Whether a ``Host`` header value (name and optional port) names this machine's loopback."""
    name = urlsplit(f"//{host}").hostname
    if name is None:
        return False
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class LoopbackGate:
    """Refuses (403, or WebSocket close 1008) requests whose ``Host`` is not a loopback name, and
    writes or WebSocket connections whose ``Origin`` is not on this machine's loopback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get(b"host", b"").decode("latin-1")
        origin = headers.get(b"origin")
        problem = None
        if not is_loopback_host(host):
            problem = f"Host {host!r} is not a loopback name; the control API is loopback only"
        elif origin is not None and (
            scope["type"] == "websocket" or scope["method"] not in _SAFE_METHODS
        ):
            site = urlsplit(origin.decode("latin-1")).netloc
            if not is_loopback_host(site):
                problem = f"cross-origin request from {origin.decode('latin-1')!r} refused"
        if problem is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": problem[:120]})
        else:
            await refuse(send, 403, problem)
