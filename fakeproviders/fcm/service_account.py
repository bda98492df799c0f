"""A Google service account for the fake: the JSON file senders load, and the key it verifies.

The JSON has every field a real one has (reference/fcm.md §3), with ``token_uri`` pointing at the
fake's token endpoint, so google-auth based senders need no code change.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fakeproviders.ca import write_atomic
from fakeproviders.fcm.errors import FakeFcmError

#: The audience google-auth always signs, whatever ``token_uri`` says (reference/fcm.md §3).
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
#: Every token endpoint Google answers the service-account grant at, each also the ``aud`` that
#: clients posting there sign: today's; the older one gtoken (Node's googleapis stack,
#: fcm-v1-http2) hard-codes as URL and audience [C gtoken 6 and 7 source]; and the oldest, still
#: the default of older Go (golang.org/x/oauth2 ``JWTTokenURL``) and JDBC/ODBC drivers [S].
GOOGLE_TOKEN_URIS = (
    GOOGLE_TOKEN_URI,
    "https://www.googleapis.com/oauth2/v4/token",
    "https://accounts.google.com/o/oauth2/token",
)
_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
_ROBOT_CERTS = "https://www.googleapis.com/robot/v1/metadata/x509/"
# google-auth requires these; firebase-admin also requires type == service_account (§3).
_REQUIRED = ("type", "project_id", "private_key_id", "private_key", "client_email")


class ServiceAccountError(FakeFcmError):
    """A service-account file that cannot be used."""


@dataclass(frozen=True)
class ServiceAccount:
    """A service account of one Firebase project, with its RSA key pair."""

    project_id: str
    client_email: str
    client_id: str
    private_key_id: str
    private_key_pem: str = field(repr=False)
    """RSA 2048 private key, PKCS#8 PEM (what Google puts in ``private_key``)."""
    public_key_pem: str = field(repr=False)
    """The matching public key (SubjectPublicKeyInfo PEM), what the token endpoint verifies with."""

    @classmethod
    def generate(cls, project_id: str) -> ServiceAccount:
        """A new account named like Firebase's default one, with a fresh 2048-bit key."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))
        return cls(
            project_id=project_id,
            client_email=f"firebase-adminsdk-{suffix}@{project_id}.iam.gserviceaccount.com",
            client_id=str(secrets.randbelow(9 * 10**20) + 10**20),  # 21 digits, like Google's
            private_key_id=secrets.token_hex(20),
            private_key_pem=_private_pem(key),
            public_key_pem=_public_pem(key.public_key()),
        )

    def to_json(self, token_uri: str) -> dict[str, str]:
        """The service-account JSON, with ``token_uri`` set to the given (fake) endpoint."""
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.private_key_id,
            "private_key": self.private_key_pem,
            "client_email": self.client_email,
            "client_id": self.client_id,
            "auth_uri": _AUTH_URI,
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": _CERTS_URL,
            "client_x509_cert_url": _ROBOT_CERTS + quote(self.client_email, safe=""),
            "universe_domain": "googleapis.com",
        }

    def write(self, path: Path | str, token_uri: str) -> Path:
        """Write the JSON file (mode 0600, like any private key) and return its path."""
        target = Path(path)
        data = json.dumps(self.to_json(token_uri), indent=2) + "\n"
        write_atomic(target, data.encode(), private=True)
        return target

    @classmethod
    def load(cls, path: Path | str) -> ServiceAccount:
        """Read a service-account JSON file written by :meth:`write` (or by Google)."""
        try:
            info = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ServiceAccountError(f"cannot read service account {path}: {exc}") from exc
        return cls.from_info(info)

    @classmethod
    def from_info(cls, info: Any) -> ServiceAccount:
        """Build from the parsed JSON."""
        if not isinstance(info, dict):
            raise ServiceAccountError("a service account must be a JSON object")
        missing = [k for k in _REQUIRED if not isinstance(info.get(k), str)]
        if missing:
            raise ServiceAccountError(f"service account lacks {', '.join(missing)}")
        if info["type"] != "service_account":
            raise ServiceAccountError(f"not a service account: type {info['type']!r}")
        try:
            # Only the public key is derived from it (the token endpoint verifies with that):
            # the RSA consistency check, ~50 ms of every simulation's start, is skipped.
            key = serialization.load_pem_private_key(
                info["private_key"].encode(), password=None, unsafe_skip_rsa_key_validation=True
            )
        except (ValueError, TypeError) as exc:
            raise ServiceAccountError(f"unreadable private_key: {exc}") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ServiceAccountError("private_key is not an RSA key")
        return cls(
            project_id=info["project_id"],
            client_email=info["client_email"],
            client_id=str(info.get("client_id", "")),
            private_key_id=info["private_key_id"],
            private_key_pem=info["private_key"],
            public_key_pem=_public_pem(key.public_key()),
        )


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
