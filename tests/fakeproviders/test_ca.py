from __future__ import annotations

import contextlib
import ssl

from cryptography import x509

from fakeproviders.ca import SERVER_NAMES, LocalCA


def test_the_ca_is_reused_across_runs(tmp_path):
    """Loading the CA twice from one state directory gives the same certificate."""
    first = LocalCA.load_or_create(tmp_path)
    pem = first.cert_path.read_bytes()
    second = LocalCA.load_or_create(tmp_path)
    assert second.cert_path.read_bytes() == pem


def test_the_server_certificate_is_reused_while_valid(tmp_path):
    """The server certificate is issued once and then served again from the state directory."""
    ca = LocalCA.load_or_create(tmp_path)
    first = ca.server_certificate().cert_path.read_bytes()
    assert ca.server_certificate().cert_path.read_bytes() == first


def test_server_certificate_covers_loopback_and_the_real_host_names(tmp_path):
    """SANs: localhost, 127.0.0.1 and the APNs and FCM host names (reference/apns.md §7)."""
    cert = x509.load_pem_x509_certificate(
        LocalCA.load_or_create(tmp_path).server_certificate().cert_path.read_bytes()
    )
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {str(n) for n in san.get_values_for_type(x509.DNSName)}
    names |= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    assert names == set(SERVER_NAMES)
    assert {"api.push.apple.com", "api.sandbox.push.apple.com", "fcm.googleapis.com"} <= names


def test_private_keys_are_readable_by_the_owner_only(tmp_path):
    """Key files are written with mode 0600."""
    ca = LocalCA.load_or_create(tmp_path)
    issued = ca.server_certificate()
    for key in (tmp_path / "ca-key.pem", issued.key_path):
        assert key.stat().st_mode & 0o777 == 0o600


def test_a_certificate_of_another_ca_is_reissued(tmp_path):
    """A server certificate signed by a replaced CA is not served again."""
    ca = LocalCA.load_or_create(tmp_path)
    stale = ca.server_certificate().cert_path.read_bytes()
    for name in ("ca.pem", "ca-key.pem"):
        (tmp_path / name).unlink()
    fresh_ca = LocalCA.load_or_create(tmp_path)
    assert fresh_ca.server_certificate().cert_path.read_bytes() != stale


def test_clients_trusting_the_ca_verify_the_server_certificate(tmp_path):
    """A TLS handshake in memory succeeds for api.push.apple.com with only the CA trusted."""
    ca = LocalCA.load_or_create(tmp_path)
    server_ctx = ca.server_ssl_context()
    client_ctx = ca.client_ssl_context()
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="api.push.apple.com")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for side in (client, server):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
        s_in.write(c_out.read())
        c_in.write(s_out.read())
    client.do_handshake()
    assert client.version() in ("TLSv1.2", "TLSv1.3")
