"""A thin raw-HTTP client for the distribution API, built on `requests`, plus
`http.client` / raw-socket helpers for requests that `requests` would tidy up
(dot segments, Expect: 100-continue, truncated bodies)."""

from __future__ import annotations

import hashlib
import http.client
import re
import socket
from typing import Iterable, Iterator
from urllib.parse import urljoin

import requests

from . import images
from .images import Blob, Manifest

MANIFEST_ACCEPT = ", ".join(
    [images.OCI_MANIFEST, images.OCI_INDEX, images.DOCKER_MANIFEST, images.DOCKER_LIST]
)
MiB = 1024 * 1024


def error_codes(resp: requests.Response) -> list[str]:
    try:
        return [e.get("code") for e in resp.json().get("errors", [])]
    except ValueError:
        return []


def assert_error(resp: requests.Response, status: int, *codes: str) -> None:
    """Assert HTTP `status` and, when codes are given, that the JSON error body
    carries one of them."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: expected {status}, got "
        f"{resp.status_code}: {resp.text[:500]}"
    )
    if codes:
        got = error_codes(resp)
        assert set(got) & set(codes), f"expected error code in {codes}, got {got}: {resp.text[:500]}"


def next_link(resp: requests.Response) -> str | None:
    m = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', resp.headers.get("Link", ""))
    return m.group(1) if m else None


class HashingReader:
    """Wraps an iterable of byte chunks; hashes and counts while they are sent."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = chunks
        self.sha = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.sha.update(chunk)
            self.size += len(chunk)
            yield chunk

    @property
    def digest(self) -> str:
        return "sha256:" + self.sha.hexdigest()


class SizedStream:
    """A file-like body of known size fed from an iterable of chunks, so that
    `requests` sends it with Content-Length (not chunked) without holding it."""

    def __init__(self, chunks: Iterable[bytes], size: int):
        self._it = iter(chunks)
        self._size = size
        self._buf = b""
        self.sha = hashlib.sha256()

    def __len__(self) -> int:
        return self._size

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._buf) < n) and (piece := next(self._it, None)) is not None:
            self._buf += piece
        out, self._buf = (self._buf, b"") if n < 0 else (self._buf[:n], self._buf[n:])
        self.sha.update(out)
        return out

    @property
    def digest(self) -> str:
        return "sha256:" + self.sha.hexdigest()


