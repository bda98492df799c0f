"""The fake Wallet API's ASGI app: routes ``/walletobjects/v1/...`` to the sans-IO core.

Paths and methods are Google's (reference/wallet.md §6); any other path gets Google's HTML 404
page, a known path with another method a 405. Every answer is logged in the request log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from fakeproviders.bodies import GONE, logged_text, read_body
from fakeproviders.clock import Clock
from fakeproviders.fcm.errors import not_found_html
from fakeproviders.fcm.inspection import LoggedRequest, RequestLog
from fakeproviders.gwallet import errors
from fakeproviders.gwallet.api import Reply, WalletApi
from fakeproviders.gwallet.store import Kind

_log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
_PREFIX = ["walletobjects", "v1"]
_KINDS: dict[str, Kind] = {"loyaltyClass": "loyaltyClass", "loyaltyObject": "loyaltyObject"}
#: Bodies beyond this are refused with 413 before parsing [U Google's limit].
MAX_BODY = 1 << 20


class WalletApp:
    """The ASGI application: ``await app(scope, receive, send)``."""

    def __init__(self, api: WalletApi, request_log: RequestLog, clock: Clock) -> None:
        self.api = api
        self.request_log = request_log
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = await read_body(receive, scope, MAX_BODY)
        if raw is GONE:
            return  # the client reset the stream: nobody would read the answer
        method = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.split(b"?", 1)[0].decode("latin-1")
        authorization = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                authorization = value.decode("latin-1")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        try:
            kind, reply = await self._answer(method, path, query, authorization, raw)
        except Exception:  # bad input must never crash the server or leak a traceback
            _log.exception("fake Wallet API failed on %s %s", method, path)
            kind, reply = "error", Reply.error(errors.internal_error())
        self.request_log.append(
            LoggedRequest(
                at=self._clock.now(), method=method, path=path,
                http_version=scope.get("http_version", ""), status=reply.status, kind=kind,
                reason=reply.reason, push_id=reply.push_id,
                request_body=logged_text(raw or b""),
                response_body=logged_text(reply.body),
            )
        )  # fmt: skip
        headers = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})

    async def _answer(
        self, method: str, path: str, query: dict[str, str], auth: str | None, raw: bytes | None
    ) -> tuple[str, Reply]:
        segments = [unquote(s) for s in path.split("/")[1:]]
        kind = _KINDS.get(segments[2]) if len(segments) >= 3 and segments[:2] == _PREFIX else None
        rest = segments[3:]
        if kind is not None and len(rest) <= 2:
            error, latency = self.api.gate(rest[0] if rest else None)
            if latency > 0:
                await asyncio.sleep(latency)  # an injected latency: real seconds (faults.py)
            if error is not None:
                return "refused", Reply.error(error)
            if raw is None:
                return "too-large", Reply.error(_too_large())
            return self._route(method, kind, rest, query, auth, raw)
        status, page = not_found_html(path)
        return "unknown", Reply(status, page.encode(), {"content-type": "text/html; charset=UTF-8"})

    def _route(
        self,
        method: str,
        kind: Kind,
        rest: list[str],
        query: dict[str, str],
        auth: str | None,
        raw: bytes,
    ) -> tuple[str, Reply]:
        api = self.api
        if not rest and method == "POST":
            return f"{kind}.insert", api.insert(kind, auth, raw)
        if not rest and method == "GET":
            return f"{kind}.list", api.list_resources(kind, auth, query)
        if len(rest) == 1 and method == "GET":
            return f"{kind}.get", api.get(kind, rest[0], auth)
        if len(rest) == 1 and method in ("PUT", "PATCH"):
            patch = method == "PATCH"
            name = f"{kind}.{method.lower()}"
            return name, api.update(kind, rest[0], auth, raw, patch=patch)
        if len(rest) == 2 and rest[1] == "addMessage" and method == "POST":
            return f"{kind}.addMessage", api.add_message(kind, rest[0], auth, raw)
        if len(rest) < 2 or rest[1] == "addMessage":
            return "method-not-allowed", Reply.error(errors.method_not_allowed())
        status, page = not_found_html("/".join(["", *_PREFIX, kind, *rest]))
        return "unknown", Reply(status, page.encode(), {"content-type": "text/html; charset=UTF-8"})


def _too_large() -> errors.WalletError:
    return errors.WalletError(413, "Request payload too large.", "uploadTooLarge", None)
