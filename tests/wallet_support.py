"""Helpers for the Wallet tests: a Pass Type ID signer from a local CA, and pass.json bodies."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
from cryptography import x509

from fakeproviders.apns.passes import issue_pass_type_certificate
from fakeproviders.ca import LocalCA
from sender import ApnsClient
from sender.cards import ApplePasses
from sender.clock import Clock
from sender.pkpass import PassSigner

PASS_TYPE_ID = "pass.com.example.loyalty"
TEAM_ID = "TEAM123456"


def signer_for(ca: LocalCA, pass_type_id: str = PASS_TYPE_ID, team_id: str = TEAM_ID) -> PassSigner:
    """A signer with the Pass Type ID certificate ``ca`` issues (under its WWDR-like CA)."""
    issued = issue_pass_type_certificate(ca, pass_type_id, team_id)
    return PassSigner.load(issued.cert_path, issued.key_path, issued.wwdr_path)


def scripted_passes(
    signer: PassSigner, clock: Clock, apns: Callable[[httpx.Request], httpx.Response]
) -> ApplePasses:
    """The sender's pass settings with an APNs client whose answers ``apns`` scripts (the httpx
    transport seam of ApnsClient); the web service is ``https://sender.test/passkit``."""
    client = ApnsClient(
        "https://apns.test",
        None,
        None,
        None,
        None,
        clock,
        client_cert="unused with a transport",
        transport=httpx.MockTransport(apns),
    )
    return ApplePasses(signer=signer, web_service_url="https://sender.test/passkit", apns=client)


def root_of(ca: LocalCA) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ca.cert_path.read_bytes())


def store_card(
    serial: str = "card-1",
    *,
    points: int = 100,
    tier: str = "Silver",
    url: str | None = "https://shop.test/passkit",
    token: str = "a-secret-of-sixteen-plus",
    **extra: Any,
) -> dict[str, Any]:
    """A store card's pass.json: points and tier carry change messages."""
    body: dict[str, Any] = {
        "formatVersion": 1,
        "passTypeIdentifier": PASS_TYPE_ID,
        "serialNumber": serial,
        "teamIdentifier": TEAM_ID,
        "organizationName": "Shop",
        "description": "Shop card",
        "storeCard": {
            "headerFields": [
                {"key": "tier", "label": "Tier", "value": tier, "changeMessage": "Tier: %@"}
            ],
            "primaryFields": [
                {
                    "key": "points",
                    "label": "Points",
                    "value": points,
                    "changeMessage": "You now have %@ points",
                }
            ],
        },
    }
    if url is not None:
        body |= {"webServiceURL": url, "authenticationToken": token}
    return body | extra


def rewrite(pkpass: bytes, edit: Callable[[str, bytes], bytes | None]) -> bytes:
    """The archive with each member passed through ``edit(name, data)`` (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pkpass)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = edit(info.filename, src.read(info))
            if data is not None:
                dst.writestr(info.filename, data)
    return out.getvalue()
