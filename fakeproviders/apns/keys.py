"""APNs signing keys: the ``.p8`` file Apple hands a developer, with its team and key ids.

reference/apns.md §3.1: the key is P-256 ECDSA (ES256), the JWT header carries the 10-character
key id as ``kid`` and the claims carry the 10-character team id as ``iss``.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fakeproviders.apns.errors import InvalidSigningKey
from fakeproviders.ca import write_atomic

_ID = re.compile(r"[A-Z0-9]{10}")
_ID_ALPHABET = string.ascii_uppercase + string.digits


def _random_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))


@dataclass(frozen=True)
class ApnsSigningKey:
    """A token-auth signing key: team id, key id and the PKCS#8 PEM private key."""

    team_id: str
    """The 10-character Team ID (the JWT ``iss``)."""
    key_id: str
    """The 10-character Key ID (the JWT ``kid``)."""
    private_key_pem: bytes = field(repr=False)
    """The PKCS#8 PEM private key, exactly what Apple's ``AuthKey_<KEYID>.p8`` holds."""
    environment: str | None = None
    """A team-scoped key made for ``"sandbox"`` or ``"production"`` only; None for an older key
    that works in both (reference/apns.md §3.1, keys since February 2025)."""
    topics: frozenset[str] | None = None
    """A topic-specific key lists the bundle ids it may push to; None for a team key (§3.1)."""

    def __post_init__(self) -> None:
        if self.environment not in (None, "sandbox", "production"):
            raise InvalidSigningKey(f"unknown environment {self.environment!r}")
        for name, value in (("team_id", self.team_id), ("key_id", self.key_id)):
            if not _ID.fullmatch(value):
                raise InvalidSigningKey(f"{name} must be 10 uppercase letters or digits: {value!r}")
        self._private_key()  # fail fast on a key that is not P-256

    @classmethod
    def generate(
        cls,
        team_id: str | None = None,
        key_id: str | None = None,
        *,
        environment: str | None = None,
        topics: frozenset[str] | None = None,
    ) -> ApnsSigningKey:
        """A new P-256 key; random 10-character ids where none are given."""
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(team_id or _random_id(), key_id or _random_id(), pem, environment, topics)

    @classmethod
    def load(
        cls,
        path: Path | str,
        team_id: str,
        key_id: str,
        *,
        environment: str | None = None,
        topics: frozenset[str] | None = None,
    ) -> ApnsSigningKey:
        """Read a ``.p8`` file (the ids are not in the file: Apple shows them in the portal)."""
        return cls(team_id, key_id, Path(path).read_bytes(), environment, topics)

    def write_p8(self, path: Path | str) -> Path:
        """Write the ``.p8`` content (mode 0600) to ``path``, or to ``path/AuthKey_<KEYID>.p8``
        when ``path`` is a directory; return the file written."""
        target = Path(path)
        if target.is_dir():
            target = target / f"AuthKey_{self.key_id}.p8"
        write_atomic(target, self.private_key_pem, private=True)
        return target

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The public half, which the fake server verifies provider tokens with."""
        return self._private_key().public_key()

    def provider_token(self, iat: float | int | str, **extra_headers: Any) -> str:
        """An ES256 provider token (JWT) as a client would send it, for tests and tools."""
        return jwt.encode(
            {"iss": self.team_id, "iat": iat},
            self._private_key(),
            algorithm="ES256",
            headers={"kid": self.key_id, **extra_headers},
        )

    def _private_key(self) -> ec.EllipticCurvePrivateKey:
        try:
            key = serialization.load_pem_private_key(self.private_key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise InvalidSigningKey(f"not a PEM private key: {exc}") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
            key.curve, ec.SECP256R1
        ):
            raise InvalidSigningKey("APNs keys are P-256 ECDSA keys (reference/apns.md §3.1)")
        return key
