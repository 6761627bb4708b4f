"""Invalid names and malformed input: clean 4xx answers, nothing written
outside the storage root, and the server keeps answering."""

import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from harness import RawConnection, Registry, images, raw_request
from harness.tools import tree

BAD_NAMES = {
    "upper": "UPPER",
    "double-slash": "a//b",
    "dot-dot": "a/../b",
    "encoded-dot-dot": "%2e%2e/x",
    "encoded-slash-escape": "..%2fetc",
    "encoded-nul": "a%00b",
    "300-chars": "a" * 300,
    "leading-dash": "-a",
    "trailing-slash-dot": "a/.",
    "dot-dot-etc": "../../etc",
}

MANIFEST = images.image(1)


def requests_for(name: str):
    """(method, path, headers, body) requests that would create or read `name`."""
    digest = MANIFEST.blobs[1].digest
    return [
        ("GET", f"/v2/{name}/tags/list", {}, None),
        ("POST", f"/v2/{name}/blobs/uploads/", {}, None),
        ("POST", f"/v2/{name}/blobs/uploads/?digest={images.sha256(b'x')}", {"Content-Type": "application/octet-stream"}, b"x"),
        ("HEAD", f"/v2/{name}/blobs/{digest}", {}, None),
        ("PUT", f"/v2/{name}/manifests/latest", {"Content-Type": MANIFEST.media_type}, MANIFEST.data),
        ("GET", f"/v2/{name}/manifests/latest", {}, None),
    ]


@pytest.fixture
def isolated(make_server, server_kind, tmp_path):
    """A private server whose storage root has a sentinel directory next to it."""
    sentinel = tmp_path / "sentinel"
    (sentinel / "etc").mkdir(parents=True)
    (sentinel / "etc" / "passwd").write_text("untouched\n")
    srv = make_server(server_kind, root=tmp_path / "root" / "data")
    Registry(srv.url).push("a/b", "latest", MANIFEST)  # so that a valid blob/manifest exist
    return srv, sentinel


def outside_root(tmp_path):
    snap = tree(tmp_path)
    # The index database is the server's own state (beside the data on S3 runs), written
    # as the index catches up: its size may change, nothing else may.
    return {p: s for p, s in snap.items()
            if not p.startswith("root/data") and not p.endswith(".log") and "/pier/index.db" not in p}


def test_invalid_names_never_write_outside_the_root_or_crash_the_server(isolated, tmp_path):
    srv, sentinel = isolated
    before = outside_root(tmp_path)
    for name in BAD_NAMES.values():
        for method, path, headers, body in requests_for(name):
            status, _, _ = raw_request(srv.host, method, path, headers, body)
            assert not 200 <= status < 300, (method, path, status)
            assert srv.answers(), f"server stopped answering after {method} {path}"
    assert outside_root(tmp_path) == before
    assert (sentinel / "etc" / "passwd").read_text() == "untouched\n"
    assert not (tmp_path / "root" / "etc").exists() and not (tmp_path / "etc").exists()


@pytest.mark.pier_only
@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_invalid_name_is_400_name_invalid(isolated, name):
    # distribution 2.8.2: 404 "page not found", 301 redirects for dot segments, 500 for long names.
    srv, _ = isolated
    for method, path, headers, body in requests_for(name):
        status, _, data = raw_request(srv.host, method, path, headers, body)
        assert status == 400, (method, path, status, data[:200])
        if method != "HEAD":
            assert "NAME_INVALID" in [e["code"] for e in json.loads(data)["errors"]], data


# ---- malformed input against the module's shared server ----------------------


def upload_path(registry, repo) -> str:
    loc = urlsplit(registry.abs(registry.upload_url(repo)))
    return loc.path + (f"?{loc.query}" if loc.query else "")


def with_digest(path: str, digest: str) -> str:
    return path + ("&" if "?" in path else "?") + f"digest={digest}"


