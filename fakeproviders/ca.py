"""The local certificate authority that the fakes' TLS certificates chain to.

The CA and the server certificate live in a state directory and are reused across runs, so a
user trusts one ``ca.pem`` once (``SSL_CERT_FILE``, ``NODE_EXTRA_CA_CERTS``, a Java trust store).
The server certificate carries the real APNs and FCM host names as well as the loopback names, so
a client that insists on talking to ``api.push.apple.com`` can be routed to the fake and still
verify it (reference/apns.md §7).
"""

from __future__ import annotations

import datetime
import fcntl
import ipaddress
import os
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: Names every server certificate covers: loopback, and the real hosts of Apple and Google that
#: senders may have hard-coded (reference/apns.md §7, reference/fcm.md §6).
SERVER_NAMES: tuple[str, ...] = (
    "localhost",
    "127.0.0.1",
    "::1",
    "api.push.apple.com",
    "api.sandbox.push.apple.com",
    "api.development.push.apple.com",
    "api-manage-broadcast.push.apple.com",
    "api-manage-broadcast.sandbox.push.apple.com",
    "fcm.googleapis.com",
    "oauth2.googleapis.com",
    "iid.googleapis.com",
    "fcmregistrations.googleapis.com",
    "www.googleapis.com",
    "accounts.google.com",
    "walletobjects.googleapis.com",
)

_CA_VALIDITY = datetime.timedelta(days=3650)
_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    key_cert_sign=True,
    crl_sign=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    encipher_only=False,
    decipher_only=False,
)
_LEAF_VALIDITY = datetime.timedelta(days=825)
# Renew a leaf well before it expires, so a long-lived state dir never serves an expired cert.
_RENEW_MARGIN = datetime.timedelta(days=30)


