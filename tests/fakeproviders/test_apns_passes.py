"""Apple's rules for pass-update pushes in the fake APNs (reference/wallet.md §4)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fakeproviders.apns import ApnsRegistry
from fakeproviders.apns.auth import ConnectionAuth
from fakeproviders.apns.certificates import read_certificate
from fakeproviders.apns.passes import issue_pass_type_certificate
from fakeproviders.apns.reasons import ApnsReason
from fakeproviders.apns.validation import Accepted, ApnsValidator, Rejected
from fakeproviders.ca import LocalCA

PASS_TYPE = "pass.com.example.loyalty"


class Clock:
    def now(self) -> float:
        return 1_700_000_000.0


def _der(ca) -> bytes:
    issued = issue_pass_type_certificate(ca, PASS_TYPE, "TEAM123456")
    cert = x509.load_pem_x509_certificate(issued.cert_path.read_bytes())
    return cert.public_bytes(serialization.Encoding.DER)


def test_a_pass_certificate_pushes_to_its_pass_type_in_production(ca):
    """A Pass Type ID certificate: topic = its UID, production only (§4)."""
    certificate = read_certificate(_der(ca), "production")
    assert not isinstance(certificate, ApnsReason)
    assert certificate.topics == {PASS_TYPE}
    assert certificate.environments == {"production"}


def test_a_pass_certificate_in_sandbox_is_refused(ca):
    """Pass pushes "work only in the production environment" (§4)."""
    assert read_certificate(_der(ca), "sandbox") is ApnsReason.BadCertificateEnvironment


def _validate(ca, body: bytes) -> Accepted | Rejected:
    registry = ApnsRegistry(Clock(), environment="production")
    token = registry.register("phone", PASS_TYPE)
    validator = ApnsValidator(
        keys=[], topics=[PASS_TYPE], registry=registry, clock=Clock(), environment="production"
    )
    certificate = read_certificate(_der(ca), "production")
    assert not isinstance(certificate, ApnsReason)
    return validator.validate(
        "POST", f"/3/device/{token}", [("apns-topic", PASS_TYPE)], body, ConnectionAuth(certificate)
    )


def test_an_empty_dictionary_is_a_valid_pass_push(ca):
    """The payload is "an empty JSON dictionary" (§4): accepted, no aps needed."""
    assert isinstance(_validate(ca, b"{}"), Accepted)


def test_an_alert_on_a_pass_topic_is_accepted_and_delivered_as_is(ca):
    """Alert keys are ignored by the device, not refused by APNs (§4)."""
    decision = _validate(ca, b'{"aps":{"alert":"ignored"}}')
    assert isinstance(decision, Accepted)


def test_a_pass_push_still_needs_a_json_object(ca):
    """An empty body or non-object JSON is refused as for any push."""
    assert isinstance(_validate(ca, b""), Rejected)
    assert isinstance(_validate(ca, b"[]"), Rejected)


@pytest.mark.parametrize("bad", ["pass.", "com.example", "pass.x/../../escaped", "pass.a\x00b"])
def test_a_pass_type_identifier_must_be_reverse_dns(tmp_path, bad):
    """The identifier names the certificate's folder: one with a "/" (or other than 'pass.' and
    letters, digits, dots and hyphens) is a ValueError, and nothing is written."""
    ca = LocalCA.load_or_create(tmp_path)
    with pytest.raises(ValueError, match="reverse-DNS"):
        issue_pass_type_certificate(ca, bad, "TEAM123456")
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "wallet").exists()
