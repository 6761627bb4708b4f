"""Write repositories straight into distribution's on-disk layout (no HTTP).

Used for the catalog scenarios: N repositories `bench/catalog/r00001` ... each with
one tagged image (`latest`) whose config, layer and manifest blobs are shared by
all of them, exactly as distribution would have stored N pushes of one image:

    docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data                       (3 blobs)
    docker/registry/v2/repositories/<name>/_layers/sha256/<hex>/link         (config, layer)
    docker/registry/v2/repositories/<name>/_manifests/revisions/sha256/<m>/link
    docker/registry/v2/repositories/<name>/_manifests/tags/latest/current/link
    docker/registry/v2/repositories/<name>/_manifests/tags/latest/index/sha256/<m>/link

Link files hold `sha256:<hex>` with no newline.  Both servers list such a
repository (`_layers` for distribution 2.x, `_manifests` for 3.x and Pier) and
serve its manifest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

CATALOG_PREFIX = "bench/catalog"


def repo_name(i: int) -> str:
    return f"{CATALOG_PREFIX}/r{i:05d}"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def shared_image() -> dict[str, bytes]:
    """A small valid OCI image: deterministic layer, config and manifest bytes."""
    payload = b"pier bench catalog layer\n"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(payload)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(payload))
    tar_bytes = raw.getvalue()
    layer = gzip.compress(tar_bytes, mtime=0)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [_digest(tar_bytes)]},
            "config": {},
        },
        separators=(",", ":"),
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _digest(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": _digest(layer),
                    "size": len(layer),
                }
            ],
        },
        indent=3,
    ).encode()
    return {"layer": layer, "config": config, "manifest": manifest}


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _populated(count: int, start: int, manifest_digest: str, t0: float) -> dict:
    """What a populate call wrote, for the run's sanity checks."""
    return {
        "repos": count,
        "first": repo_name(start),
        "last": repo_name(start + count - 1),
        "manifest_digest": manifest_digest,
        "seconds": round(time.monotonic() - t0, 3),
    }


def populate_catalog(root: Path, count: int, start: int = 1, tags: int = 1) -> dict:
    """Create `count` repositories under `root` (a storage root directory), each with
    `tags` tags (`latest`, then `t1`, `t2`, …) on one manifest.

    Returns what was written (names, manifest digest) for sanity checks.
    """
    t0 = time.monotonic()
    v2 = Path(root) / "docker" / "registry" / "v2"
    image = shared_image()
    digests = {k: _digest(v) for k, v in image.items()}
    for kind, data in image.items():
        hexd = digests[kind].split(":", 1)[1]
        d = v2 / "blobs" / "sha256" / hexd[:2] / hexd
        d.mkdir(parents=True, exist_ok=True)
        _write(str(d / "data"), data)

    lhex = digests["layer"].split(":", 1)[1]
    chex = digests["config"].split(":", 1)[1]
    mhex = digests["manifest"].split(":", 1)[1]
    mlink = digests["manifest"].encode()
    repos = str(v2 / "repositories")
    makedirs = os.makedirs
    join = os.path.join
    for i in range(start, start + count):
        r = join(repos, repo_name(i))
        for hexd, link in ((lhex, digests["layer"].encode()), (chex, digests["config"].encode())):
            d = join(r, "_layers", "sha256", hexd)
            makedirs(d, exist_ok=True)
            _write(join(d, "link"), link)
        d = join(r, "_manifests", "revisions", "sha256", mhex)
        makedirs(d, exist_ok=True)
        _write(join(d, "link"), mlink)
        for tag in ["latest"] + [f"t{n}" for n in range(1, tags)]:
            d = join(r, "_manifests", "tags", tag, "current")
            makedirs(d, exist_ok=True)
            _write(join(d, "link"), mlink)
            d = join(r, "_manifests", "tags", tag, "index", "sha256", mhex)
            makedirs(d, exist_ok=True)
            _write(join(d, "link"), mlink)
    return _populated(count, start, digests["manifest"], t0)


def copy_root(src: Path, dst: Path) -> float:
    """Copy a storage root (cp -a: fast, keeps everything identical). Returns seconds."""
    t0 = time.monotonic()
    dst = Path(dst)
    if dst.exists():
        shutil.rmtree(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return time.monotonic() - t0


def populate_catalog_s3(client, bucket: str, count: int, start: int = 1, threads: int = 16) -> dict:
    """The same repositories as `populate_catalog`, written as objects into `bucket`
    (a boto3 S3 client), under distribution's S3 keys (no root directory)."""
    t0 = time.monotonic()
    image = shared_image()
    digests = {k: _digest(v) for k, v in image.items()}
    objects: list[tuple[str, bytes]] = []
    for kind, data in image.items():
        hexd = digests[kind].split(":", 1)[1]
        objects.append((f"docker/registry/v2/blobs/sha256/{hexd[:2]}/{hexd}/data", data))
    lhex, chex, mhex = (digests[k].split(":", 1)[1] for k in ("layer", "config", "manifest"))
    mlink = digests["manifest"].encode()
    for i in range(start, start + count):
        r = f"docker/registry/v2/repositories/{repo_name(i)}"
        objects += [
            (f"{r}/_layers/sha256/{lhex}/link", digests["layer"].encode()),
            (f"{r}/_layers/sha256/{chex}/link", digests["config"].encode()),
            (f"{r}/_manifests/revisions/sha256/{mhex}/link", mlink),
            (f"{r}/_manifests/tags/latest/current/link", mlink),
            (f"{r}/_manifests/tags/latest/index/sha256/{mhex}/link", mlink),
        ]
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda kv: client.put_object(Bucket=bucket, Key=kv[0], Body=kv[1]), objects))
    return _populated(count, start, digests["manifest"], t0)


