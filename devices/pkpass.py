"""What Wallet checks before it accepts a ``.pkpass``: the archive, the manifest, the signature.

reference/wallet.md §5: a ZIP whose ``manifest.json`` holds the SHA-1 of every other file, and a
detached PKCS#7 signature of the manifest by a Pass Type ID certificate (subject ``UID`` = the
pass type identifier, ``OU`` = the team) that a WWDR intermediate issued, with the signing time.
The trust anchor is whatever root the phone trusts (in pushsim, the local CA). A refused pass
raises ``PassRefused`` with the message the device logs (§5): the same words as Wallet where the
reference records them.

The CMS structure is parsed with asn1crypto and every signature is checked with cryptography.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from devices.errors import DeviceError

#: Apple's Pass Type ID certificate marker (read for presence only).
PASS_TYPE_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.1.16")
#: Pass styles; exactly one must be present (reference/wallet.md §5).
STYLES = ("boardingPass", "coupon", "eventTicket", "generic", "storeCard")
STYLE_NAMES = {
    "boardingPass": "Boarding pass",
    "coupon": "Coupon",
    "eventTicket": "Event ticket",
    "generic": "Pass",
    "storeCard": "Store card",
}
FIELD_GROUPS = (
    "headerFields",
    "primaryFields",
    "secondaryFields",
    "auxiliaryFields",
    "backFields",
    "additionalInfoFields",
)
#: The shortest ``authenticationToken`` Apple allows (§5: "≥16 characters").
MIN_AUTH_TOKEN = 16
# Archives are small; refuse anything that would take real memory to open.
MAX_PASS_BYTES = 5 * 1024 * 1024
# What an archive's files may add up to once unpacked (Apple's limit is [U]): without a cap on
# the sum, a 5 MiB archive of a thousand deflated 5 MiB files unpacks to 5 GiB.
MAX_UNPACKED_BYTES = 4 * MAX_PASS_BYTES
_DIGESTS: Mapping[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class PassRefused(DeviceError):
    """Wallet refused a pass; the message is what the device logs."""


@dataclass(frozen=True, slots=True)
class PassField:
    """One field of the pass (reference/wallet.md §5 "Field keys")."""

    key: str
    value: Any
    label: str | None = None
    change_message: str | None = None


@dataclass(frozen=True, slots=True)
class PassData:
    """A pass Wallet accepted."""

    pass_type_id: str
    serial_number: str
    team_id: str
    organization_name: str
    description: str
    style: str
    fields: Mapping[str, PassField]
    web_service_url: str | None = None
    authentication_token: str | None = None
    voided: bool = False
    raw: bytes = field(default=b"", repr=False)

    @property
    def style_name(self) -> str:
        """``"Store card"`` and the like: the generic change message's subject (§2)."""
        return STYLE_NAMES.get(self.style, "Pass")

    @property
    def updatable(self) -> bool:
        """Whether Wallet registers it for updates (web service URL and token both set, §2)."""
        return bool(self.web_service_url and self.authentication_token)


