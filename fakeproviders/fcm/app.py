"""The fake FCM's ASGI app: a small router that hands bytes to the sans-IO front ends and back.

Every answer, the fake's own failures included, is rendered the way Google's front end renders
it: JSON ``google.rpc.Status`` for API errors, an HTML page for unknown paths. No framework sits
in between, so the per-request cost stays close to the server's own (``pushsim bench fcm``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from fakeproviders.bodies import GONE, logged_text, read_body
from fakeproviders.clock import Clock
from fakeproviders.fcm import errors
from fakeproviders.fcm.frontend import FcmFrontEnd
from fakeproviders.fcm.inspection import LoggedRequest, RequestLog
from fakeproviders.fcm.reply import Reply
from fakeproviders.fcm.service_account import GOOGLE_TOKEN_URIS
from fakeproviders.fcm.topic_api import TopicManagement

_log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_HTML = {"content-type": "text/html; charset=UTF-8"}
_Request = tuple[str, list[str], dict[str, str], str | None, bytes]
"""(method, decoded path segments, query, authorization, body)."""

# The token endpoint answers at the path of each of Google's token URLs (reached through the
# proxy by clients that hard-code one); /token is also what our service-account JSON names.
_TOKEN_PATHS = [urlsplit(uri).path.split("/")[1:] for uri in GOOGLE_TOKEN_URIS]


class FcmApp:
    """The ASGI application: ``await app(scope, receive, send)``."""

    def __init__(
        self,
        *,
        frontend: FcmFrontEnd,
        topics: TopicManagement,
        request_log: RequestLog,
        clock: Clock,
        max_body_bytes: int = 1024 * 1024,
    ) -> None:
        self.frontend = frontend
        self.topics = topics
        self.request_log = request_log
        self._clock = clock
        self._max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = await read_body(receive, scope, self._max_body)
        if raw is GONE:
            return  # the client reset the stream: nobody would read the answer
        method = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.split(b"?", 1)[0].decode("latin-1")
        # Segments are split before percent-decoding: a token may be sent URL-encoded (§4.2).
        segments = [unquote(s) for s in path.split("/")[1:]]
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        authorization = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        try:
            if raw is None:
                status, page = errors.too_large_html()
                kind, reply = "too_large", Reply(status, page.encode(), _HTML)
            else:
                kind, reply = self._route((method, segments, query, authorization, raw))
        except Exception:  # bad input must never crash the server or leak a traceback
            _log.exception("fake FCM failed on %s %s", method, path)
            kind, reply = "error", Reply.error(errors.internal_error())
        self.request_log.append(
            LoggedRequest(
                at=self._clock.now(), method=method, path=path,
                http_version=scope.get("http_version", ""), status=reply.status, kind=kind,
                reason=reply.reason, token=reply.token, topic=reply.topic,
                condition=reply.condition, push_id=reply.push_id, recipients=reply.recipients,
                fault_id=reply.fault_id, request_body=logged_text(raw or b""),
                response_body=logged_text(reply.body),
            )
        )  # fmt: skip
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)  # an injected latency: real seconds (faults.py)
        headers = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})

    def _route(self, request: _Request) -> tuple[str, Reply]:
        method, seg, query, auth, raw = request
        n = len(seg)
        if method == "POST":
            if n == 4 and seg[:2] == ["v1", "projects"] and seg[3] == "messages:send":
                return "send", self.frontend.send(seg[2], auth, raw)
            if seg in _TOKEN_PATHS:
                return "token", self.frontend.token(raw)
            if n == 2 and seg[0] == "iid" and seg[1] in ("v1:batchAdd", "v1:batchRemove"):
                operation = seg[1].removeprefix("v1:")
                return f"iid.{operation}", self.topics.iid_batch(operation, auth, raw)
            if n == 6 and seg[:2] == ["iid", "v1"] and seg[3:5] == ["rel", "topics"]:
                return "iid.rel", self.topics.iid_rel(seg[2], seg[5], auth)
        if method == "GET" and n == 3 and seg[:2] == ["iid", "info"]:
            details = query.get("details") == "true"
            return "iid.info", self.topics.iid_info(seg[2], details, auth)
        if n >= 6 and seg[:2] == ["v1", "projects"] and seg[3] == "registrations":
            routed = self._subscriptions(method, seg, query, auth, raw)
            if routed is not None:
                return routed
        # Google's front end: an HTML 404 page for any path (or method) it does not serve,
        # the retired legacy /fcm/send included (reference/fcm.md §1.1).
        status, page = errors.not_found_html("/" + "/".join(seg))
        return "unknown", Reply(status, page.encode(), _HTML)

    def _subscriptions(
        self, method: str, seg: list[str], query: dict[str, str], auth: str | None, raw: bytes
    ) -> tuple[str, Reply] | None:
        project, registration = seg[2], seg[4]
        if seg[5] != "topicSubscriptions":
            return None
        if len(seg) == 6:
            if method == "POST":
                return "topics.create", self.topics.create(project, registration, query, auth, raw)
            if method == "GET":
                return "topics.list", self.topics.list(project, registration, query, auth)
        elif len(seg) == 7:
            if method == "DELETE":
                reply = self.topics.delete(project, registration, seg[6], query, auth)
                return "topics.delete", reply
            if method == "GET":
                return "topics.get", self.topics.get(project, registration, seg[6], auth)
        return None