GC_PREFIX = "bench/gc"


def gc_objects(repos: int, blobs_per_repo: int) -> tuple[list[tuple[str, bytes]], int]:
    """Keys and bytes (under distribution's layout) of `repos` repositories, each with its
    own image of `blobs_per_repo` blobs (config, layers, manifest). Odd repositories keep
    their image tagged; even ones had it deleted (no revision, no tag, the layer links
    left), as distribution leaves a deleted image: their blobs are what a collector frees.
    Returns the objects and how many blobs are unreferenced."""
    v2 = "docker/registry/v2"
    objects: list[tuple[str, bytes]] = []
    garbage = 0
    for i in range(1, repos + 1):
        name = f"{GC_PREFIX}/r{i:05d}"
        layers = [f"pier bench gc layer {i} {j}\n".encode() * 8 for j in range(blobs_per_repo - 2)]
        config = json.dumps({"architecture": "amd64", "os": "linux", "repository": i,
                             "rootfs": {"type": "layers", "diff_ids": [_digest(l) for l in layers]}}).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _digest(config), "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": _digest(l), "size": len(l)} for l in layers],
        }).encode()
        r = f"{v2}/repositories/{name}"
        for blob in [config, *layers, manifest]:
            hexd = _digest(blob).split(":", 1)[1]
            objects.append((f"{v2}/blobs/sha256/{hexd[:2]}/{hexd}/data", blob))
        for blob in [config, *layers]:
            objects.append((f"{r}/_layers/sha256/{_digest(blob).split(':', 1)[1]}/link", _digest(blob).encode()))
        mdigest = _digest(manifest)
        mhex = mdigest.split(":", 1)[1]
        if i % 2:
            objects.append((f"{r}/_manifests/revisions/sha256/{mhex}/link", mdigest.encode()))
            objects.append((f"{r}/_manifests/tags/latest/current/link", mdigest.encode()))
            objects.append((f"{r}/_manifests/tags/latest/index/sha256/{mhex}/link", mdigest.encode()))
        else:
            garbage += blobs_per_repo
    return objects, garbage


def populate_gc(root: Path, repos: int, blobs_per_repo: int) -> dict:
    """`gc_objects` written as files under a storage root."""
    t0 = time.monotonic()
    objects, garbage = gc_objects(repos, blobs_per_repo)
    for key, data in objects:
        path = os.path.join(str(root), key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _write(path, data)
    return {"repos": repos, "blobs": repos * blobs_per_repo, "garbage": garbage, "seconds": round(time.monotonic() - t0, 3)}


def populate_gc_s3(client, bucket: str, repos: int, blobs_per_repo: int, threads: int = 16) -> dict:
    """`gc_objects` written as objects into a bucket."""
    import concurrent.futures

    t0 = time.monotonic()
    objects, garbage = gc_objects(repos, blobs_per_repo)
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda kv: client.put_object(Bucket=bucket, Key=kv[0], Body=kv[1]), objects))
    return {"repos": repos, "blobs": repos * blobs_per_repo, "garbage": garbage, "seconds": round(time.monotonic() - t0, 3)}


class RandomBody:
    """`size` bytes no registry has seen (a fresh 32-byte prefix, then one random block
    over and over), iterated in blocks with a length, so an HTTP client streams them with
    a Content-Length."""

    def __init__(self, size: int, block: int = 16 << 20):
        self.size = size
        self.prefix = os.urandom(min(32, size))
        self.block = os.urandom(min(block, max(size - len(self.prefix), 0)))

    def __len__(self) -> int:
        return self.size

    def __iter__(self):
        if self.prefix:
            yield self.prefix
        left = self.size - len(self.prefix)
        while left > 0:
            piece = self.block[:left]
            left -= len(piece)
            yield piece

    def digest(self) -> str:
        h = hashlib.sha256()
        for piece in self:
            h.update(piece)
        return "sha256:" + h.hexdigest()


def push_random_blob(url: str, repo: str, size: int) -> str:
    """Uploads a blob of `size` bytes no registry has seen to `repo` in one monolithic
    PUT, streamed; answers its digest."""
    import requests

    body = RandomBody(size)
    digest = body.digest()
    start = requests.post(f"{url}/v2/{repo}/blobs/uploads/", timeout=60)
    assert start.status_code == 202, f"upload start: {start.status_code} {start.text[:200]}"
    location = requests.compat.urljoin(url + "/", start.headers["Location"])
    put = requests.put(location, params={"digest": digest}, data=body,
                       headers={"Content-Type": "application/octet-stream"}, timeout=600)
    assert put.status_code == 201, f"upload: {put.status_code} {put.text[:200]}"
    return digest


def warm_memory(size: int) -> None:
    """Touches and frees `size` bytes of anonymous memory, so the next writes into the
    page cache take resident pages (bench/Sources/pier-bench/MemoryWarmer.swift)."""
    import mmap

    if size <= 0:
        return
    block = b"\x01" * (1 << 20)
    with mmap.mmap(-1, size) as region:
        for offset in range(0, size - len(block) + 1, len(block)):
            region[offset:offset + len(block)] = block
