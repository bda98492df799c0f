"""The fake APNs: Apple's HTTP/2 provider API for device pushes, run on 127.0.0.1.

- ``FakeApns``: the TLS + HTTP/2 server (``server.py``);
- ``ApnsRegistry``: tokens, connected phones, the offline store (``registry.py``);
- ``ApnsSigningKey``: ``.p8`` token-auth keys (``keys.py``);
- ``ApnsReason``: every documented rejection reason (``reasons.py``);
- ``issue_push_certificate``: client certificates for certificate auth (``certificates.py``);
- broadcast channels and sends (``broadcast.py``), the request log (``log.py``).

Facts and their sources: reference/apns.md.
"""

from __future__ import annotations

from fakeproviders.apns.broadcast import BroadcastReason, ChannelStore
from fakeproviders.apns.certificates import PushCertificate, issue_push_certificate
from fakeproviders.apns.errors import ApnsError, InvalidSigningKey, UnknownToken
from fakeproviders.apns.keys import ApnsSigningKey
from fakeproviders.apns.log import ApnsLogEntry
from fakeproviders.apns.options import ApnsOptions
from fakeproviders.apns.reasons import ApnsReason
from fakeproviders.apns.registry import ApnsRegistry, ApnsTokenRecord
from fakeproviders.apns.server import FakeApns

__all__ = [
    "ApnsError",
    "ApnsLogEntry",
    "ApnsOptions",
    "ApnsReason",
    "ApnsRegistry",
    "ApnsSigningKey",
    "ApnsTokenRecord",
    "BroadcastReason",
    "ChannelStore",
    "FakeApns",
    "InvalidSigningKey",
    "PushCertificate",
    "UnknownToken",
    "issue_push_certificate",
]
