"""Found 8: the car's trust in its server.

`server_url` took `http://` to any host (and "not a url"); there was no CA-bundle
option; the receipt key was pinned on first use, so a man in the middle at first
contact over plain HTTP could get his key pinned and issue receipts that delete
camera copies; a 0644 token file was accepted.
What must hold: https except to loopback; `ca_file` verifies a private CA; the key
is accepted only with the fingerprint given at enrollment; a token file others can
read is refused with a one-line error.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from edge_agent.core.config import load_settings
from edge_agent.core.receipts import ReceiptError, server_key
from edge_agent.core.server_trust import TrustError, fingerprint, tls_verify
from edge_agent.upload.server_client import ServerClient, ServerError

AGENT = str(Path(sys.executable).parent / "evidence-agent")
PORT = 18750  # this suite's own range
SERVER_KEY = Ed25519PrivateKey.generate()
PEM = (
    SERVER_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
ENROLLED = fingerprint(SERVER_KEY.public_key())


@pytest.mark.parametrize(
    "url",
    [
        "http://evidence.example.org",
        "http://10.0.0.5:8000",
        "not a url",
        "ftp://evidence.example.org",
        "https://",
    ],
)
def test_plain_http_to_another_host_or_no_url_is_refused(tmp_path, url):
    with pytest.raises(ValueError, match="server_url"):
        load_settings(spool_dir=tmp_path, server_url=url, server_key_fingerprint=ENROLLED)


@pytest.mark.parametrize(
    "url",
    ["https://evidence.example.org", "http://127.0.0.1:8000", "http://[::1]:8000", "http://localhost:8000"],
)
def test_https_or_loopback_is_accepted(tmp_path, url):
    assert load_settings(spool_dir=tmp_path, server_url=url, server_key_fingerprint=ENROLLED).server_url


def test_a_server_url_without_the_enrolled_key_is_refused(tmp_path):
    with pytest.raises(ValueError, match="server_key_fingerprint"):
        load_settings(spool_dir=tmp_path, server_url="https://evidence.example.org")
    with pytest.raises(ValueError, match="sha256"):
        load_settings(spool_dir=tmp_path, server_url="https://e.example.org", server_key_fingerprint="abc")


def test_a_key_with_another_fingerprint_is_never_pinned(tmp_path):
    impostor = Ed25519PrivateKey.generate().public_key()
    mitm_pem = impostor.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings = load_settings(
        spool_dir=tmp_path, server_url="http://127.0.0.1:9", server_key_fingerprint=ENROLLED
    )
    with pytest.raises(ReceiptError, match="not the sha256:"):
        server_key(settings, lambda: mitm_pem.decode())  # the man in the middle answers first contact
    assert not (tmp_path / "server-key.pem").exists()
    assert fingerprint(server_key(settings, lambda: PEM)) == ENROLLED  # the real server's key is kept
    (tmp_path / "server-key.pem").write_bytes(mitm_pem)  # and a key swapped in the spool is refused
    with pytest.raises(ReceiptError, match="not the sha256:"):
        server_key(settings, lambda: PEM)


def _https_server(tmp_path):
    """An HTTPS server on loopback with a certificate from a CA of our own (an agency PKI)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Agency test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps({"key_id": "k", "public_key_pem": PEM, "fingerprint": ENROLLED}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, ca_file


def test_ca_file_verifies_a_server_with_a_private_ca(tmp_path):
    server, ca_file = _https_server(tmp_path)
    try:
        url = f"https://127.0.0.1:{PORT}"
        without = ServerClient(url, "evd_x", timeout=5)
        with pytest.raises(ServerError, match="(?i)certificate"):
            without.receipt_key()
        without.close()
        settings = load_settings(
            spool_dir=tmp_path, server_url=url, server_key_fingerprint=ENROLLED, ca_file=ca_file
        )
        with_ca = ServerClient(url, "evd_x", timeout=5, verify=tls_verify(settings.ca_file))
        assert with_ca.receipt_key()["public_key_pem"] == PEM
        with_ca.close()
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(TrustError, match="ca_file"):
        tls_verify(tmp_path / "missing.pem")


def test_a_token_file_others_can_read_is_a_one_line_error(tmp_path):
    token = tmp_path / "device-token"
    token.write_text("evd_not_a_real_token\n")
    token.chmod(0o644)
    config = tmp_path / "agent.toml"
    config.write_text(
        f'spool_dir = "{tmp_path / "spool"}"\nmount_roots = ["{tmp_path / "dock"}"]\n'
        f'server_url = "http://127.0.0.1:9"\nserver_key_fingerprint = "{ENROLLED}"\n'
        f'device_token_file = "{token}"\n'
    )
    (tmp_path / "dock").mkdir()
    done = subprocess.run([AGENT, "run", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "readable by others" in done.stderr and "chmod 600" in done.stderr