def read_pass(
    data: bytes,
    trusted_roots: Sequence[x509.Certificate],
    *,
    intermediates: Sequence[x509.Certificate] = (),
    allow_http: bool = False,
    allow_attached_signature: bool = True,
    now: datetime.datetime | None = None,
) -> PassData:
    """Open and verify a ``.pkpass``; raises ``PassRefused`` with the device's words.

    ``intermediates`` are WWDR certificates the phone already knows (as iPhones know Apple's),
    tried besides those the signature carries: node-forge (so passkit-generator) re-encodes an
    intermediate it cannot parse faithfully (an ECDSA-signed one) and breaks its signature.
    ``allow_http`` is the developer setting that lets ``webServiceURL`` be ``http://`` (§5);
    ``allow_attached_signature`` accepts a signature that embeds the manifest instead of being
    detached (whether Wallet does is [U], §5). Certificates are checked against ``now`` (the
    real time by default: TLS and signatures live on the wall clock).
    """
    if len(data) > MAX_PASS_BYTES:
        raise PassRefused("The pass is too large.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [info for info in archive.infolist() if not info.is_dir()]
            # zipfile reads no more than each entry's declared size.
            if sum(info.file_size for info in entries) > MAX_UNPACKED_BYTES:
                raise PassRefused("The pass is too large.")
            files = {info.filename: archive.read(info) for info in entries}
    except (
        zipfile.BadZipFile,
        zlib.error,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,
    ) as exc:
        raise PassRefused(f"The pass cannot be read because it isn't valid: {exc}") from None
    info = _pass_json(files)
    where = f"{info.get('passTypeIdentifier')}/{info.get('serialNumber')}"
    manifest = files.get("manifest.json")
    if manifest is None:
        raise PassRefused(f"Invalid data error reading pass {where}. Manifest is missing.")
    signature = files.get("signature")
    if signature is None:
        raise PassRefused("Signature is missing")
    _check_manifest(manifest, files)
    signer = _verify_signature(signature, manifest, allow_attached_signature)
    _check_chain(signer, intermediates, trusted_roots, info, where, now)
    return _pass_data(info, data, allow_http)


# -- pass.json --------------------------------------------------------------------------------


def _pass_json(files: Mapping[str, bytes]) -> dict[str, Any]:
    raw = files.get("pass.json")
    if raw is None:
        raise PassRefused("The pass cannot be read because it isn't valid: pass.json is missing.")
    try:
        info = json.loads(raw)
    except (ValueError, RecursionError):
        raise PassRefused(
            "The pass cannot be read because it isn't valid: pass.json is not JSON."
        ) from None
    if not isinstance(info, dict):
        raise PassRefused("The pass cannot be read because it isn't valid: pass.json.")
    return info


def _pass_data(info: Mapping[str, Any], raw: bytes, allow_http: bool) -> PassData:
    def invalid(why: str) -> PassRefused:
        return PassRefused(f"The pass cannot be read because it isn't valid: {why}")

    if info.get("formatVersion") != 1:
        raise invalid("formatVersion must be 1")
    for key in (
        "passTypeIdentifier",
        "serialNumber",
        "teamIdentifier",
        "organizationName",
        "description",
    ):
        if not isinstance(info.get(key), str) or not info[key]:
            raise invalid(f"{key} is required")
    styles = [s for s in STYLES if s in info]
    if len(styles) != 1 or not isinstance(info[styles[0]], dict):
        raise invalid("exactly one pass style is required")
    url, token = info.get("webServiceURL"), info.get("authenticationToken")
    if url is not None:
        if not isinstance(url, str) or not (
            url.startswith("https://") or (allow_http and url.startswith("http://"))
        ):
            raise invalid("webServiceURL must be an https:// URL")
        if not isinstance(token, str) or len(token) < MIN_AUTH_TOKEN:
            raise invalid(f"authenticationToken must be at least {MIN_AUTH_TOKEN} characters")
    fields: dict[str, PassField] = {}
    for group in FIELD_GROUPS:
        entries = info[styles[0]].get(group, [])
        if not isinstance(entries, list):
            raise invalid(f"{group} must be an array")
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                raise invalid(f"every field of {group} needs a key")
            if "value" not in entry:
                raise invalid(f"field {entry['key']} needs a value")
            if entry["key"] in fields:
                raise invalid(f"field key {entry['key']} is not unique")
            message = entry.get("changeMessage")
            label = entry.get("label")
            fields[entry["key"]] = PassField(
                entry["key"],
                entry["value"],
                label if isinstance(label, str) else None,
                message if isinstance(message, str) else None,
            )
    return PassData(
        pass_type_id=info["passTypeIdentifier"],
        serial_number=info["serialNumber"],
        team_id=info["teamIdentifier"],
        organization_name=info["organizationName"],
        description=info["description"],
        style=styles[0],
        fields=fields,
        web_service_url=url if isinstance(url, str) else None,
        authentication_token=token if isinstance(token, str) else None,
        voided=info.get("voided") is True,
        raw=raw,
    )


# -- manifest and signature -------------------------------------------------------------------

_BAD_SIGNATURE = "Manifest signature did not verify successfully"


def _check_manifest(manifest: bytes, files: Mapping[str, bytes]) -> None:
    try:
        hashes_of = json.loads(manifest)
    except (ValueError, RecursionError):
        raise PassRefused(_BAD_SIGNATURE) from None
    if not isinstance(hashes_of, dict):
        raise PassRefused(_BAD_SIGNATURE)
    for name, data in files.items():
        if name in ("manifest.json", "signature"):
            continue
        expected = hashes_of.get(name)
        # Every file must be listed with its lowercase hex SHA-1 (§5).
        if not isinstance(expected, str) or expected != hashlib.sha1(data).hexdigest():
            raise PassRefused(_BAD_SIGNATURE)
    if "icon.png" not in files:
        raise PassRefused("The pass cannot be read because it isn't valid: icon.png is missing.")


def _verify_signature(
    signature: bytes, manifest: bytes, allow_attached: bool
) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The signer's certificate and the others the signature carries, once it verifies."""
    try:
        info = cms.ContentInfo.load(signature)
        if info["content_type"].native != "signed_data":
            raise PassRefused(_BAD_SIGNATURE)
        signed = info["content"]
        content = signed["encap_content_info"]["content"]
        if content.native is not None and not (allow_attached and content.native == manifest):
            raise PassRefused(_BAD_SIGNATURE)
        certificates = [
            cert for cert in map(_certificate, signed["certificates"] or []) if cert is not None
        ]
        signer_infos = list(signed["signer_infos"])
        if len(signer_infos) != 1:
            raise PassRefused(_BAD_SIGNATURE)
        signer_info = signer_infos[0]
        sid = signer_info["sid"]
        if sid.name != "issuer_and_serial_number":
            raise PassRefused(_BAD_SIGNATURE)
        wanted = sid.chosen
        signer = next(
            (
                c
                for c in certificates
                if c.serial_number == wanted["serial_number"].native
                # Compared as names, not bytes: signers re-encode the issuer's string types
                # (node-forge, so passkit-generator, writes PrintableString for UTF8String).
                and asn1_x509.Name.load(c.issuer.public_bytes()) == wanted["issuer"]
            ),
            None,
        )
        digest = _DIGESTS.get(signer_info["digest_algorithm"]["algorithm"].native)
        attributes = signer_info["signed_attrs"]
        if signer is None or digest is None or not attributes:
            raise PassRefused(_BAD_SIGNATURE)
        found = {a["type"].native: a["values"].native for a in attributes}
        hasher = hashes.Hash(digest)
        hasher.update(manifest)
        if found.get("message_digest") != [hasher.finalize()]:
            raise PassRefused(_BAD_SIGNATURE)
        if "signing_time" not in found:
            # "Wallet requires a signingTime" (reference/wallet.md §5, passkit-generator).
            raise PassRefused(f"{_BAD_SIGNATURE}: the signature has no signing time")
        # The signature covers the DER of the signed attributes as a SET OF (RFC 5652 §5.4).
        signed_bytes = b"\x31" + attributes.dump()[1:]
        _check(
            signer.public_key(),
            signer_info["signature"].native,
            signed_bytes,
            digest,
        )
    except PassRefused:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, InvalidSignature):
        raise PassRefused(_BAD_SIGNATURE) from None
    return signer, certificates


