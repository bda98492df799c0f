"""Building signed Apple Wallet passes (``.pkpass``), as reference/wallet.md §5 describes them.

A pass is a ZIP with ``pass.json``, the images (``icon.png`` is required), ``manifest.json`` (the
lowercase hex SHA-1 of every other file) and ``signature``: a detached DER PKCS#7 signature over
the manifest by the Pass Type ID certificate, carrying the WWDR intermediate and the signing time.
The signature is ``cryptography``'s PKCS#7 builder (which adds content type, signing time and
message digest as signed attributes); nothing here writes ASN.1 by hand.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from .errors import ProviderAuthError

PKPASS_MEDIA_TYPE = "application/vnd.apple.pkpass"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain RGB PNG of one colour (every pass needs an ``icon.png``)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


#: The default images: Wallet requires ``icon.png`` (29×29 points; @2x is 58 pixels).
DEFAULT_IMAGES: Mapping[str, bytes] = {
    "icon.png": _png(29, 29, (0xD2, 0x2B, 0x2B)),
    "icon@2x.png": _png(58, 58, (0xD2, 0x2B, 0x2B)),
}


@dataclass(frozen=True)
class PassSigner:
    """A Pass Type ID certificate, its key and the WWDR intermediate that issued it."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    wwdr: x509.Certificate

    @classmethod
    def load(cls, cert_path: str | Path, key_path: str | Path, wwdr_path: str | Path) -> PassSigner:
        """Read the three PEM files; raises ``ProviderAuthError`` when they are unusable."""
        try:
            certificate = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
            # The RSA consistency check costs ~0.1 s; the pairing with the certificate is
            # checked below instead.
            key = serialization.load_pem_private_key(
                Path(key_path).read_bytes(), password=None, unsafe_skip_rsa_key_validation=True
            )
            wwdr = x509.load_pem_x509_certificate(Path(wwdr_path).read_bytes())
        except (OSError, ValueError, TypeError) as exc:
            raise ProviderAuthError(f"unusable pass certificate: {exc}") from exc
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ProviderAuthError("the pass certificate's key must be RSA or EC")
        if key.public_key().public_numbers() != certificate.public_key().public_numbers():  # type: ignore[union-attr]
            raise ProviderAuthError("the pass key does not belong to the pass certificate")
        return cls(certificate, key, wwdr)

    @property
    def pass_type_id(self) -> str:
        """The certificate's subject ``UID``: the pass type identifier it may sign."""
        return _subject(self.certificate, NameOID.USER_ID)

    @property
    def team_id(self) -> str:
        """The certificate's subject ``OU``: the team identifier."""
        return _subject(self.certificate, NameOID.ORGANIZATIONAL_UNIT_NAME)

    def sign(self, manifest: bytes) -> bytes:
        """The detached DER PKCS#7 signature of ``manifest`` (SHA-256, with signing time)."""
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(manifest)
            .add_signer(self.certificate, self.private_key, hashes.SHA256())
            .add_certificate(self.wwdr)
            .sign(
                serialization.Encoding.DER,
                [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
            )
        )


def build_pkpass(
    pass_json: Mapping[str, Any],
    signer: PassSigner,
    images: Mapping[str, bytes] = DEFAULT_IMAGES,
) -> bytes:
    """The ``.pkpass`` bytes of ``pass_json`` with ``images`` (relative path → bytes)."""
    files = {"pass.json": json.dumps(pass_json, ensure_ascii=False).encode(), **images}
    manifest = json.dumps(
        {name: hashlib.sha1(data).hexdigest() for name, data in files.items()},
        sort_keys=True,
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", manifest)
        archive.writestr("signature", signer.sign(manifest))
    return buffer.getvalue()


def _subject(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""