class Registry:
    """`auth`: (user, password) for Basic, or a string sent as the whole `Authorization`
    header (e.g. "Bearer <token>"). `verify`: the CA file to trust for https (or False),
    `cert`: a client certificate (cert, key) for mutual TLS. They are passed with every
    request, because requests lets REQUESTS_CA_BUNDLE override a session's own `verify`."""

    def __init__(
        self,
        url: str,
        session: requests.Session | None = None,
        timeout: float = 60,
        auth: tuple[str, str] | str | None = None,
        verify: bool | str | None = None,
        cert: tuple[str, str] | None = None,
    ):
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        if isinstance(auth, str):
            self.session.headers["Authorization"] = auth
        elif auth is not None:
            self.session.auth = auth
        self.verify = verify
        self.cert = cert

    # ---- plumbing --------------------------------------------------------
    def abs(self, location: str) -> str:
        return urljoin(self.url + "/", location)

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", self.timeout)
        kw.setdefault("allow_redirects", False)
        if self.verify is not None:
            kw.setdefault("verify", self.verify)
        if self.cert is not None:
            kw.setdefault("cert", self.cert)
        return self.session.request(method, self.abs(path), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # ---- blobs -----------------------------------------------------------
    def start_upload(self, repo: str, **params) -> requests.Response:
        return self.post(f"/v2/{repo}/blobs/uploads/", params=params or None)

    def upload_url(self, repo: str) -> str:
        r = self.start_upload(repo)
        assert r.status_code == 202, f"POST upload: {r.status_code} {r.text}"
        return r.headers["Location"]

    def patch_chunk(self, location: str, data: bytes, start: int) -> requests.Response:
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{start}-{start + len(data) - 1}",
            "Content-Length": str(len(data)),
        }
        return self.patch(location, data=data, headers=headers)

    def finish_upload(self, location: str, digest: str, data: bytes = b"") -> requests.Response:
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
        return self.put(location, params={"digest": digest}, data=data, headers=headers)

    def push_blob(self, repo: str, data: bytes | Blob, mode: str = "monolithic", chunk: int = 64 * 1024) -> requests.Response:
        """Upload a blob and return the final response (201 on success).

        modes: `post` (single POST ?digest=), `monolithic` (POST, then PUT with
        the body), `chunked` (PATCHes with Content-Range, then PUT),
        `stream` (one PATCH with chunked transfer encoding, then PUT)."""
        if isinstance(data, Blob):
            data = data.data
        digest = images.sha256(data)
        if mode == "post":
            return self.post(
                f"/v2/{repo}/blobs/uploads/",
                params={"digest": digest},
                data=data,
                headers={"Content-Type": "application/octet-stream"},
            )
        loc = self.upload_url(repo)
        if mode == "monolithic":
            return self.finish_upload(loc, digest, data)
        if mode == "chunked":
            for start in range(0, len(data), chunk):
                r = self.patch_chunk(loc, data[start : start + chunk], start)
                assert r.status_code == 202, f"PATCH: {r.status_code} {r.text}"
                loc = r.headers["Location"]
            return self.finish_upload(loc, digest)
        if mode == "stream":
            pieces = (data[i : i + chunk] for i in range(0, len(data), chunk))
            r = self.patch(loc, data=pieces, headers={"Content-Type": "application/octet-stream"})
            assert r.status_code == 202, f"PATCH stream: {r.status_code} {r.text}"
            return self.finish_upload(r.headers["Location"], digest)
        raise ValueError(mode)

    def push_stream(self, repo: str, chunks: Iterable[bytes]) -> tuple[str, int, requests.Response]:
        """Stream an arbitrarily large blob (one chunked-encoding PATCH, then
        PUT), hashing while sending. Returns (digest, size, final response)."""
        loc = self.upload_url(repo)
        reader = HashingReader(chunks)
        r = self.patch(loc, data=iter(reader), headers={"Content-Type": "application/octet-stream"}, timeout=600)
        assert r.status_code == 202, f"PATCH stream: {r.status_code} {r.text}"
        final = self.finish_upload(r.headers["Location"], reader.digest)
        return reader.digest, reader.size, final

    def pull_stream_digest(self, repo: str, digest: str, chunk: int = MiB) -> tuple[str, int]:
        """GET a blob streaming, returning (digest of what arrived, size)."""
        sha = hashlib.sha256()
        size = 0
        with self.get(f"/v2/{repo}/blobs/{digest}", stream=True, allow_redirects=True, timeout=600) as r:
            assert r.status_code == 200, f"GET blob: {r.status_code}"
            for piece in r.iter_content(chunk):
                sha.update(piece)
                size += len(piece)
        return "sha256:" + sha.hexdigest(), size

    def get_blob(self, repo: str, digest: str, **kw) -> requests.Response:
        return self.get(f"/v2/{repo}/blobs/{digest}", allow_redirects=True, **kw)

    def head_blob(self, repo: str, digest: str) -> requests.Response:
        return self.head(f"/v2/{repo}/blobs/{digest}", allow_redirects=True)

    # ---- manifests -------------------------------------------------------
    def put_manifest(self, repo: str, ref: str, data: bytes | Manifest, media_type: str | None = None) -> requests.Response:
        if isinstance(data, Manifest):
            media_type = media_type or data.media_type
            data = data.data
        return self.put(f"/v2/{repo}/manifests/{ref}", data=data, headers={"Content-Type": media_type})

    def get_manifest(self, repo: str, ref: str, accept: str = MANIFEST_ACCEPT) -> requests.Response:
        return self.get(f"/v2/{repo}/manifests/{ref}", headers={"Accept": accept})

    def head_manifest(self, repo: str, ref: str, accept: str = MANIFEST_ACCEPT) -> requests.Response:
        return self.head(f"/v2/{repo}/manifests/{ref}", headers={"Accept": accept})

    def push(self, repo: str, ref: str | None, manifest: Manifest) -> requests.Response:
        """Push a manifest with everything it references (children first);
        `ref` is a tag, or None to push by digest. Asserts success."""
        for child in manifest.children:
            self.push(repo, None, child)
        for blob in manifest.blobs:
            if self.head_blob(repo, blob.digest).status_code != 200:
                r = self.push_blob(repo, blob)
                assert r.status_code == 201, f"blob push: {r.status_code} {r.text}"
        r = self.put_manifest(repo, ref or manifest.digest, manifest)
        assert r.status_code == 201, f"manifest push: {r.status_code} {r.text}"
        return r

    # ---- listings --------------------------------------------------------
    def paginate(self, path: str, key: str, n: int | None = None) -> tuple[list[str], list[list[str]]]:
        """Follow Link rel=next from `path`; return (union, pages)."""
        params = {"n": n} if n is not None else None
        r = self.get(path, params=params)
        pages = []
        for _ in range(10_000):
            assert r.status_code == 200, f"GET {r.url}: {r.status_code} {r.text}"
            pages.append(r.json()[key] or [])
            link = next_link(r)
            if not link:
                break
            r = self.get(link)
        return [x for page in pages for x in page], pages

    def tags(self, repo: str, n: int | None = None) -> list[str]:
        return self.paginate(f"/v2/{repo}/tags/list", "tags", n)[0]

    def catalog(self, n: int | None = None) -> list[str]:
        return self.paginate("/v2/_catalog", "repositories", n)[0]


# ---- below requests: http.client and raw sockets ----------------------------


def raw_request(host: str, method: str, path: str, headers: dict | None = None, body: bytes | None = None, timeout: float = 30):
    """Send the path exactly as given (no normalisation). Returns
    (status, headers dict with lower-case keys, body bytes)."""
    h, p = host.rsplit(":", 1)
    conn = http.client.HTTPConnection(h, int(p), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


class RawConnection:
    """A plain TCP connection speaking HTTP/1.1 by hand."""

    def __init__(self, host: str, timeout: float = 30):
        h, p = host.rsplit(":", 1)
        self.host = host
        self.sock = socket.create_connection((h, int(p)), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_head(self, method: str, path: str, headers: dict) -> None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def read_head(self) -> tuple[str, dict]:
        """Read one response head: (status line, headers with lower-case keys)."""
        while b"\r\n\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"connection closed; got {self.buf!r}")
            self.buf += data
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return lines[0], headers

    def read_body(self, headers: dict) -> bytes:
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                break
            self.buf += data
        body, self.buf = self.buf[:n], self.buf[n:]
        return body

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