def _check(key: Any, signature: bytes, data: bytes, digest: hashes.HashAlgorithm) -> None:
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), digest)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(digest))
    else:
        raise InvalidSignature("unsupported key")


def _check_chain(
    signed_by: tuple[x509.Certificate, list[x509.Certificate]],
    known: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    info: Mapping[str, Any],
    where: str,
    now: datetime.datetime | None,
) -> None:
    """Pass Type ID certificate → an intermediate it carries → a trusted root; UID and OU must
    match ``passTypeIdentifier`` and ``teamIdentifier`` (§5, the wording of S19)."""
    refused = PassRefused(
        f"Invalid data error reading pass {where}. The passTypeIdentifier or teamIdentifier "
        "provided may not match your certificate, or the certificate trust chain could not be "
        "verified."
    )
    signer, carried = signed_by
    moment = now or datetime.datetime.now(datetime.UTC)
    if not _valid_at(signer, moment) or not any(e.oid == PASS_TYPE_OID for e in signer.extensions):
        raise refused
    if _name(signer, NameOID.USER_ID) != info.get("passTypeIdentifier"):
        raise refused
    if _name(signer, NameOID.ORGANIZATIONAL_UNIT_NAME) != info.get("teamIdentifier"):
        raise refused
    for intermediate in (*carried, *known):
        if intermediate is signer or not _issued(signer, intermediate):
            continue
        if not _is_ca(intermediate) or not _valid_at(intermediate, moment):
            continue
        if any(_issued(intermediate, root) and _valid_at(root, moment) for root in roots):
            return
    raise refused


def _certificate(choice: Any) -> x509.Certificate | None:
    """A certificate the signature carries, or None when it is not valid DER."""
    try:
        return x509.load_der_x509_certificate(choice.chosen.dump())
    except ValueError:
        return None


def _issued(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _valid_at(cert: x509.Certificate, moment: datetime.datetime) -> bool:
    return cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc


def _name(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None
