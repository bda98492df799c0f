"""Wallet's checks of a .pkpass (reference/wallet.md §5): what it accepts, what it refuses and
with which words."""

from __future__ import annotations

import dataclasses
import io
import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.pkpass import MAX_PASS_BYTES, MAX_UNPACKED_BYTES, PassRefused, read_pass
from fakeproviders.ca import LocalCA
from sender.pkpass import PassSigner, build_pkpass
from tests.wallet_support import rewrite, root_of, signer_for, store_card

CHAIN = "the certificate trust chain could not be verified"


@pytest.fixture(scope="module")
def signer(ca: LocalCA) -> PassSigner:
    return signer_for(ca)


@pytest.fixture(scope="module")
def genuine(signer: PassSigner) -> bytes:
    return build_pkpass(store_card(), signer)


def test_a_pass_signed_under_the_trusted_root_is_accepted(ca, genuine):
    """Manifest, detached signature with signing time, WWDR-like chain: accepted, fields read."""
    data = read_pass(genuine, [root_of(ca)])
    assert (data.pass_type_id, data.serial_number, data.style) == (
        "pass.com.example.loyalty",
        "card-1",
        "storeCard",
    )
    assert data.fields["points"].value == 100
    assert data.fields["points"].change_message == "You now have %@ points"
    assert data.updatable


def test_an_edited_file_breaks_the_manifest(ca, genuine):
    """A file whose SHA-1 no longer matches the manifest: 'Manifest signature did not verify'."""
    edited = rewrite(genuine, lambda n, d: d.replace(b"100", b"999") if n == "pass.json" else d)
    with pytest.raises(PassRefused, match="Manifest signature did not verify successfully"):
        read_pass(edited, [root_of(ca)])


def test_an_edited_manifest_breaks_the_signature(ca, genuine):
    """A manifest changed after signing fails the signature's message digest."""

    def edit(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), "extra.png": "0" * 40}).encode()

    with pytest.raises(PassRefused, match="Manifest signature did not verify successfully"):
        read_pass(rewrite(genuine, edit), [root_of(ca)])


def test_a_missing_signature_is_named(ca, genuine):
    """No ``signature`` file: 'Signature is missing' (node-passbook #23)."""
    unsigned = rewrite(genuine, lambda n, d: None if n == "signature" else d)
    with pytest.raises(PassRefused, match=r"^Signature is missing$"):
        read_pass(unsigned, [root_of(ca)])


def test_a_pass_from_an_untrusted_ca_is_refused_with_the_chain_message(genuine):
    """A root the phone does not trust: the device's 'Invalid data error reading pass' words."""
    with tempfile.TemporaryDirectory() as other:
        stranger = LocalCA.load_or_create(Path(other))
        with pytest.raises(PassRefused, match=CHAIN) as refused:
            read_pass(genuine, [root_of(stranger)])
    assert str(refused.value).startswith(
        "Invalid data error reading pass pass.com.example.loyalty/card-1."
    )


def test_a_team_identifier_that_is_not_the_certificates_is_refused(ca, signer):
    """teamIdentifier must be the certificate's OU (§5)."""
    data = build_pkpass(store_card(teamIdentifier="OTHERTEAM1"), signer)
    with pytest.raises(PassRefused, match=CHAIN):
        read_pass(data, [root_of(ca)])


def test_a_pass_type_that_is_not_the_certificates_is_refused(ca, signer):
    """passTypeIdentifier must be the certificate's UID (§5)."""
    data = build_pkpass(store_card(passTypeIdentifier="pass.com.other"), signer)
    with pytest.raises(PassRefused, match=CHAIN):
        read_pass(data, [root_of(ca)])


def test_an_http_web_service_needs_the_developer_setting(ca, signer):
    """webServiceURL must be https unless the developer switch allows HTTP (§5)."""
    data = build_pkpass(store_card(url="http://127.0.0.1:8080/passkit"), signer)
    with pytest.raises(PassRefused, match="webServiceURL must be an https:// URL"):
        read_pass(data, [root_of(ca)])
    assert read_pass(data, [root_of(ca)], allow_http=True).updatable


def test_a_short_authentication_token_is_refused(ca, signer):
    """authenticationToken must be at least 16 characters (§5)."""
    data = build_pkpass(store_card(token="short"), signer)
    with pytest.raises(PassRefused, match="at least 16 characters"):
        read_pass(data, [root_of(ca)])


def test_a_pass_without_icon_is_refused(ca, signer):
    """icon.png is required (§5)."""
    data = build_pkpass(store_card(), signer, images={"logo.png": b"x"})
    with pytest.raises(PassRefused, match=r"icon\.png is missing"):
        read_pass(data, [root_of(ca)])


def test_required_keys_are_checked(ca, signer):
    """formatVersion 1 and one style are required (§5)."""
    card = store_card()
    del card["storeCard"]
    with pytest.raises(PassRefused, match="exactly one pass style"):
        read_pass(build_pkpass(card, signer), [root_of(ca)])
    with pytest.raises(PassRefused, match="formatVersion must be 1"):
        read_pass(build_pkpass(store_card(formatVersion=2), signer), [root_of(ca)])


def test_an_archive_that_unpacks_past_the_cap_is_refused_unread(ca):
    """Files adding up to more than MAX_UNPACKED_BYTES are refused before any is unpacked:
    a small archive of many deflated files cannot take the phone's memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(MAX_UNPACKED_BYTES // MAX_PASS_BYTES + 1):
            archive.writestr(f"strip{i}.png", bytes(MAX_PASS_BYTES))
    assert len(buffer.getvalue()) < MAX_PASS_BYTES
    with pytest.raises(PassRefused, match="The pass is too large"):
        read_pass(buffer.getvalue(), [root_of(ca)])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_archives_are_refused_never_crash(ca, genuine, data):
    """Any byte flipped, cut or appended: accepted unchanged or refused with PassRefused."""
    raw = bytearray(genuine)
    how = data.draw(st.sampled_from(["flip", "cut", "junk"]))
    if how == "flip":
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] ^= data.draw(st.integers(1, 255))
    elif how == "cut":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        raw += data.draw(st.binary(min_size=1, max_size=64))
    try:
        opened = read_pass(bytes(raw), [root_of(ca)])
    except PassRefused:
        return
    expected = read_pass(genuine, [root_of(ca)])
    assert dataclasses.replace(opened, raw=b"") == dataclasses.replace(expected, raw=b"")
