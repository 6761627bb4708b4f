"""ACME: Pier obtains its HTTPS certificate from pebble (Let's Encrypt's test server) over
http-01 on its plain listener, or over tls-alpn-01 on the TLS port alone as distribution
does, with real validation; renews it without a restart, reuses it after one, and keeps it
in distribution's cache directory when that is what `cachefile` names."""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import Server
from harness.pki import served_certificate
from harness.server import free_port, pier_bin
from harness.tools import curl

pytestmark = [pytest.mark.pier_only, pytest.mark.usefixtures("need_pier")]


def _write_ca_and_leaf(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1/localhost signed by it (pebble's own
    HTTPS endpoint needs one; Debian's package ships none)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pier test ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "pebble.pem", directory / "pebble.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


class Pebble:
    def __init__(self, directory: Path, http_port: int, tls_port: int | None = None):
        if shutil.which("pebble") is None:
            pytest.skip("pebble is not installed (apt-get install pebble)")
        self.directory = directory
        self.ca, cert, key = _write_ca_and_leaf(directory)
        self.port, self.management = free_port(), free_port()
        config = directory / "pebble.json"
        config.write_text(
            '{"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d",'
            ' "certificate": "%s", "privateKey": "%s", "httpPort": %d, "tlsPort": %d,'
            ' "ocspResponderURL": "", "externalAccountBindingRequired": false}}'
            % (self.port, self.management, cert, key, http_port, tls_port or free_port())
        )
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1")
        self.log = open(directory / "pebble.log", "wb")
        self.proc = subprocess.Popen(
            ["pebble", "-config", str(config)], stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=directory
        )
        _wait_port(self.port)

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    def roots(self) -> str:
        """pebble's issuing root (made anew at every pebble start)."""
        return requests.get(f"https://127.0.0.1:{self.management}/roots/0", verify=str(self.ca), timeout=10).text

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def acme_setup(tmp_path):
    plain = free_port()
    pebble = Pebble(tmp_path, plain)
    config = {
        "http": {
            "tls": {
                "letsencrypt": {
                    "cachefile": str(tmp_path / "acme"),
                    "email": "ops@example.com",
                    "hosts": ["localhost"],
                    "directoryurl": pebble.directory_url,
                    "checkinterval": "2s",
                }
            },
            "plain": {"addr": f"127.0.0.1:{plain}"},
        }
    }
    yield pebble, config, plain
    pebble.stop()


def wait_for_pebble_certificate(port: int, timeout: float = 90, not_serial: int | None = None) -> x509.Certificate:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        certificate = served_certificate(port)
        issuer = certificate.issuer.rfc4514_string()
        if "Pebble" in issuer and certificate.serial_number != not_serial:
            return certificate
        time.sleep(0.5)
    raise AssertionError(f"no certificate from pebble within {timeout}s (issuer {issuer})")


def test_certificate_is_obtained_over_http01_and_served_with_a_chain_clients_trust(acme_setup, tmp_path):
    pebble, config, plain = acme_setup
    server = Server("pier", tmp_path / "pier", config=config, scheme="https", env={"SSL_CERT_FILE": str(pebble.ca)}).start()
    try:
        certificate = wait_for_pebble_certificate(server.port)
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert "localhost" in names.get_values_for_type(x509.DNSName)
        # pebble really fetched the http-01 answer from the plain listener.
        assert "/.well-known/acme-challenge/" in server.log
        root = tmp_path / "pebble-root.pem"
        root.write_text(pebble.roots())
        result = curl("--cacert", str(root), "--resolve", f"localhost:{server.port}:127.0.0.1", f"https://localhost:{server.port}/v2/")
        assert result.status == 200, result
        assert (tmp_path / "acme" / "localhost").stat().st_mode & 0o077 == 0
    finally:
        server.stop()


def test_certificate_is_renewed_without_a_restart(acme_setup, tmp_path):
    pebble, config, plain = acme_setup
    config["http"]["tls"]["letsencrypt"]["renewbefore"] = "87600h"  # every check finds it due
    server = Server("pier", tmp_path / "pier", config=config, scheme="https", env={"SSL_CERT_FILE": str(pebble.ca)}).start()
    try:
        pid = server.pid
        first = wait_for_pebble_certificate(server.port)
        second = wait_for_pebble_certificate(server.port, not_serial=first.serial_number)
        assert second.serial_number != first.serial_number
        assert server.pid == pid and server.alive()
    finally:
        server.stop()


def test_cached_certificate_is_served_at_once_after_a_restart_even_with_the_acme_server_down(acme_setup, tmp_path):
    pebble, config, plain = acme_setup
    server = Server("pier", tmp_path / "pier", config=config, scheme="https", env={"SSL_CERT_FILE": str(pebble.ca)}).start()
    try:
        first = wait_for_pebble_certificate(server.port)
        server.stop()
        pebble.stop()
        server.start()
        again = served_certificate(server.port)
        assert again.serial_number == first.serial_number
    finally:
        server.stop()


def test_distributions_letsencrypt_setup_gets_its_certificate_over_tls_alpn01_into_its_cache_directory(tmp_path):
    """registry:2 with `letsencrypt` and only its TLS port published: no plain listener, so
    control is proved over tls-alpn-01 on that port, and `cachefile` is a directory as
    distribution's autocert keeps it (account key, then one file per host: key and chain)."""
    tls_port = free_port()
    pebble = Pebble(tmp_path, free_port(), tls_port=tls_port)
    cache = tmp_path / "letsencrypt"  # not there yet: made a directory, as distribution makes it
    config = {"http": {"tls": {"letsencrypt": {
        "cachefile": str(cache), "email": "ops@example.com", "hosts": ["localhost"],
        "directoryurl": pebble.directory_url, "checkinterval": "2s",
    }}}}
    server = Server("pier", tmp_path / "pier", config=config, scheme="https", port=tls_port,
                    env={"SSL_CERT_FILE": str(pebble.ca)}).start()
    try:
        certificate = wait_for_pebble_certificate(server.port)
        assert "tls-alpn-01 validation handshake answered" in server.log
        assert "/.well-known/acme-challenge/" not in server.log
        # An ordinary client is served as before, also while no validation is pending.
        root = tmp_path / "pebble-root.pem"
        root.write_text(pebble.roots())
        result = curl("--cacert", str(root), "--resolve", f"localhost:{server.port}:127.0.0.1", f"https://localhost:{server.port}/v2/")
        assert result.status == 200, result
        stored = (cache / "localhost").read_bytes()
        # As autocert reads it: the key first, then the chain, and nothing after its end.
        assert stored.startswith(b"-----BEGIN ") and b"PRIVATE KEY-----" in stored.split(b"\n", 1)[0]
        assert stored.endswith(b"-----END CERTIFICATE-----\n")
        assert x509.load_pem_x509_certificate(stored[stored.index(b"-----BEGIN CERTIFICATE"):]).serial_number == certificate.serial_number
        assert cache.stat().st_mode & 0o077 == 0
        assert b"PRIVATE KEY" in (cache / "acme_account+key").read_bytes()
        assert (cache / "localhost").stat().st_mode & 0o077 == 0
    finally:
        server.stop()
        pebble.stop()


@pytest.mark.parametrize("layout", ["autocert-directory", "earlier-pier-json"])
def test_a_cached_certificate_is_served_at_once_from_distributions_directory_or_an_earlier_json_file(tmp_path, layout):
    """Swapping the binary keeps distribution's certificate: read from its autocert
    directory (an `EC PRIVATE KEY` account key, the host's key and chain), served at once,
    with no ACME server reachable; an earlier Pier's JSON cache file is read as before."""
    import json

    from harness.pki import CA

    def pem(key) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())

    account = ec.generate_private_key(ec.SECP256R1())
    issued = CA().issue("localhost", dns=("localhost",))
    if layout == "autocert-directory":
        cache = tmp_path / "letsencrypt"
        cache.mkdir()
        (cache / "acme_account+key").write_bytes(pem(account))
        (cache / "localhost").write_bytes(pem(issued.key) + issued.cert_pem)
    else:
        cache = tmp_path / "acme.json"
        cache.write_text(json.dumps({"accountKey": pem(account).decode(), "certificate": issued.cert_pem.decode(),
                                     "certificateKey": pem(issued.key).decode()}))
    config = {"http": {"tls": {"letsencrypt": {
        "cachefile": str(cache), "hosts": ["localhost"], "directoryurl": f"https://127.0.0.1:{free_port()}/dir",
    }}}}
    server = Server("pier", tmp_path / "pier", config=config, scheme="https").start()
    try:
        assert served_certificate(server.port).serial_number == issued.cert.serial_number
        assert cache.is_dir() == (layout == "autocert-directory")
    finally:
        server.stop()
