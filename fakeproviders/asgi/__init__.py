"""A lean ASGI server for the fakes: TLS, HTTP/2 (h2) and HTTP/1.1 (h11) on one port.

Made for one job: the fake FCM's ``messages:send`` must cost little more than the HTTP work
itself (``pushsim bench fcm``), and a general-purpose server spent more per request than the
fake's own validation and delivery (profiled). It runs ``http`` scopes only and reads each
request body whole before the app starts; answers may be streamed.
"""

from __future__ import annotations

from fakeproviders.asgi.exchange import ASGIApp, ServerLimits
from fakeproviders.asgi.server import AsgiServer, ServerError

__all__ = ["ASGIApp", "AsgiServer", "ServerError", "ServerLimits"]
