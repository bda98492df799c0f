"""Wallet passes on APNs: Pass Type ID certificates and the rules for pass-update pushes.

reference/wallet.md §5: a pass is signed with a *Pass Type ID certificate* that Apple's WWDR
intermediate issues; the subject ``UID`` is the pass type identifier and ``OU`` the team. §4: the
same certificate authenticates the update pushes (TLS client certificate), whose topic is the pass
type identifier, whose payload is an empty JSON dictionary (alert, badge and sound are ignored),
and which work "only in the production environment". ``issue_pass_type_certificate`` makes such a
certificate with the local CA, under a WWDR-like intermediate kept in the state directory.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fakeproviders.ca import LocalCA, write_atomic

#: Apple's marker extension of Pass Type ID certificates; its value is [U] (the pass type id as
#: a UTF8String here). Only its presence is read.
PASS_TYPE_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.1.16")
#: Pass type identifiers start with ``pass.`` (reference/wallet.md §5, pass.json keys).
PASS_TOPIC_PREFIX = "pass."
WWDR_NAME = "pushsim Worldwide Developer Relations CA (G4-like)"

# Reverse-DNS characters: the identifier also names the certificate's folder, so no "/" may
# lead the files out of the state directory.
_PASS_TYPE_ID = re.compile(r"pass\.[A-Za-z0-9.-]+")
_VALIDITY = datetime.timedelta(days=365)
_RENEW_MARGIN = datetime.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PassTypeCertificate:
    """A Pass Type ID certificate as PEM files: what a pass issuer holds."""

    cert_path: Path
    """The certificate alone."""
    key_path: Path
    """Its RSA private key (PKCS#8, unencrypted)."""
    wwdr_path: Path
    """The WWDR-like intermediate that issued it (goes into each pass signature)."""
    chain_path: Path
    """The certificate followed by the intermediate: a TLS client chain for APNs."""


def is_pass_topic(topic: str) -> bool:
    """Whether ``topic`` is a pass type identifier (pushes to it are pass-update wake-ups)."""
    return topic.startswith(PASS_TOPIC_PREFIX) and len(topic) > len(PASS_TOPIC_PREFIX)


def issue_pass_type_certificate(
    ca: LocalCA, pass_type_id: str, team_id: str
) -> PassTypeCertificate:
    """The Pass Type ID certificate for ``pass_type_id`` of ``team_id``, issued by the WWDR-like
    intermediate of ``ca``; kept in ``wallet/`` of the CA's state directory and reused while it
    is valid and chains to the current intermediate."""
    if not _PASS_TYPE_ID.fullmatch(pass_type_id):
        raise ValueError(
            f"a pass type identifier is 'pass.' and a reverse-DNS name: {pass_type_id!r}"
        )
    wwdr, wwdr_key = ca.intermediate(WWDR_NAME, "wwdr")
    folder = ca.state_dir / "wallet" / pass_type_id
    folder.mkdir(parents=True, exist_ok=True)
    issued = PassTypeCertificate(
        cert_path=folder / "certificate.pem",
        key_path=folder / "key.pem",
        wwdr_path=ca.state_dir / "wwdr.pem",
        chain_path=folder / "chain.pem",
    )
    if _reusable(issued, wwdr, pass_type_id, team_id):
        return issued
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.USER_ID, pass_type_id),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_id}"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, team_id),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pushsim"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(wwdr.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(wwdr_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.UnrecognizedExtension(PASS_TYPE_OID, _utf8(pass_type_id)), critical=False
        )
        .sign(wwdr_key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    write_atomic(
        issued.key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        private=True,
    )
    write_atomic(issued.cert_path, pem)
    write_atomic(issued.chain_path, pem + wwdr.public_bytes(serialization.Encoding.PEM))
    return issued


def _reusable(
    issued: PassTypeCertificate, wwdr: x509.Certificate, pass_type_id: str, team_id: str
) -> bool:
    if not (issued.cert_path.exists() and issued.key_path.exists() and issued.chain_path.exists()):
        return False
    cert = x509.load_pem_x509_certificate(issued.cert_path.read_bytes())
    try:
        cert.verify_directly_issued_by(wwdr)
    except (ValueError, TypeError, InvalidSignature):
        return False
    team = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    uid = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    return (
        bool(team and uid)
        and team[0].value == team_id
        and uid[0].value == pass_type_id
        and cert.not_valid_after_utc - _RENEW_MARGIN > datetime.datetime.now(datetime.UTC)
    )


def _utf8(text: str) -> bytes:
    raw = text.encode()
    if len(raw) >= 0x80:
        raise ValueError("pass type identifier too long")
    return bytes([0x0C, len(raw)]) + raw
