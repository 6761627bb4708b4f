"""A 1 GiB blob streams through the server in bounded memory."""

import hashlib
import random
import shutil

import pytest

from harness import MiB, Registry, SizedStream, images

GiB = 1024 * MiB
MEMORY_LIMIT_MIB = 100


def random_chunks(total: int, chunk: int = MiB, seed: int | None = None):
    rng = random.Random(seed) if seed is not None else None
    for start in range(0, total, chunk):
        n = min(chunk, total - start)
        yield rng.randbytes(n) if rng else images.random_bytes(n)


@pytest.mark.big
@pytest.mark.pier_only
@pytest.mark.timeout(1800)
def test_one_gib_blob_round_trips_with_server_peak_memory_under_100_mib(make_server, server_kind, tmp_path):
    srv = make_server(server_kind)
    reg = Registry(srv.url, timeout=900)
    repo = "e2e/big"
    try:
        # 1 GiB through one streamed (chunked transfer-encoding) PATCH, hashed while sending.
        digest, size, final = reg.push_stream(repo, random_chunks(GiB))
        assert size == GiB
        assert final.status_code == 201, final.text
        assert final.headers["Docker-Content-Digest"] == digest
        head = reg.head_blob(repo, digest)
        assert head.status_code == 200 and int(head.headers["Content-Length"]) == GiB
        assert reg.pull_stream_digest(repo, digest) == (digest, GiB)
        ranged = reg.get_blob(repo, digest, headers={"Range": f"bytes={GiB - 10}-{GiB - 1}"})
        assert ranged.status_code == 206 and len(ranged.content) == 10

        # 256 MiB monolithic PUT with Content-Length: the digest is known up front
        # (a seeded generator, hashed once beforehand and again while sending).
        mono_size = 256 * MiB
        h = hashlib.sha256()
        for piece in random_chunks(mono_size, seed=42):
            h.update(piece)
        expected = "sha256:" + h.hexdigest()
        body = SizedStream(random_chunks(mono_size, seed=42), mono_size)
        loc = reg.upload_url(repo)
        r = reg.put(loc, params={"digest": expected}, data=body, headers={"Content-Type": "application/octet-stream"})
        assert body.digest == expected
        assert r.status_code == 201, r.text
        assert reg.pull_stream_digest(repo, expected) == (expected, mono_size)

        peak = srv.peak_rss_mib()
        print(f"{srv.kind} peak RSS (VmHWM) after 1.25 GiB of uploads and downloads: {peak:.1f} MiB")
        assert peak < MEMORY_LIMIT_MIB, f"{srv.kind} peak RSS (VmHWM) {peak:.1f} MiB >= {MEMORY_LIMIT_MIB} MiB"
    finally:
        srv.kill()
        shutil.rmtree(srv.root, ignore_errors=True)