class CAError(Exception):
    """The state directory holds a CA or certificate that cannot be used."""


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key, both as PEM files."""

    cert_path: Path
    key_path: Path


class LocalCA:
    """A CA kept as ``ca.pem`` and ``ca-key.pem`` in a state directory."""

    def __init__(self, state_dir: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey):
        self.state_dir = state_dir
        self._cert = cert
        self._key = key

    @property
    def cert_path(self) -> Path:
        """The CA certificate (PEM) that clients must trust."""
        return self.state_dir / "ca.pem"

    @classmethod
    def load_or_create(cls, state_dir: Path | str) -> LocalCA:
        """Load the CA from ``state_dir``, creating the directory and the CA on first use.

        Safe when several processes (pytest-xdist workers) share one state directory: creation
        happens under an exclusive file lock.
        """
        state = Path(state_dir)
        state.mkdir(parents=True, exist_ok=True)
        with _locked(state):
            cert_file, key_file = state / "ca.pem", state / "ca-key.pem"
            if cert_file.exists() and key_file.exists():
                return cls(state, *_load_pair(cert_file, key_file))
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pushsim local CA")])
            # One intermediate below: the WWDR-like CA of Wallet passes (wallet.md §5).
            valid = _utcnow() + _CA_VALIDITY
            cert = _ca_builder(name, name, key, valid, 1).sign(key, hashes.SHA256())
            write_atomic(key_file, _key_pem(key), private=True)
            write_atomic(cert_file, cert.public_bytes(serialization.Encoding.PEM))
            return cls(state, cert, key)

    def server_certificate(self, names: Sequence[str] = SERVER_NAMES) -> IssuedCertificate:
        """The server certificate for ``names``, issued once and reused while it is valid."""
        issued = IssuedCertificate(self.state_dir / "server.pem", self.state_dir / "server-key.pem")
        with _locked(self.state_dir):
            if self._is_reusable(issued, names):
                return issued
            key = ec.generate_private_key(ec.SECP256R1())
            cert = (
                self._leaf_builder(names[0], key)
                .add_extension(
                    x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False
                )
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
                )
                .sign(self._key, hashes.SHA256())
            )
            write_atomic(issued.key_path, _key_pem(key), private=True)
            write_atomic(issued.cert_path, cert.public_bytes(serialization.Encoding.PEM))
        return issued

    def server_ssl_context(
        self, alpn: Sequence[str] = ("h2", "http/1.1"), names: Sequence[str] = SERVER_NAMES
    ) -> ssl.SSLContext:
        """A server-side TLS ≥ 1.2 context presenting the server certificate."""
        issued = self.server_certificate(names)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # APNs requires TLS 1.2+ (apns.md §1.1)
        ctx.load_cert_chain(issued.cert_path, issued.key_path)
        if alpn:
            ctx.set_alpn_protocols(list(alpn))
        return ctx

    def client_certificate(
        self,
        common_name: str,
        *,
        uid: str | None = None,
        extensions: Sequence[tuple[str, bytes]] = (),
    ) -> IssuedCertificate:
        """A new TLS client certificate (and key) signed by this CA, in ``clients/`` of the
        state directory; the PEM certificate file also holds the key, as APNs client libraries
        expect one ``.pem`` (aioapns ``client_cert``).

        ``uid`` goes in the subject as ``UID`` (APNs: the bundle id, reference/apns.md §3.2);
        ``extensions`` are ``(dotted OID, DER value)`` pairs added as non-critical extensions
        (APNs: the topics extension 1.2.840.113635.100.6.3.6 and the environment extensions
        .6.3.1/.6.3.2). Each call issues a fresh certificate.
        """
        key = ec.generate_private_key(ec.SECP256R1())
        subject = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if uid:
            subject.insert(0, x509.NameAttribute(NameOID.USER_ID, uid))
        now = _utcnow()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(subject))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + _LEAF_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        )
        for oid, value in extensions:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False
            )
        cert = builder.sign(self._key, hashes.SHA256())
        folder = self.state_dir / "clients"
        folder.mkdir(exist_ok=True)
        stem = f"client-{cert.serial_number:x}"
        issued = IssuedCertificate(folder / f"{stem}.pem", folder / f"{stem}-key.pem")
        write_atomic(issued.key_path, _key_pem(key), private=True)
        write_atomic(
            issued.cert_path,
            cert.public_bytes(serialization.Encoding.PEM) + _key_pem(key),
            private=True,
        )
        return issued

    def intermediate(
        self, common_name: str, stem: str
    ) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        """An intermediate CA signed by this CA, kept as ``<stem>.pem`` / ``<stem>-key.pem`` in
        the state directory and reused (Wallet passes chain to a WWDR-like one,
        reference/wallet.md §5). RSA, as Apple's intermediates are."""
        cert_file = self.state_dir / f"{stem}.pem"
        key_file = self.state_dir / f"{stem}-key.pem"
        with _locked(self.state_dir):
            if cert_file.exists() and key_file.exists():
                cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
                # Our own key, written by this method: skip the slow RSA consistency check.
                key = serialization.load_pem_private_key(
                    key_file.read_bytes(), password=None, unsafe_skip_rsa_key_validation=True
                )
                if (
                    isinstance(key, rsa.RSAPrivateKey)
                    and cert.issuer == self._cert.subject
                    and cert.not_valid_after_utc - _RENEW_MARGIN > _utcnow()
                    and _issued_by(cert, self._cert)
                ):
                    return cert, key
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
            cert = (
                _ca_builder(name, self._cert.subject, key, _utcnow() + _LEAF_VALIDITY, 0)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                    critical=False,
                )
                .sign(self._key, hashes.SHA256())
            )
            write_atomic(key_file, _key_pem(key), private=True)
            write_atomic(cert_file, cert.public_bytes(serialization.Encoding.PEM))
            return cert, key

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client-side context that trusts only this CA (for tests and in-process senders)."""
        return ssl.create_default_context(cafile=str(self.cert_path))

    def _leaf_builder(
        self, common_name: str, key: ec.EllipticCurvePrivateKey
    ) -> x509.CertificateBuilder:
        now = _utcnow()
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + _LEAF_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
        )

    def _is_reusable(self, issued: IssuedCertificate, names: Sequence[str]) -> bool:
        if not (issued.cert_path.exists() and issued.key_path.exists()):
            return False
        cert = x509.load_pem_x509_certificate(issued.cert_path.read_bytes())
        if (
            cert.issuer != self._cert.subject
            or cert.not_valid_after_utc - _RENEW_MARGIN < _utcnow()
        ):
            return False
        if not _issued_by(cert, self._cert):  # signed by an earlier CA
            return False
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return {str(v) for v in san.get_values_for_type(x509.DNSName)} | {
            str(v) for v in san.get_values_for_type(x509.IPAddress)
        } == {str(_general_name(n).value) for n in names}


def _ca_builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    not_after: datetime.datetime,
    path_length: int,
) -> x509.CertificateBuilder:
    """A CA certificate of ``key``, valid from yesterday until ``not_after``."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_utcnow() - datetime.timedelta(days=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _load_pair(
    cert_file: Path, key_file: Path
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except ValueError as exc:
        raise CAError(f"cannot read the CA in {cert_file.parent}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CAError(f"{key_file} is not an EC private key")
    return cert, key


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _utcnow() -> datetime.datetime:
    # Certificates are checked by TLS stacks against the real wall clock, never the virtual one.
    return datetime.datetime.now(datetime.UTC)


def write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (mode 0600 when ``private``)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


@contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    with open(state_dir / ".ca.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
