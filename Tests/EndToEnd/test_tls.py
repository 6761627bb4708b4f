"""http.tls: a server certificate from a test CA (IP SAN 127.0.0.1 and localhost),
curl / requests / skopeo / podman trusting that CA, HTTP/2 by ALPN (and disabled),
minimum TLS version, cipher suites, mutual TLS, the plain listener beside TLS and its
308 redirect, and https in Location headers."""

from __future__ import annotations

import json
import shutil
import ssl

import pytest
import requests

from harness import Registry, images
from harness.auth import write_htpasswd
from harness.pki import CA, served_certificate
from harness.server import free_port
from harness.tools import attempt, curl, eventually, require_tool, run

pytestmark = [pytest.mark.pier_only, pytest.mark.usefixtures("need_pier")]


class TLSFiles:
    """The CA, the server certificate and key, written under `directory`."""

    def __init__(self, directory, ca: CA, key_kind: str = "ec"):
        self.dir = directory
        self.ca = ca
        self.ca_path = ca.write(directory / "ca.crt")
        self.server = ca.server_cert(key_kind)
        self.cert, self.key = self.server.write(directory, "server")

    def cert_dir(self, name: str = "certs.d", client=None):
        """A containers-style cert dir (ca.crt, and client.cert/client.key when given)."""
        d = self.dir / name
        d.mkdir(exist_ok=True)
        shutil.copy(self.ca_path, d / "ca.crt")
        if client is not None:
            (d / "client.cert").write_bytes(client.cert_pem)
            (d / "client.key").write_bytes(client.key_pem)
        return d


@pytest.fixture
def tls(tmp_path, test_ca):
    return TLSFiles(tmp_path / "tls", test_ca)


def tls_config(tls: TLSFiles, **tls_extra) -> dict:
    return {"http": {"tls": {"certificate": tls.cert, "key": tls.key, **tls_extra}}}


def merge(*configs) -> dict:
    from harness.server import deep_merge

    out = {}
    for c in configs:
        out = deep_merge(out, c)
    return out


def https_server(make_server, tls, config=None, **kw):
    return make_server("pier", config=merge(tls_config(tls), config or {}), scheme="https", **kw)


@pytest.mark.parametrize("key_kind", ["ec", "rsa"])
def test_https_serves_the_api_with_the_configured_certificate(make_server, tmp_path, test_ca, key_kind):
    tls = TLSFiles(tmp_path / "tls", test_ca, key_kind)
    srv = https_server(make_server, tls)
    served = ssl.get_server_certificate(("127.0.0.1", srv.port))
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(tls.server.cert_pem.decode())
    r = curl("--cacert", tls.ca_path, f"https://127.0.0.1:{srv.port}/v2/")
    assert r.returncode == 0 and r.status == 200, r
    assert r.headers.get("docker-distribution-api-version") == "registry/2.0"
    r = curl("--cacert", tls.ca_path, f"https://localhost:{srv.port}/v2/", "--resolve", f"localhost:{srv.port}:127.0.0.1")
    assert r.returncode == 0 and r.status == 200, r
    untrusted = curl(f"https://127.0.0.1:{srv.port}/v2/")  # the system CA bundle only
    assert untrusted.returncode == 60, untrusted
    reg = Registry(srv.url, verify=tls.ca_path)
    img = images.image(2)
    reg.push("tls/app", "v1", img)
    assert reg.get_manifest("tls/app", "v1").content == img.data
    assert reg.get_blob("tls/app", img.blobs[1].digest).content == img.blobs[1].data


@pytest.mark.parametrize("http2_disabled", [True, False], ids=["http1", "http2"])
def test_plain_http_to_the_tls_port_is_told_it_reached_an_https_server_as_distribution_says(make_server, tls, http2_disabled):
    # `http://` typed for `https://`, or ports 80 and 443 both mapped to the TLS port:
    # distribution's 400 and its words, not an empty reply, and TLS on the port goes on.
    srv = https_server(make_server, tls, {"http": {"http2": {"disabled": http2_disabled}}})
    for method in ("GET", "HEAD", "POST"):
        r = requests.request(method, f"http://127.0.0.1:{srv.port}/v2/", timeout=10)
        assert r.status_code == 400, (method, r.status_code)
        assert r.headers.get("connection", "").lower() == "close"
        if method != "HEAD":
            assert r.text == "Client sent an HTTP request to an HTTPS server.\n"
    r = curl("--cacert", tls.ca_path, f"https://127.0.0.1:{srv.port}/v2/")
    assert r.returncode == 0 and r.status == 200, r
    assert srv.alive()


