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
    assert pier["healthcheck"]["test"] == ["CMD", "/pier", "healthcheck", "/etc/docker/registry/config.yml"]
    return {k: str(v) for k, v in pier["environment"].items()}


def healthcheck(environment: dict, port: int) -> subprocess.CompletedProcess:
    """The compose files' healthcheck as the container runs it: its environment, the image's config."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(environment)
    env["REGISTRY_HTTP_ADDR"] = f"127.0.0.1:{port}"
    return subprocess.run([pier_bin(), "healthcheck", str(IMAGE_CONFIG)], env=env, capture_output=True, text=True, timeout=30)


IMAGE_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "image" / "config.yml"


def run_with(environment: dict, tmp_path: Path, port: int):
    """The binary under test started as the compose file starts the image: `pier
    /etc/docker/registry/config.yml` (the image's command, its config.yml) and the service's
    environment, nothing else."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(environment)
    env["REGISTRY_HTTP_ADDR"] = f"127.0.0.1:{port}"
    with open(tmp_path / "pier.log", "wb") as log:
        return subprocess.Popen([pier_bin(), str(IMAGE_CONFIG)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)


def end(proc) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


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
    assert "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY" not in environment  # the image's config.yml says /var/lib/registry
    environment["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = str(tmp_path / "data")  # the volume
    port = free_port()
    proc = run_with(environment, tmp_path, port)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/v2/", proc).status_code == 200
        push_and_pull(f"http://127.0.0.1:{port}")
        assert list((tmp_path / "data" / "docker" / "registry" / "v2" / "repositories" / "compose").iterdir())
        assert healthcheck(environment, port).returncode == 0
    finally:
        end(proc)


def test_the_s3_compose_file_runs_pier_on_a_bucket_by_registry_variables_alone(tmp_path, seaweedfs, need_pier):
    from harness.server import free_port

    environment = compose_environment("compose.s3.yaml")
    assert environment["REGISTRY_STORAGE"] == "s3"
    assert environment["REGISTRY_INDEX_DATABASE"] == "sqlite:///data/index.db"  # the service's volume
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
        assert healthcheck(environment, port).returncode == 0
    finally:
        end(proc)


IMAGE_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "image" / "build.sh"


def test_pier_ships_as_an_oci_image_that_replaces_registry_2_over_its_volume(tmp_path, make_server, podman_factory, need_pier):
    """deploy/image/build.sh makes the image from the binary under test (CI's is the debug
    build; releases use the stripped release binary), skopeo pushes it into a running Pier,
    podman pulls it back and runs it as a registry:2 deployment runs that image: its
    command, its config.yml, its volume. What distribution wrote there is served, pushes
    land beside it, deletes are off as registry:2's config has them, and `garbage-collect`
    runs as `registry garbage-collect` does."""
    import json
    import os
    import time

    import requests

    from harness import Registry
    from harness.images import image
    from harness.server import free_port
    from harness.tools import attempt, run

    for tool in ("umoci", "strip", "skopeo", "podman"):
        require_tool(tool)
    layout = tmp_path / "layout"
    # Compressed at gzip's fastest level: the same steps as a release image, a debug binary's
    # layer in a few seconds instead of half a minute.
    run(["bash", str(IMAGE_SCRIPT), str(layout), "test"],
        env={"PIER_BINARY": pier_bin(), "PIER_IMAGE_GZIP_LEVEL": "1"}, timeout=600)
    config_digest = json.loads((layout / "blobs" / "sha256" / json.loads((layout / "index.json").read_text())
                                ["manifests"][0]["digest"].split(":")[1]).read_text())["config"]["digest"]
    config = json.loads((layout / "blobs" / "sha256" / config_digest.split(":")[1]).read_text())["config"]
    assert config["User"] == "0:0" and config["WorkingDir"] == "/"
    assert "/var/lib/registry" in config["Volumes"] and "5000/tcp" in config["ExposedPorts"]
    assert config["Entrypoint"] == ["/pier"] and config["Cmd"] == ["/etc/docker/registry/config.yml"]
    labels = config["Labels"]
    assert {"org.opencontainers.image.version", "org.opencontainers.image.revision",
            "org.opencontainers.image.source"} <= set(labels)

    # A registry:2 deployment's volume: distribution wrote an image into it.
    volume = tmp_path / "volume"
    old = image(layers=1)
    distribution = make_server("distribution", root=volume)
    Registry(distribution.url).push("old/app", "v1", old)
    distribution.stop()

    registry = make_server("pier")
    run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:test", f"docker://{registry.host}/pier/pier:test"])
    podman = podman_factory()
    # podman run here needs runc and no default rlimits (the sandbox refuses setrlimit; see CLIENTS.md).
    conf = tmp_path / "containers.conf"
    conf.write_text("[containers]\ndefault_ulimits = []\n")
    env = {"REGISTRY_AUTH_FILE": podman.authfile, "CONTAINERS_CONF": str(conf)}
    ref = f"{registry.host}/pier/pier:test"
    run(podman.cmd("pull", "--tls-verify=false", ref), env=env)
    port = free_port()
    name = f"pier-image-{os.getpid()}-{port}"
    mount = f"{volume}:/var/lib/registry"
    try:
        # As `docker run -v …:/var/lib/registry registry:2`: no command, the image's own.
        run(podman.cmd("--runtime", "/usr/sbin/runc", "run", "-d", "--name", name, "--network", "host",
                       "-v", mount, "-e", f"REGISTRY_HTTP_ADDR=127.0.0.1:{port}", ref), env=env)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/v2/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, run(podman.cmd("logs", name), env=env)
            time.sleep(0.3)
        reg = Registry(url)
        assert reg.get_manifest("old/app", "v1").headers["Docker-Content-Digest"] == old.digest
        for blob in old.blobs:
            assert reg.get_blob("old/app", blob.digest).content == blob.data
        assert reg.get("/v2/", timeout=5).headers.get("X-Content-Type-Options") == "nosniff"
        # The compose files' healthcheck, inside the container, with its environment.
        assert "healthy" in run(podman.cmd("exec", name, "/pier", "healthcheck", "/etc/docker/registry/config.yml"), env=env)
        img = image(layers=1)
        reg.push("inside/app", "v1", img)
        assert reg.get_manifest("inside/app", "v1").headers["Docker-Content-Digest"] == img.digest
        assert (volume / "docker" / "registry" / "v2" / "repositories" / "inside" / "app").is_dir()
        assert reg.delete(f"/v2/inside/app/manifests/{img.digest}").status_code == 405
        # As registry:2's users collect: `docker exec … bin/registry garbage-collect` with Go's flag forms.
        out = run(podman.cmd("exec", name, "bin/registry", "garbage-collect", "--delete-untagged=false", "-dry-run=true",
                             "/etc/docker/registry/config.yml"), env=env)
        assert "2 repositories" in out and "would remove 0 tags, 0 manifests and 0 blobs" in out, out
        # registry:3's users mount their config at /etc/distribution/config.yml; `pier config
        # check` without a path reads REGISTRY_CONFIGURATION_PATH, the image's config, which it is.
        mine = tmp_path / "registry3-config.yml"
        mine.write_text("version: 0.1\nlog:\n  fields:\n    service: mounted-the-registry-3-way\n"
                        "storage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n")
        out = run(podman.cmd("--runtime", "/usr/sbin/runc", "run", "--rm", "--network", "host",
                             "-v", f"{mine}:/etc/distribution/config.yml:ro", ref, "config", "check"), env=env)
        assert "mounted-the-registry-3-way" in out, out
        # The guides' password file: `docker run --entrypoint htpasswd registry:2.3.0 -Bbn …`.
        line = run(podman.cmd("--runtime", "/usr/sbin/runc", "run", "--rm", "--entrypoint", "htpasswd", ref,
                              "-Bbn", "testuser", "testpassword"), env=env)
        assert line.startswith("testuser:$2y$"), line
        passwords = tmp_path / "htpasswd"
        passwords.write_text(line)
        # The file bind-mounted alone, as `-v ./auth/htpasswd:/auth/htpasswd`: it cannot be
        # renamed over, so it is rewritten in place.
        run(podman.cmd("--runtime", "/usr/sbin/runc", "run", "--rm", "-v", f"{passwords}:/auth/htpasswd",
                       "--entrypoint", "htpasswd", ref, "-bB", "/auth/htpasswd", "bob", "bob-pw"), env=env)
        for user, password in (("testuser", "testpassword"), ("bob", "bob-pw")):
            out = subprocess.run([pier_bin(), "htpasswd", "-vb", str(passwords), user, password],
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, (user, out.stderr)
    finally:
        attempt(podman.cmd("rm", "-f", name), env=env)
