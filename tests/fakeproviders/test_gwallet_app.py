"""The fake Wallet API's ASGI app, driven without sockets: what it reads and what it logs."""

from __future__ import annotations

import asyncio
from typing import Any

from fakeproviders.bodies import LOG_BODY_CAP
from fakeproviders.fcm.inspection import RequestLog
from fakeproviders.gwallet.app import MAX_BODY, WalletApp

from .gwallet_support import BEARER, Harness

_SCOPE = {
    "type": "http",
    "method": "POST",
    "path": "/walletobjects/v1/loyaltyObject",
    "headers": [(b"authorization", BEARER.encode())],
    "query_string": b"",
    "http_version": "2",
}


def _call(app: WalletApp, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app(dict(_SCOPE), receive, send))
    return sent


def test_large_bodies_are_logged_cut_to_the_cap() -> None:
    """A body just under the size limit is answered, and the request log keeps only its first
    LOG_BODY_CAP bytes: a flood of large bodies cannot grow the log's memory."""
    harness = Harness(requests_per_second=None)
    log = RequestLog()
    app = WalletApp(harness.api, log, harness.clock)
    sent = _call(app, [{"type": "http.request", "body": b"x" * (MAX_BODY - 1)}])
    assert sent[0]["status"] == 400
    [entry] = log.query()
    assert len(entry.request_body) < LOG_BODY_CAP + 100
    assert entry.request_body.endswith(f"[truncated: {MAX_BODY - 1} bytes]")


def test_a_client_gone_mid_body_is_neither_answered_nor_logged() -> None:
    """A client that resets the stream before its body ends: the partial body is not taken
    as a request."""
    harness = Harness(requests_per_second=None)
    log = RequestLog()
    app = WalletApp(harness.api, log, harness.clock)
    partial = {"type": "http.request", "body": b'{"id": "1', "more_body": True}
    assert _call(app, [partial]) == []
    assert log.query() == []