def test_upload_location_over_tls_is_https(make_server, tls):
    srv = https_server(make_server, tls)
    r = requests.post(f"{srv.url}/v2/tls/loc/blobs/uploads/", verify=tls.ca_path, timeout=10)
    assert r.status_code == 202
    assert r.headers["Location"].startswith(f"https://127.0.0.1:{srv.port}/v2/tls/loc/blobs/uploads/"), r.headers["Location"]
    r = curl("--cacert", tls.ca_path, "-X", "POST", f"https://localhost:{srv.port}/v2/tls/loc/blobs/uploads/",
             "--resolve", f"localhost:{srv.port}:127.0.0.1")
    assert r.status == 202 and r.headers["location"].startswith(f"https://localhost:{srv.port}/"), r.headers


@pytest.mark.clients
def test_skopeo_pushes_and_pulls_with_a_cert_dir(make_server, tls, tmp_path):
    require_tool("skopeo")
    srv = https_server(make_server, tls)
    certs = tls.cert_dir()
    img = images.image(2, layer_size=20_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    dest = f"docker://127.0.0.1:{srv.port}/tls/skopeo:v1"
    refused = attempt(["skopeo", "copy", f"oci:{tmp_path}/src:v1", dest])  # verification on, CA unknown
    assert refused.returncode != 0
    run(["skopeo", "copy", "--dest-cert-dir", str(certs), f"oci:{tmp_path}/src:v1", dest])
    assert Registry(srv.url, verify=tls.ca_path).get_manifest("tls/skopeo", "v1").content == img.data
    run(["skopeo", "copy", "--src-cert-dir", str(certs), dest, f"oci:{tmp_path}/out:v1"])
    assert images.oci_layout_descriptor(tmp_path / "out", "v1")["digest"] == img.digest


@pytest.mark.clients
def test_podman_login_push_and_pull_over_tls_with_htpasswd(make_server, tls, tmp_path, podman_factory):
    path = write_htpasswd(tmp_path / "htpasswd", {"alice": "alice-pw"})
    srv = https_server(make_server, tls, {"auth": {"htpasswd": {"realm": "TLS Realm", "path": str(path)}}})
    certs = tls.cert_dir()
    img = images.image(1, layer_size=20_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    host = f"127.0.0.1:{srv.port}"
    p = podman_factory("podman")
    p("login", "--cert-dir", str(certs), "-u", "alice", "--password-stdin", host, input="alice-pw\n")
    image_id = p("pull", "-q", f"oci:{tmp_path}/src:v1").splitlines()[-1]
    p("push", "--cert-dir", str(certs), "--digestfile", str(tmp_path / "digest"), image_id, f"docker://{host}/tls/podman:v1")
    fresh = podman_factory("fresh")
    fresh("login", "--cert-dir", str(certs), "-u", "alice", "--password-stdin", host, input="alice-pw\n")
    fresh("pull", "--cert-dir", str(certs), f"{host}/tls/podman:v1")
    info = json.loads(fresh("image", "inspect", f"{host}/tls/podman:v1"))[0]
    assert info["Digest"] == (tmp_path / "digest").read_text().strip()


# ---- HTTP/2 -------------------------------------------------------------------------------


def test_http2_is_negotiated_by_alpn(make_server, tls):
    srv = https_server(make_server, tls)
    r = curl("--http2", "--cacert", tls.ca_path, f"https://127.0.0.1:{srv.port}/v2/")
    assert r.returncode == 0 and r.status == 200 and r.http_version == "2", r
    r = curl("--http1.1", "--cacert", tls.ca_path, f"https://127.0.0.1:{srv.port}/v2/")
    assert r.status == 200 and r.http_version == "1.1", r


def test_push_and_pull_over_http2_with_curl(make_server, tls, tmp_path):
    srv = https_server(make_server, tls)
    base = f"https://127.0.0.1:{srv.port}"
    h2 = ["--http2", "--cacert", tls.ca_path]
    img = images.image(2, layer_size=300_000)
    for blob in img.blobs:
        start = curl(*h2, "-X", "POST", f"{base}/v2/h2/app/blobs/uploads/")
        assert start.status == 202 and start.http_version == "2", start
        loc = start.headers["location"]
        loc = loc if loc.startswith("http") else base + loc
        (tmp_path / "blob").write_bytes(blob.data)
        sep = "&" if "?" in loc else "?"
        done = curl(*h2, "-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary",
                    f"@{tmp_path / 'blob'}", f"{loc}{sep}digest={blob.digest}")
        assert done.status == 201, (done, done.body)
    (tmp_path / "manifest").write_bytes(img.data)
    put = curl(*h2, "-X", "PUT", "-H", f"Content-Type: {img.media_type}", "--data-binary",
               f"@{tmp_path / 'manifest'}", f"{base}/v2/h2/app/manifests/v1")
    assert put.status == 201, (put, put.body)
    got = curl(*h2, "-H", f"Accept: {img.media_type}", f"{base}/v2/h2/app/manifests/v1")
    assert got.status == 200 and got.http_version == "2" and got.body == img.data
    for blob in img.blobs:
        b = curl(*h2, "-L", f"{base}/v2/h2/app/blobs/{blob.digest}")
        assert b.status == 200 and b.body == blob.data


def start_upload(h2c: "HTTP2Connection", repo: str) -> str:
    status, headers, _ = h2c.response(h2c.request("POST", f"/v2/{repo}/blobs/uploads/"))
    assert status == 202, status
    loc = headers["location"]
    return loc[loc.index("/v2/"):] if "://" in loc else loc


def test_an_http2_upload_is_granted_a_window_for_its_body_and_a_read_none(make_server, tls):
    """HTTP/2's initial 65,535-byte window made a client push a layer in 64 KiB bursts, each
    waiting for an update. A stream whose headers say a body follows gets 4 MiB at once,
    the connection 16 MiB; a request without a body costs no update at all."""
    from harness.http2 import HTTP2Connection

    srv = https_server(make_server, tls)
    h2c = HTTP2Connection(srv.port, tls.ca_path)
    try:
        ping = h2c.request("GET", "/v2/")
        assert h2c.response(ping)[0] == 200
        assert h2c.window_updates(ping) == []
        loc = start_upload(h2c, "h2/window")
        body = images.random_bytes(12 << 20)
        digest = "sha256:" + __import__("hashlib").sha256(body).hexdigest()
        put = h2c.request("PUT", f"{loc}&digest={digest}" if "?" in loc else f"{loc}?digest={digest}",
                          [("content-length", str(len(body))), ("content-type", "application/octet-stream")],
                          end_stream=False)
        while not h2c.window_updates(put):
            h2c.receive()
        assert h2c.window_updates(put)[0] == (4 << 20) - 65_535
        assert sum(h2c.window_updates(0)) >= (16 << 20) - 65_535
        assert h2c.conn.local_flow_control_window(put) == 4 << 20
        # Frames of up to 1 MiB, announced with the connection's window.
        assert h2c.conn.max_outbound_frame_size == 1 << 20
        h2c.send_body(put, body)
        status, _, _ = h2c.response(put)
        assert status == 201
        # Replenished as it was read, and not past the declared length (NIO itself tops a
        # nearly closed window up to 65,535 bytes until it has the body's end).
        assert 65_535 + sum(h2c.window_updates(put)) <= len(body) + 65_535
    finally:
        h2c.close()
    reg = Registry(srv.url, verify=tls.ca_path)
    assert reg.head(f"/v2/h2/window/blobs/{digest}").headers["Content-Length"] == str(len(body))


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-length"])
def test_an_http2_body_sent_whole_before_the_server_reads_it_is_stored(make_server, tls, declared):
    """The client fills its whole window and ends the stream at once, so NIO has the body's
    end before the upload has read half of it. An update then would be for a closed stream:
    without a length it is refused, and the refusal must not fail the request."""
    import hashlib

    from harness.http2 import HTTP2Connection

    srv = https_server(make_server, tls)
    h2c = HTTP2Connection(srv.port, tls.ca_path)
    try:
        for size in (4 << 20, 20 << 20):
            loc = start_upload(h2c, "h2/whole")
            body = images.random_bytes(size)
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            headers = [("content-type", "application/octet-stream")]
            if declared:
                headers.append(("content-length", str(size)))
            put = h2c.request("PUT", f"{loc}{'&' if '?' in loc else '?'}digest={digest}", headers, end_stream=False)
            while not h2c.window_updates(put):
                h2c.receive()
            h2c.send_body(put, body)
            status, _, text = h2c.response(put)
            assert status == 201, (status, text)
            got = requests.get(f"{srv.url}/v2/h2/whole/blobs/{digest}", verify=tls.ca_path, timeout=60)
            assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == digest[7:]
    finally:
        h2c.close()
    assert "BadStreamStateTransition" not in srv.log_path.read_text(errors="replace")


def push_at_full_window(h2c: "HTTP2Connection", repo: str) -> None:
    """An 8 MiB upload on `h2c`, granted its whole 4 MiB window at once, and stored."""
    import hashlib

    loc = start_upload(h2c, repo)
    body = images.random_bytes(8 << 20)
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    put = h2c.request("PUT", f"{loc}{'&' if '?' in loc else '?'}digest={digest}",
                      [("content-length", str(len(body)))], end_stream=False)
    while not h2c.window_updates(put):
        h2c.receive()
    assert h2c.conn.local_flow_control_window(put) == 4 << 20
    h2c.send_body(put, body)
    assert h2c.response(put)[0] == 201


def test_abandoned_http2_uploads_leave_their_connection_its_window(make_server, tls):
    """Uploads the client resets halfway give the connection back what they sent: after
    more abandoned bytes than the connection's whole window, it still grants a full upload
    its window at once, and the upload completes."""
    import h2.errors

    from harness.http2 import HTTP2Connection

    srv = https_server(make_server, tls)
    h2c = HTTP2Connection(srv.port, tls.ca_path)
    try:
        for _ in range(6):
            loc = start_upload(h2c, "h2/abandoned")
            put = h2c.request("PUT", f"{loc}{'&' if '?' in loc else '?'}digest=sha256:{'0' * 64}",
                              [("content-length", str(8 << 20))], end_stream=False)
            h2c.send_body(put, images.random_bytes(3 << 20), end_stream=False)
            h2c.conn.reset_stream(put, h2.errors.ErrorCodes.CANCEL)
            h2c.flush()
        push_at_full_window(h2c, "h2/abandoned")
    finally:
        h2c.close()


def test_uploads_reset_before_sending_a_byte_give_their_connection_no_more_window(make_server, tls):
    """What an upload was granted and never sent is not given back to the connection: a
    client that opens uploads and resets them at once would otherwise be given a window
    growing by each one's grant, and could make the server buffer that much."""
    import h2.errors

    from harness.http2 import HTTP2Connection

    srv = https_server(make_server, tls)
    h2c = HTTP2Connection(srv.port, tls.ca_path)
    try:
        for _ in range(6):
            loc = start_upload(h2c, "h2/reset")
            put = h2c.request("PUT", f"{loc}{'&' if '?' in loc else '?'}digest=sha256:{'0' * 64}",
                              [("content-length", str(8 << 20))], end_stream=False)
            while not h2c.window_updates(put):
                h2c.receive()
            h2c.conn.reset_stream(put, h2.errors.ErrorCodes.CANCEL)
            h2c.flush()
        ping = h2c.request("GET", "/v2/")
        assert h2c.response(ping)[0] == 200
        assert h2c.conn.outbound_flow_control_window <= 16 << 20, h2c.conn.outbound_flow_control_window
        # The connection still carries a whole upload at full window.
        push_at_full_window(h2c, "h2/reset")
        assert h2c.conn.outbound_flow_control_window <= 16 << 20, h2c.conn.outbound_flow_control_window
    finally:
        h2c.close()


def test_an_http2_stream_whose_window_stays_shut_is_reset_at_the_write_timeout(make_server, tls):
    """A client that never opens a stream's window holds nothing for ever: five times
    `http.timeouts.write` on (a slow reader gets that long per 1 MiB), the stream is reset,
    giving back its file and read-ahead, and the connection serves on."""
    import time

    import h2.events
    import h2.settings

    from harness.http2 import HTTP2Connection

    srv = https_server(make_server, tls, config={"http": {"timeouts": {"write": "1s"}}})
    blob = images.Blob(images.random_bytes(4 << 20))
    assert Registry(srv.url, verify=tls.ca_path).push_blob("h2/shut", blob).status_code == 201
    h2c = HTTP2Connection(srv.port, tls.ca_path)
    try:
        h2c.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        h2c.flush()
        sid = h2c.request("GET", f"/v2/h2/shut/blobs/{blob.digest}")
        deadline = time.monotonic() + 30
        reset = False
        while not reset and time.monotonic() < deadline:
            reset = any(isinstance(e, h2.events.StreamReset) and e.stream_id == sid for e in h2c.receive())
        assert reset, "the stream stayed open with its window shut"
        h2c.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
        h2c.flush()
        status, _, _ = h2c.response(h2c.request("GET", "/v2/"))
        assert status == 200
    finally:
        h2c.close()


def test_http2_uploads_cut_by_a_lost_connection_leave_their_session_as_it_was_and_no_files(make_server, tls):
    """A connection lost mid-body ends an HTTP/2 stream as if the body were over: a chunk
    shorter than its Content-Length is refused (the session stays at what it had), and a
    whole-blob upload cut short leaves no session on disk."""
    import time

    from harness.http2 import HTTP2Connection

    srv = https_server(make_server, tls)
    reg = Registry(srv.url, verify=tls.ca_path)
    h2c = HTTP2Connection(srv.port, tls.ca_path)
    loc = start_upload(h2c, "h2/cut")
    patch = h2c.request("PATCH", loc, [("content-length", str(10 << 20)), ("content-type", "application/octet-stream")],
                        end_stream=False)
    h2c.send_body(patch, images.random_bytes(1 << 20), end_stream=False)
    h2c.close()
    h2c = HTTP2Connection(srv.port, tls.ca_path)
    post = h2c.request("POST", f"/v2/h2/cut/blobs/uploads/?digest=sha256:{'0' * 64}",
                       [("content-length", str(10 << 20)), ("content-type", "application/octet-stream")], end_stream=False)
    h2c.send_body(post, images.random_bytes(3 << 20), end_stream=False)
    h2c.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = reg.get(loc)
        leftovers = [p for p in srv.root.rglob("_uploads/*/data") if p.stat().st_size > 0]
        if status.headers.get("Range") == "0-0" and not leftovers:
            break
        time.sleep(0.2)
    assert status.status_code == 204 and status.headers["Range"] == "0-0", status.headers
    assert not leftovers, leftovers


def test_http2_disabled_falls_back_to_http1(make_server, tls):
    srv = https_server(make_server, tls, {"http": {"http2": {"disabled": True}}})
    r = curl("--http2", "--cacert", tls.ca_path, f"https://127.0.0.1:{srv.port}/v2/")
    assert r.returncode == 0 and r.status == 200 and r.http_version == "1.1", r


# ---- protocol versions and cipher suites --------------------------------------------------------------


def test_minimum_tls13_refuses_a_tls12_client(make_server, tls):
    srv = make_server("pier", config=tls_config(tls, minimumtls="tls1.3"), scheme="https")
    old = curl("--cacert", tls.ca_path, "--tls-max", "1.2", f"https://127.0.0.1:{srv.port}/v2/")
    assert old.returncode != 0 and old.status == 0, old
    new = curl("--cacert", tls.ca_path, "--tlsv1.3", f"https://127.0.0.1:{srv.port}/v2/")
    assert new.returncode == 0 and new.status == 200, new


def test_default_minimum_accepts_tls12_and_tls13(make_server, tls):
    srv = https_server(make_server, tls)
    for args in (["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3"]):
        r = curl("--cacert", tls.ca_path, *args, f"https://127.0.0.1:{srv.port}/v2/")
        assert r.returncode == 0 and r.status == 200, (args, r)


def test_ciphersuites_restrict_tls12_ciphers(make_server, tls):
    srv = make_server("pier", config=tls_config(tls, minimumtls="tls1.2",
                                                ciphersuites=["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]),
                      scheme="https")
    url = f"https://127.0.0.1:{srv.port}/v2/"
    ok = curl("--cacert", tls.ca_path, "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256", url)
    assert ok.returncode == 0 and ok.status == 200, ok
    other = curl("--cacert", tls.ca_path, "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384", url)
    assert other.returncode != 0 and other.status == 0, other


@pytest.mark.parametrize("key_kind", ["ec", "rsa"])
def test_without_a_list_tls12_offers_only_distributions_forward_secret_aead_suites(make_server, tmp_path, test_ca, key_kind):
    # swift-nio-ssl's own defaults add CBC suites and RSA key exchange, which TLS scanners
    # flag; distribution offers ECDHE with AES-GCM or ChaCha20 only.
    tls = TLSFiles(tmp_path / "tls", test_ca, key_kind)
    srv = https_server(make_server, tls)
    url = f"https://127.0.0.1:{srv.port}/v2/"
    sig = "ECDSA" if key_kind == "ec" else "RSA"
    for cipher in (f"ECDHE-{sig}-AES128-GCM-SHA256", f"ECDHE-{sig}-AES256-GCM-SHA384", f"ECDHE-{sig}-CHACHA20-POLY1305"):
        r = curl("--cacert", tls.ca_path, "--tls-max", "1.2", "--ciphers", cipher, url)
        assert r.returncode == 0 and r.status == 200, (cipher, r)
    weak = [f"ECDHE-{sig}-AES128-SHA", f"ECDHE-{sig}-AES256-SHA"] + (["AES128-GCM-SHA256", "AES128-SHA"] if key_kind == "rsa" else [])
    for cipher in weak:
        r = curl("--cacert", tls.ca_path, "--tls-max", "1.2", "--ciphers", cipher, url)
        assert r.returncode != 0 and r.status == 0, (cipher, r)


def test_a_cipher_list_of_only_tls13_suites_starts_and_keeps_tls12_defaults(make_server, tls):
    srv = make_server("pier", config=tls_config(tls, ciphersuites=["TLS_AES_128_GCM_SHA256"]), scheme="https")
    for args in (["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3"]):
        r = curl("--cacert", tls.ca_path, *args, f"https://127.0.0.1:{srv.port}/v2/")
        assert r.returncode == 0 and r.status == 200, (args, r)
    # TLS 1.2's defaults are distribution's, not swift-nio-ssl's wider ones.
    r = curl("--cacert", tls.ca_path, "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-SHA", f"https://127.0.0.1:{srv.port}/v2/")
    assert r.returncode != 0 and r.status == 0, r


# ---- mutual TLS ------------------------------------------------------------------------------------------


@pytest.fixture
def mtls(tmp_path, tls, make_server):
    client_ca = CA("Pier e2e client CA")
    client_ca_path = client_ca.write(tmp_path / "tls" / "client-ca.crt")
    client = client_ca.issue("e2e-client", client=True)
    client_paths = client.write(tmp_path / "tls", "client")
    srv = make_server("pier", config=tls_config(tls, clientcas=[client_ca_path]), scheme="https", cert=client_paths)
    return srv, client, client_paths


def test_mutual_tls_refuses_a_client_without_a_certificate(mtls, tls):
    srv, _, _ = mtls
    r = curl("--cacert", tls.ca_path, f"https://127.0.0.1:{srv.port}/v2/")
    assert r.returncode != 0 and r.status == 0, r
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(srv.url + "/v2/", verify=tls.ca_path, timeout=10)
    assert srv.alive()


def test_mutual_tls_accepts_a_client_certificate_from_the_client_ca(mtls, tls):
    srv, _, (crt, key) = mtls
    r = curl("--cacert", tls.ca_path, "--cert", crt, "--key", key, f"https://127.0.0.1:{srv.port}/v2/")
    assert r.returncode == 0 and r.status == 200, r
    reg = Registry(srv.url, verify=tls.ca_path, cert=(crt, key))
    img = images.image(1)
    reg.push("mtls/app", "v1", img)
    assert reg.get_manifest("mtls/app", "v1").content == img.data


def test_mutual_tls_refuses_a_certificate_from_another_ca(mtls, tls, tmp_path):
    srv, _, _ = mtls
    stranger = CA("someone else").issue("stranger", client=True)
    crt, key = stranger.write(tmp_path / "stranger", "client")
    r = curl("--cacert", tls.ca_path, "--cert", crt, "--key", key, f"https://127.0.0.1:{srv.port}/v2/")
    assert r.returncode != 0 and r.status == 0, r
    # the server certificate used as a client certificate: right CA for servers, wrong for clients
    r = curl("--cacert", tls.ca_path, "--cert", tls.cert, "--key", tls.key, f"https://127.0.0.1:{srv.port}/v2/")
    assert r.returncode != 0 and r.status == 0, r


@pytest.mark.clients
def test_mutual_tls_names_the_client_cas_it_accepts_in_the_handshake(mtls):
    """Go's clients (docker, containers/image, with every `*.cert` of a certs.d directory)
    pick the certificate an accepted CA issued from the names the server sends; told none,
    a Go client sends its first certificate and is refused, as distribution's users are not."""
    import subprocess

    srv, _, _ = mtls
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-tls1_2"],
                         input="", capture_output=True, text=True, timeout=30).stdout
    assert "Acceptable client certificate CA names" in out, out[-2000:]
    names = out.split("Acceptable client certificate CA names", 1)[1]
    assert "Pier e2e client CA" in names.split("Requested Signature Algorithms", 1)[0], out[-2000:]


def test_skopeo_with_a_client_certificate_in_its_cert_dir(mtls, tls, tmp_path):
    require_tool("skopeo")
    srv, client, _ = mtls
    img = images.image(1, layer_size=20_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    dest = f"docker://127.0.0.1:{srv.port}/mtls/skopeo:v1"
    without = attempt(["skopeo", "copy", "--dest-cert-dir", str(tls.cert_dir("ca-only")), f"oci:{tmp_path}/src:v1", dest])
    assert without.returncode != 0
    run(["skopeo", "copy", "--dest-cert-dir", str(tls.cert_dir("with-client", client)), f"oci:{tmp_path}/src:v1", dest])


# ---- the plain listener ------------------------------------------------------------------------------------


def test_plain_listener_serves_the_same_content_beside_tls(make_server, tls):
    plain = free_port()
    srv = https_server(make_server, tls, {"http": {"plain": {"addr": f"127.0.0.1:{plain}"}}})
    secure, clear = Registry(srv.url, verify=tls.ca_path), Registry(f"http://127.0.0.1:{plain}")
    a, b = images.image(1), images.image(1)
    secure.push("both/a", "v1", a)
    clear.push("both/b", "v1", b)
    for reg in (secure, clear):
        assert reg.get_manifest("both/a", "v1").content == a.data
        assert reg.get_manifest("both/b", "v1").content == b.data
        assert {"both/a", "both/b"} <= set(reg.catalog())
    loc = clear.start_upload("both/c").headers["Location"]
    assert loc.startswith(f"http://127.0.0.1:{plain}/"), loc


def test_plain_listener_redirects_to_https_with_308(make_server, tls):
    plain = free_port()
    srv = https_server(make_server, tls, {"http": {"plain": {"addr": f"127.0.0.1:{plain}", "redirect": True}}})
    img = images.image(1)
    Registry(srv.url, verify=tls.ca_path).push("redir/app", "v1", img)
    r = requests.get(f"http://127.0.0.1:{plain}/v2/redir/app/manifests/v1?x=1", allow_redirects=False, timeout=10)
    assert r.status_code == 308, r.status_code
    assert r.headers["Location"] == f"https://127.0.0.1:{srv.port}/v2/redir/app/manifests/v1?x=1", r.headers["Location"]
    followed = requests.get(f"http://127.0.0.1:{plain}/v2/redir/app/manifests/v1",
                            headers={"Accept": img.media_type}, verify=tls.ca_path, timeout=10)
    assert followed.status_code == 200 and followed.content == img.data
    assert followed.url.startswith("https://")
    # 308 keeps the method: a POST is redirected, not turned into a GET.
    r = requests.post(f"http://127.0.0.1:{plain}/v2/redir/app/blobs/uploads/", allow_redirects=False, timeout=10)
    assert r.status_code == 308 and r.headers["Location"].startswith("https://")


def test_the_redirect_listener_sends_clients_to_http_host_and_cuts_connections_that_send_nothing(make_server, tls):
    """Behind a port mapping (`-p 443:5000 -p 80:8080`) the redirect went to the TLS port as
    bound, which clients cannot reach; and connections held open on the redirect port were
    never closed, so enough of them used up the file descriptors the HTTPS port needs."""
    import socket
    import time

    plain = free_port()
    srv = https_server(make_server, tls, {"http": {
        "plain": {"addr": f"127.0.0.1:{plain}", "redirect": True},
        "host": "https://registry.example", "timeouts": {"header": "2s", "idle": "3s"},
    }})
    r = requests.get(f"http://127.0.0.1:{plain}/v2/app/manifests/v1?x=1", allow_redirects=False, timeout=10)
    assert r.status_code == 308 and r.headers["Location"] == "https://registry.example/v2/app/manifests/v1?x=1"
    silent = socket.create_connection(("127.0.0.1", plain))
    silent.settimeout(30)
    started = time.monotonic()
    assert silent.recv(1024) == b""  # closed by the server, not by this timeout
    assert time.monotonic() - started < 25
    silent.close()
    assert requests.get(srv.url + "/v2/", verify=tls.ca_path, timeout=10).status_code == 200


@pytest.mark.parametrize("http2_disabled", [True, False], ids=["http1", "http2"])
def test_a_large_pull_over_tls_to_a_slow_client_streams_in_bounded_memory(make_server, tls, http2_disabled):
    """Through TLS a blob is read from disk and written by the request's task, not sent by
    sendfile: the reads must wait for a slow client instead of queueing the blob in memory."""
    import hashlib
    import time

    srv = https_server(make_server, tls, {"http": {"http2": {"disabled": http2_disabled}}})
    reg = Registry(srv.url, verify=tls.ca_path)
    size = 192 * 1024 * 1024
    digest, pushed, final = reg.push_stream("tls/big", (images.random_bytes(1024 * 1024) for _ in range(size // (1024 * 1024))))
    assert final.status_code == 201 and pushed == size
    before = srv.peak_rss_mib()
    sha, got = hashlib.sha256(), 0
    with reg.get(f"/v2/tls/big/blobs/{digest}", stream=True, timeout=300) as r:
        assert r.status_code == 200
        for piece in r.iter_content(256 * 1024):
            sha.update(piece)
            got += len(piece)
            if got % (8 * 1024 * 1024) == 0:
                time.sleep(0.05)  # about 150 MB/s at most: slower than the disk
    assert got == size and "sha256:" + sha.hexdigest() == digest
    peak = srv.peak_rss_mib()
    print(f"peak RSS before the pull {before:.1f} MiB, after {peak:.1f} MiB")
    assert peak < 100, f"peak RSS {peak:.1f} MiB while streaming {size >> 20} MiB over TLS"


@pytest.mark.parametrize("http2_disabled", [True, False], ids=["http1", "http2"])
def test_a_tls_handshake_trickled_a_byte_at_a_time_is_cut_off_by_the_head_timeout(make_server, tls, http2_disabled):
    """The slowloris of the TLS layer: a ClientHello sent a byte every quarter second is
    never idle and never finished. The head timeout (2 s) must close it, not the idle
    timeout (30 s), while other clients are served."""
    import socket
    import time

    srv = https_server(make_server, tls, {"http": {"http2": {"disabled": http2_disabled},
                                                   "timeouts": {"header": "2s", "idle": "30s"}}})
    context = ssl.create_default_context(cafile=tls.ca_path)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    hello = outgoing.read()
    assert len(hello) > 100
    slow = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    started = time.monotonic()
    cut = False
    reg = Registry(srv.url, verify=tls.ca_path)
    for byte in hello[:40]:  # never the whole hello: 40 bytes take 10 s
        try:
            slow.sendall(bytes([byte]))
        except OSError:
            cut = True
            break
        if time.monotonic() - started > 1:
            assert reg.get("/v2/").status_code == 200
        time.sleep(0.25)
        slow.settimeout(0.01)
        try:
            if slow.recv(1) == b"":
                cut = True
                break
        except socket.timeout:
            pass
        except OSError:
            cut = True
            break
    assert cut, "the trickled handshake was never cut off"
    assert time.monotonic() - started < 12  # the head timeout (2 s), well before the idle one (30 s)
    slow.close()


def test_over_http1_tls_a_blob_comes_back_whole_and_by_range_cached_or_not(make_server, tls):
    """Over HTTP/1.1 and TLS a blob's file is read on the event loop while the page cache
    holds it and on a thread pool where it does not: both must give the same bytes, whole
    and by range (ranges that start and end inside the 128 KiB chunks)."""
    import os

    srv = https_server(make_server, tls)
    reg = Registry(srv.url, verify=tls.ca_path)
    data = images.random_bytes(5 * 1024 * 1024 + 12345)
    blob = images.Blob(data)
    assert reg.push_blob("tls/ranges", blob).status_code == 201
    path = srv.root / "docker/registry/v2/blobs/sha256" / blob.digest[7:9] / blob.digest[7:] / "data"
    ranges = [(0, len(data) - 1), (1, 131071), (131071, 131072), (200_000, 3_000_000), (len(data) - 10, len(data) - 1)]
    for cached in (True, False):
        if not cached:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # clean pages leave the cache
            finally:
                os.close(fd)
        r = reg.get(f"/v2/tls/ranges/blobs/{blob.digest}")
        assert r.status_code == 200 and r.content == data, f"whole blob, cached={cached}"
        for first, last in ranges:
            r = reg.get(f"/v2/tls/ranges/blobs/{blob.digest}", headers={"Range": f"bytes={first}-{last}"})
            assert r.status_code == 206 and r.content == data[first:last + 1], (first, last, cached)


def test_a_client_that_leaves_mid_blob_over_tls_leaves_the_server_serving(make_server, tls):
    """A pull cut short on an HTTP/1.1 TLS connection ends that transfer only: the next
    requests on new connections are served, and the blob comes back whole."""
    import socket

    srv = https_server(make_server, tls)
    reg = Registry(srv.url, verify=tls.ca_path)
    data = images.random_bytes(32 * 1024 * 1024)
    blob = images.Blob(data)
    assert reg.push_blob("tls/cut", blob).status_code == 201
    context = ssl.create_default_context(cafile=tls.ca_path)
    context.set_alpn_protocols(["http/1.1"])
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", srv.port)) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as conn:
                conn.sendall(f"GET /v2/tls/cut/blobs/{blob.digest} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                got = conn.recv(65536)
                assert got.startswith(b"HTTP/1.1 200"), got[:100]
        # closed after the first bytes, with most of the blob still to send
    r = reg.get(f"/v2/tls/cut/blobs/{blob.digest}")
    assert r.status_code == 200 and r.content == data
    assert srv.answers()


def served_serial(srv) -> int:
    """The serial number of the certificate a new handshake is given."""
    return served_certificate(srv.port).serial_number


def test_renewed_certificate_files_are_served_without_a_restart(make_server, tls, test_ca):
    """certbot and cert-manager renew in place: the files are read again when they change
    (looked at every 10 s) and at once on SIGHUP, and a certificate is never served with a
    key that is not its own, as between the two files of a renewal."""
    import os
    import signal
    from pathlib import Path

    srv = https_server(make_server, tls)
    first = tls.server.cert.serial_number
    assert served_serial(srv) == first
    renewed = test_ca.server_cert()
    Path(tls.cert).write_bytes(renewed.cert_pem)  # the certificate first, the key not yet
    os.kill(srv.pid, signal.SIGHUP)
    assert eventually(lambda: "cannot be used yet" in srv.log, 10), "the half-written renewal was not noticed"
    assert served_serial(srv) == first
    Path(tls.key).write_bytes(renewed.key_pem)
    assert eventually(lambda: served_serial(srv) == renewed.cert.serial_number, 25), "the renewal was not taken up"
    assert requests.get(srv.url + "/v2/", verify=tls.ca_path, timeout=10).status_code == 200
    third = test_ca.server_cert()
    third.write(tls.dir, "server")
    os.kill(srv.pid, signal.SIGHUP)
    assert eventually(lambda: served_serial(srv) == third.cert.serial_number, 15), "SIGHUP did not read the files again"
    # A key of another pair, in `openssl ecparam -genkey`'s two-document form, is refused too.
    run(["openssl", "ecparam", "-genkey", "-name", "prime256v1", "-out", tls.key])
    warnings = srv.log.count("cannot be used yet")
    os.kill(srv.pid, signal.SIGHUP)
    assert eventually(lambda: srv.log.count("cannot be used yet") > warnings, 10), "the foreign key was not refused"
    assert served_serial(srv) == third.cert.serial_number
    assert srv.alive()


def test_sighup_leaves_a_plain_server_serving(make_server):
    import os
    import signal

    srv = make_server("pier")
    os.kill(srv.pid, signal.SIGHUP)
    assert eventually(lambda: "SIGHUP" in srv.log, 10), "SIGHUP was not handled"
    assert srv.alive()
    assert requests.get(srv.url + "/v2/", timeout=10).status_code == 200