def send_truncated(host: str, method: str, path: str, headers: dict, declared: int, sent: bytes) -> None:
    with RawConnection(host, timeout=5) as conn:
        conn.send_head(method, path, {**headers, "Content-Length": str(declared)})
        conn.send(sent)
        time.sleep(0.2)
        conn.sock.shutdown(socket.SHUT_WR)
        try:
            conn.sock.recv(4096)
        except OSError:
            pass


def test_truncated_blob_upload_body_leaves_no_blob_and_server_alive(server, registry, repo):
    data = images.random_bytes(100_000)
    path = with_digest(upload_path(registry, repo), images.sha256(data))
    send_truncated(server.host, "PUT", path, {"Content-Type": "application/octet-stream"}, len(data), data[:1000])
    assert server.answers()
    assert registry.head_blob(repo, images.sha256(data)).status_code == 404


def test_truncated_patch_body_keeps_server_alive(server, registry, repo):
    path = upload_path(registry, repo)
    send_truncated(server.host, "PATCH", path, {"Content-Type": "application/octet-stream"}, 50_000, b"x" * 100)
    assert server.answers()


def test_truncated_manifest_body_is_not_stored_and_server_alive(server, registry, repo):
    m = images.image(1)
    for b in m.blobs:
        registry.push_blob(repo, b)
    send_truncated(server.host, "PUT", f"/v2/{repo}/manifests/cut", {"Content-Type": m.media_type}, m.size, m.data[: m.size // 2])
    assert server.answers()
    assert registry.head_manifest(repo, "cut").status_code == 404
    assert registry.head_manifest(repo, m.digest).status_code == 404


@pytest.mark.parametrize("content_range", ["abc", "5-2", "-1-5", "0-99999999999999999999", "0-", "bytes=0-4"])
def test_bad_content_range_is_answered_without_crashing(server, registry, repo, content_range):
    loc = registry.upload_url(repo)
    r = registry.patch(loc, data=b"hello", headers={"Content-Range": content_range, "Content-Type": "application/octet-stream"})
    assert r.status_code < 500, r.text
    assert server.answers()


@pytest.mark.parametrize("path", [
    "/v2/_catalog?n=99999999999999999999",
    "/v2/e2e/absurd/tags/list?n=99999999999999999999",
    "/v2/_catalog?n=-99999999999999999999",
    "/v2/_catalog?last=%ff%fe&n=1",
])
def test_absurd_pagination_is_answered_without_crashing(server, registry, path):
    registry.push("e2e/absurd", "t", images.image(1))
    r = registry.get(path)
    assert r.status_code in (200, 400), r.text
    assert server.answers()


@pytest.mark.parametrize("digest", ["sha256:zz", "md5:abc", "sha256:" + "a" * 63, "sha256:" + "A" * 64, "", "sha256:../../etc"])
def test_bad_digest_parameter_is_4xx_without_crashing(server, registry, repo, digest):
    r = registry.put(registry.upload_url(repo), params={"digest": digest}, data=b"data")
    assert 400 <= r.status_code < 500, r.text
    r = registry.get(f"/v2/{repo}/blobs/{digest}")
    assert 400 <= r.status_code < 500
    assert server.answers()


def test_deeply_nested_manifest_json_is_rejected_without_crashing(server, registry, repo):
    deep = b"[" * 100_000 + b"]" * 100_000
    r = registry.put_manifest(repo, "deep", deep, images.OCI_MANIFEST)
    assert r.status_code == 400
    body = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","annotations":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001
    r = registry.put_manifest(repo, "deep", body, images.OCI_MANIFEST)
    assert r.status_code == 400
    assert server.answers()


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET /v2/ HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /v2/\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"PUT /v2/e2e/x/manifests/t HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"PATCH /v2/e2e/x/blobs/uploads/nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
    b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
], ids=["garbage", "bad-version", "nul-in-path", "bad-content-length", "bad-chunk-size", "huge-header"])
def test_malformed_http_is_answered_or_closed_without_crashing(server, raw):
    with RawConnection(server.host, timeout=5) as conn:
        try:
            conn.send(raw)
            conn.sock.recv(4096)
        except OSError:
            pass
    assert server.answers()


