from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import service_account as google_service_account

from fakeproviders.fcm import ServiceAccount
from fakeproviders.fcm.service_account import ServiceAccountError

TOKEN_URI = "https://127.0.0.1:4443/token"


@pytest.fixture(scope="module")
def account() -> ServiceAccount:
    return ServiceAccount.generate("demo-proj")


def test_json_has_every_field_of_a_real_service_account(account: ServiceAccount) -> None:
    """The JSON carries all fields Google puts in a service-account key file (reference §3)."""
    info = account.to_json(TOKEN_URI)
    assert set(info) == {
        "type", "project_id", "private_key_id", "private_key", "client_email", "client_id",
        "auth_uri", "token_uri", "auth_provider_x509_cert_url", "client_x509_cert_url",
        "universe_domain",
    }  # fmt: skip
    assert info["type"] == "service_account"
    assert info["token_uri"] == TOKEN_URI
    assert info["project_id"] == "demo-proj"
    assert info["client_email"].endswith("@demo-proj.iam.gserviceaccount.com")
    assert info["universe_domain"] == "googleapis.com"
    assert len(info["private_key_id"]) == 40


def test_private_key_is_rsa_2048_pkcs8(account: ServiceAccount) -> None:
    """The private key is an RSA 2048 key in PKCS#8 PEM, as in Google's files."""
    assert account.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    key = serialization.load_pem_private_key(account.private_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    public = serialization.load_pem_public_key(account.public_key_pem.encode())
    assert public.public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]


def test_write_is_private_and_load_round_trips(account: ServiceAccount, tmp_path: Path) -> None:
    """The written file is mode 0600 and loads back as the same account."""
    path = account.write(tmp_path / "sa.json", TOKEN_URI)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ServiceAccount.load(path) == account


def test_google_auth_accepts_the_file(account: ServiceAccount, tmp_path: Path) -> None:
    """google-auth loads the file and keeps its token_uri (reference §3)."""
    path = account.write(tmp_path / "sa.json", TOKEN_URI)
    creds = google_service_account.Credentials.from_service_account_file(str(path))
    assert creds.service_account_email == account.client_email
    assert creds._token_uri == TOKEN_URI


def test_load_rejects_a_file_that_is_not_a_service_account(
    account: ServiceAccount, tmp_path: Path
) -> None:
    """A JSON whose type is not service_account is refused, as firebase-admin does."""
    info = account.to_json(TOKEN_URI) | {"type": "authorized_user"}
    path = tmp_path / "user.json"
    path.write_text(json.dumps(info))
    with pytest.raises(ServiceAccountError):
        ServiceAccount.load(path)


def test_private_key_stays_out_of_repr(account: ServiceAccount) -> None:
    """The key never leaks into logs through repr()."""
    assert "PRIVATE KEY" not in repr(account)
