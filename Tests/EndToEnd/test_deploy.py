"""What ships beside the binary: the systemd unit and the compose files (pier-only)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from harness.server import pier_bin
from harness.tools import require_tool

pytestmark = pytest.mark.pier_only

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "pier.service"


def unit_for_this_build(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at the binary under test (verify checks it exists)."""
    unit = tmp_path / "pier.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/pier", pier_bin()))
    return unit


def test_the_systemd_unit_verifies_with_a_dedicated_user_a_state_directory_and_hardening(tmp_path, need_pier):
    require_tool("systemd-analyze")
    text = UNIT.read_text()
    assert "ExecStart=/usr/local/bin/pier serve /etc/pier/config.yml" in text
    for line in ("User=pier", "StateDirectory=pier", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "ReadWritePaths=/var/lib/pier", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE"):
        assert line in text, line
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit_for_this_build(tmp_path))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "pier.service" not in done.stderr, done.stderr


def test_the_systemd_unit_is_rated_well_hardened(tmp_path, need_pier):
    require_tool("systemd-analyze")
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(unit_for_this_build(tmp_path))],
                          capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for pier.service: ([0-9.]+)", done.stdout + done.stderr)
    assert found, done.stdout + done.stderr
    # systemd rates 0–10; below 2 is what it calls "OK" for a network service.
    assert float(found.group(1)) < 2.0, done.stdout[-2000:]


COMPOSE = Path(__file__).resolve().parents[2] / "deploy"


def compose_environment(name: str) -> dict:
    import yaml

    spec = yaml.safe_load((COMPOSE / name).read_text())
    pier = spec["services"]["pier"]
    assert pier["image"] == "pier:latest"
    assert "5000:5000" in pier["ports"]
    return {k: str(v) for k, v in pier["environment"].items()}


def run_with(environment: dict, tmp_path: Path, port: int):
    """The binary under test started as the compose file starts the image: `pier serve`
    and the service's environment, nothing else."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(environment)
    env["REGISTRY_HTTP_ADDR"] = f"127.0.0.1:{port}"
    log = open(tmp_path / "pier.log", "wb")
    return subprocess.Popen([pier_bin(), "serve"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for(url: str, proc, timeout: float = 30.0):
    import time

    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "pier exited"
        try:
            return requests.get(url, timeout=2)
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def push_and_pull(url: str) -> None:
    from harness import Registry
    from harness.images import image

    reg = Registry(url)
    img = image(layers=1)
    reg.push("compose/app", "v1", img)
    assert reg.get_manifest("compose/app", "v1").headers["Docker-Content-Digest"] == img.digest
    for blob in img.blobs:
        assert reg.get_blob("compose/app", blob.digest).content == blob.data


def test_the_compose_file_runs_pier_on_its_data_volume_by_registry_variables(tmp_path, need_pier):
    from harness.server import free_port

    environment = compose_environment("compose.yaml")
    assert environment["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] == "/data"
    environment["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = str(tmp_path / "data")  # the volume
    port = free_port()
    proc = run_with(environment, tmp_path, port)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/v2/", proc).status_code == 200
        push_and_pull(f"http://127.0.0.1:{port}")
        assert list((tmp_path / "data" / "docker" / "registry" / "v2" / "repositories" / "compose").iterdir())
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_s3_compose_file_runs_pier_on_a_bucket_by_registry_variables_alone(tmp_path, seaweedfs, need_pier):
    from harness.server import free_port

    environment = compose_environment("compose.s3.yaml")
    assert environment["REGISTRY_STORAGE"] == "s3"
    assert environment["REGISTRY_INDEX_DATABASE"] == "sqlite:///index/index.db"
    # The compose file's store is MinIO at http://minio:9000; here the session's SeaweedFS
    # stands in for it, with its endpoint, bucket and keys.
    s3 = seaweedfs.s3_config(seaweedfs.new_bucket())
    environment.update({
        "REGISTRY_STORAGE_S3_REGIONENDPOINT": s3["regionendpoint"],
        "REGISTRY_STORAGE_S3_BUCKET": s3["bucket"],
        "REGISTRY_STORAGE_S3_ACCESSKEY": s3["accesskey"],
        "REGISTRY_STORAGE_S3_SECRETKEY": s3["secretkey"],
        "REGISTRY_STORAGE_S3_REGION": s3.get("region", "us-east-1"),
        "REGISTRY_INDEX_DATABASE": "sqlite://" + str(tmp_path / "index" / "index.db"),
    })
    (tmp_path / "index").mkdir()
    port = free_port()
    proc = run_with(environment, tmp_path, port)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/v2/", proc).status_code == 200
        push_and_pull(f"http://127.0.0.1:{port}")
        assert not (tmp_path / "data").exists(), "content went to the filesystem, not the bucket"
    finally:
        proc.terminate()
        proc.wait(30)
