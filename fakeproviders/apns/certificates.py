"""APNs client certificates: what a certificate connection may push to (sans-IO).

reference/apns.md §3.2: the subject ``UID`` is the bundle id (the default topic); extension
1.2.840.113635.100.6.3.6 lists the topics (bundle, ``.voip``, ``.complication``), each followed by
a sequence naming its kind; extensions .6.3.1 and .6.3.2 mark the development (sandbox) and
production environments. ``issue_push_certificate`` makes such certificates with the local CA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from fakeproviders.apns.passes import PASS_TYPE_OID
from fakeproviders.apns.reasons import ApnsReason
from fakeproviders.ca import IssuedCertificate, LocalCA

TOPICS_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.6")
VOIP_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.4")
SANDBOX_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.1")
PRODUCTION_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.2")
_DER_NULL = b"\x05\x00"
_UTF8, _SEQUENCE = 0x0C, 0x30


@dataclass(frozen=True, slots=True)
class PushCertificate:
    """A client certificate APNs accepts: its bundle id, topics and environments."""

    uid: str
    """The bundle id from the subject ``UID``: the default topic."""
    topics: frozenset[str]
    """Every topic the certificate may push to (the UID included)."""
    environments: frozenset[str]
    """``"sandbox"``, ``"production"`` or both."""

    @property
    def multi_topic(self) -> bool:
        """Whether ``apns-topic`` is required (MissingTopic otherwise, §3.2)."""
        return len(self.topics) > 1


def read_certificate(
    der: bytes, environment: str, pass_environments: frozenset[str] = frozenset({"production"})
) -> PushCertificate | ApnsReason:
    """The push certificate in ``der`` if it may be used in ``environment``, else the reason.

    TLS has already checked that it chains to the trusted CA and is in its validity period; what
    is left is what APNs checks after the handshake (BadCertificate, BadCertificateEnvironment).
    A Pass Type ID certificate pushes to its pass type only, in ``pass_environments``
    (reference/wallet.md §4: "works only in the production environment").
    """
    try:
        cert = x509.load_der_x509_certificate(der)
        uids = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
        uid = str(uids[0].value) if uids else ""
        extensions = {e.oid: e.value for e in cert.extensions}
    except (ValueError, TypeError):
        return ApnsReason.BadCertificate
    if not uid:
        return ApnsReason.BadCertificate
    if PASS_TYPE_OID in extensions:
        if environment not in pass_environments:
            return ApnsReason.BadCertificateEnvironment
        return PushCertificate(uid, frozenset({uid}), pass_environments)
    environments = {
        name
        for name, oid in (("sandbox", SANDBOX_OID), ("production", PRODUCTION_OID))
        if oid in extensions
    }
    if not environments:
        return ApnsReason.BadCertificate  # not an APNs certificate at all
    if environment not in environments:
        return ApnsReason.BadCertificateEnvironment
    topics = {uid}
    for oid in (TOPICS_OID, VOIP_OID):
        value = extensions.get(oid)
        if isinstance(value, x509.UnrecognizedExtension):
            strings = _utf8_strings(value.value)
            if strings is None:
                return ApnsReason.BadCertificate
            topics.update(strings)
    return PushCertificate(uid, frozenset(topics), frozenset(environments))


def topics_extension(topics: Sequence[tuple[str, str]]) -> bytes:
    """DER of the topics extension: ``(topic, kind)`` pairs such as ``("com.x.voip", "voip")``."""
    content = b"".join(
        _tlv(_UTF8, topic.encode()) + _tlv(_SEQUENCE, _tlv(_UTF8, kind.encode()))
        for topic, kind in topics
    )
    return _tlv(_SEQUENCE, content)


def issue_push_certificate(
    ca: LocalCA,
    bundle_id: str,
    *,
    environments: Sequence[str] = ("sandbox",),
    voip: bool = False,
    complication: bool = False,
    extra_topics: Sequence[str] = (),
    uid: str | None = None,
) -> IssuedCertificate:
    """A client certificate like Apple's "Apple Push Notification service SSL" (§3.2).

    ``environments`` picks the extensions .6.3.1 (sandbox) and .6.3.2 (production); ``voip`` and
    ``complication`` add those topics to extension .6.3.6, which makes it multi-topic. ``uid``
    overrides the subject UID (``""`` leaves it out, to make a certificate APNs refuses).
    """
    topics = [(bundle_id, "app")]
    if voip:
        topics.append((f"{bundle_id}.voip", "voip"))
    if complication:
        topics.append((f"{bundle_id}.complication", "complication"))
    topics += [(t, "app") for t in extra_topics]
    extensions = [(TOPICS_OID.dotted_string, topics_extension(topics))]
    oids = {"sandbox": SANDBOX_OID, "production": PRODUCTION_OID}
    extensions += [(oids[e].dotted_string, _DER_NULL) for e in environments]
    name = f"Apple Push Services: {bundle_id}"
    return ca.client_certificate(name, uid=bundle_id if uid is None else uid, extensions=extensions)


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _utf8_strings(der: bytes) -> list[str] | None:
    """The UTF8Strings directly inside a DER SEQUENCE (nested sequences skipped); None if bad."""
    parsed = _read_tlv(der, 0)
    if parsed is None or parsed[0] != _SEQUENCE or parsed[2] != len(der):
        return None
    _, content, _ = parsed
    found: list[str] = []
    offset = 0
    while offset < len(content):
        item = _read_tlv(content, offset)
        if item is None:
            return None
        tag, value, offset = item
        if tag == _UTF8:
            try:
                found.append(value.decode())
            except UnicodeDecodeError:
                return None
    return found


def _read_tlv(data: bytes, offset: int) -> tuple[int, bytes, int] | None:
    """(tag, content, offset after it) of the DER element at ``offset``."""
    if offset + 2 > len(data):
        return None
    tag, size = data[offset], data[offset + 1]
    offset += 2
    if size & 0x80:
        width = size & 0x7F
        if width == 0 or width > 4 or offset + width > len(data):
            return None
        size = int.from_bytes(data[offset : offset + width], "big")
        offset += width
    if offset + size > len(data):
        return None
    return tag, data[offset : offset + size], offset + size
