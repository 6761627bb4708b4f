"""What hurts registries in production, on purpose: a full disk, clients that hold
connections open or send hostile requests. Pier must answer with the spec's errors, lose
nothing it acknowledged, show nothing half-written and recover without a restart."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from harness.client import Registry, assert_error
from harness.images import image, random_layer

pytestmark = [pytest.mark.pier_only, pytest.mark.usefixtures("need_pier")]


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MiB filesystem of the test's own (tmpfs), unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        from harness.tools import in_ci
        if in_ci():
            pytest.fail(f"cannot mount a small filesystem under CI: {done.stderr}")
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(path: Path, leave: int) -> Path:
    """A file that takes all but `leave` bytes of the filesystem under `path`."""
    filler = path / "filler"
    free = shutil.disk_usage(path).free
    with open(filler, "wb") as f:
        f.truncate(0)
        block = b"\0" * (1 << 20)
        remaining = max(free - leave, 0)
        while remaining > 0:
            n = min(len(block), remaining)
            try:
                f.write(block[:n])
                f.flush()
            except OSError:
                break
            remaining -= n
    return filler


@pytest.mark.parametrize("index", ["index on the same disk", "index off"])
def test_a_full_disk_fails_pushes_cleanly_keeps_pulls_and_recovers_without_a_restart(make_server, small_disk, index):
    config = {"index": {"disabled": True}} if index == "index off" else {"index": {"database": f"sqlite://{small_disk}/index.db"}}
    pier = make_server("pier", root=small_disk / "data", config=config)
    reg = Registry(pier.url)
    first = image(layers=1, layer_size=64 * 1024)
    reg.push("team/app", "v1", first)
    filler = fill(small_disk, leave=512 * 1024)

    big = random_layer(4 * 1024 * 1024)
    for mode in ("monolithic", "chunked", "stream"):
        if mode == "stream":
            location = reg.upload_url("team/app")
            r = reg.patch(location, data=iter([big.data[i:i + 65536] for i in range(0, big.size, 65536)]),
                          headers={"Content-Type": "application/octet-stream"}, timeout=120)
        elif mode == "chunked":
            location = reg.start_upload("team/app").headers["Location"]
            for start in range(0, big.size, 1024 * 1024):
                r = reg.patch_chunk(location, big.data[start:start + 1024 * 1024], start)
                if r.status_code != 202:
                    break
                location = r.headers["Location"]
        else:
            r = reg.push_blob("team/app", big, mode=mode)
        # 507 Insufficient Storage, in the spec's error shape.
        assert r.status_code == 507, (mode, r.status_code, r.text[:300])
        assert r.headers.get("Content-Type", "").startswith("application/json"), (mode, r.headers)
        assert r.json()["errors"][0]["code"], r.text
        # Nothing half-written is visible.
        assert reg.head_blob("team/app", big.digest).status_code == 404, mode
    # A manifest push fails as cleanly and leaves the tag where it was.
    second = image(layers=[big])
    r = reg.put_manifest("team/app", "v1", second)
    assert r.status_code in (400, 404) or 500 <= r.status_code < 600, r.text
    assert reg.get_manifest("team/app", "v1").headers["Docker-Content-Digest"] == first.digest
    # Pulls keep working.
    for blob in first.blobs:
        assert reg.get_blob("team/app", blob.digest).content == blob.data
    assert pier.alive()

    filler.unlink()
    reg.push("team/app", "v2", second)
    assert reg.get_manifest("team/app", "v2").headers["Docker-Content-Digest"] == second.digest
    assert reg.get_blob("team/app", big.digest).content == big.data
    # The failed sessions' bytes are not left to fill the disk again.
    leftovers = [p for p in (small_disk / "data").rglob("_uploads/*/data") if p.stat().st_size > 0]
    assert not leftovers, leftovers