@pytest.mark.pier_only
@pytest.mark.parametrize("kind", ["patch", "manifest"])
def test_a_body_with_a_broken_chunked_encoding_is_the_clients_error(server, registry, repo, kind):
    """A body that cannot be read is answered 400 with the JSON error, not 500 `UNKNOWN`
    counted as a storage failure; an upload session keeps what it had acknowledged."""
    if kind == "patch":
        path = upload_path(registry, repo)
        head = {"Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked"}
        code = "BLOB_UPLOAD_INVALID"
    else:
        path = f"/v2/{repo}/manifests/broken"
        head = {"Content-Type": MANIFEST.media_type, "Transfer-Encoding": "chunked"}
        code = "MANIFEST_INVALID"
    with RawConnection(server.host, timeout=10) as conn:
        conn.send_head("PATCH" if kind == "patch" else "PUT", path, head)
        conn.send(b"5\r\nhello\r\nZZ\r\n")
        status, headers = conn.read_head()
        body = conn.read_body(headers)
    assert status.split()[1] == "400", (status, body)
    assert json.loads(body)["errors"][0]["code"] == code
    if kind == "patch":
        r = registry.get(path)
        assert r.status_code == 204 and r.headers["Range"] == "0-0", r.headers
    assert server.answers()


def test_content_range_at_the_integer_limit_is_refused_without_crashing(registry, repo):
    # end - start + 1 would overflow a 64-bit integer: the server must answer, not trap.
    location = registry.upload_url(repo)
    r = requests.patch(
        location,
        data=b"",
        headers={"Content-Range": "0-9223372036854775807", "Content-Type": "application/octet-stream"},
    )
    assert 400 <= r.status_code < 500
    assert requests.get(registry.url + "/v2/").status_code == 200


@pytest.mark.pier_only
def test_pipelined_expect_continue_never_lands_inside_an_earlier_response(server, repo):
    body = b"pipelined blob"
    digest = images.sha256(body)
    host = server.host
    first = f"GET /v2/ HTTP/1.1\r\nHost: {host}\r\n\r\n"
    second = (
        f"POST /v2/{repo}/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall((first + second).encode())
    received = b""
    deadline = time.time() + 10
    while b"100 Continue" not in received and time.time() < deadline:
        received += sock.recv(65536)
    # The first response comes whole, then the interim response for the second request.
    head, _, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert rest.startswith(b"{}")
    assert rest[2:].startswith(b"HTTP/1.1 100 Continue")
    sock.sendall(body)
    while b"201 Created" not in received and time.time() < deadline:
        received += sock.recv(65536)
    assert b"HTTP/1.1 201 Created" in received
    sock.close()


@pytest.mark.parametrize("coding", ["gzip, chunked", "deflate, chunked", "x-foo, chunked"])
def test_a_transfer_coding_the_server_does_not_implement_is_501_and_nothing_is_stored(server, registry, repo, coding):
    # RFC 9112 §6.1. The parser frames the body by its final `chunked` but leaves the other
    # coding on it: taken as they came, the bytes would be stored in a coding nobody meant.
    data = b"hello"
    digest = images.sha256(data)
    chunked = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
    loc = upload_path(registry, repo)
    with RawConnection(server.host, timeout=10) as conn:
        conn.send_head("PATCH", loc, {"Transfer-Encoding": coding, "Content-Type": "application/octet-stream"})
        conn.send(chunked)
        status, headers = conn.read_head()
        body = conn.read_body(headers)
    assert status.split()[1] == "501", (status, body)
    assert json.loads(body)["errors"][0]["code"] == "UNSUPPORTED", body
    st = registry.get(loc)
    assert st.status_code == 204 and st.headers["Range"] == "0-0", st.headers
    with RawConnection(server.host, timeout=10) as conn:
        conn.send_head("POST", with_digest(upload_path(registry, repo), digest),
                       {"Transfer-Encoding": coding, "Content-Type": "application/octet-stream"})
        conn.send(chunked)
        status, headers = conn.read_head()
        conn.read_body(headers)
    assert status.split()[1] == "501", status
    assert registry.head_blob(repo, digest).status_code == 404
    assert server.answers()
