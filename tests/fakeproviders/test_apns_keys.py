from __future__ import annotations

import re
import stat
from pathlib import Path

import jwt
import pytest

from fakeproviders.apns import ApnsSigningKey, InvalidSigningKey


def test_generate_makes_ten_character_uppercase_ids() -> None:
    """Generated team and key ids look like Apple's: 10 uppercase letters or digits."""
    key = ApnsSigningKey.generate()
    assert re.fullmatch(r"[A-Z0-9]{10}", key.team_id)
    assert re.fullmatch(r"[A-Z0-9]{10}", key.key_id)
    assert key.private_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")


def test_generate_keeps_given_ids() -> None:
    """Ids passed to generate() are used as they are."""
    key = ApnsSigningKey.generate(team_id="TEAM123456", key_id="KEY1234567")
    assert (key.team_id, key.key_id) == ("TEAM123456", "KEY1234567")


def test_malformed_ids_are_refused() -> None:
    """A team or key id that is not 10 uppercase alphanumerics is an InvalidSigningKey."""
    with pytest.raises(InvalidSigningKey):
        ApnsSigningKey.generate(team_id="short")


def test_write_p8_into_a_directory_names_the_file_like_apple(tmp_path: Path) -> None:
    """write_p8 on a directory writes AuthKey_<KEYID>.p8 with mode 0600."""
    key = ApnsSigningKey.generate()
    path = key.write_p8(tmp_path)
    assert path == tmp_path / f"AuthKey_{key.key_id}.p8"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == key.private_key_pem


def test_load_reads_back_a_written_key(tmp_path: Path) -> None:
    """A .p8 written and loaded again is the same key."""
    key = ApnsSigningKey.generate()
    path = key.write_p8(tmp_path / "key.p8")
    assert ApnsSigningKey.load(path, key.team_id, key.key_id) == key


def test_provider_token_verifies_with_the_public_key() -> None:
    """provider_token() is an ES256 JWT with kid, iss and iat that the public key verifies."""
    key = ApnsSigningKey.generate()
    token = key.provider_token(1_700_000_000)
    assert jwt.get_unverified_header(token)["kid"] == key.key_id
    claims = jwt.decode(token, key.public_key, algorithms=["ES256"], options={"verify_iat": False})
    assert claims == {"iss": key.team_id, "iat": 1_700_000_000}
