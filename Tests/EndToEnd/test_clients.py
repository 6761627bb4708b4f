"""Real clients against the registry: skopeo, buildah, podman, oras-py.
Every test builds its own images offline."""

import json
import os
import shutil
import tempfile

import pytest

from harness import images
from harness.tools import require_tool, run

pytestmark = pytest.mark.clients


# ---- skopeo -------------------------------------------------------------------


def skopeo(*args, timeout=300):
    require_tool("skopeo")
    return run(["skopeo", *args], timeout=timeout)


def test_skopeo_copies_an_oci_layout_in_and_back_out_with_identical_digests(registry, server, repo, tmp_path):
    img = images.image(3, layer_size=50_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    skopeo("copy", "--dest-tls-verify=false", f"oci:{tmp_path}/src:v1", f"docker://{server.host}/{repo}:v1")
    served = registry.get_manifest(repo, "v1")
    assert served.content == img.data
    skopeo("copy", "--src-tls-verify=false", f"docker://{server.host}/{repo}:v1", f"oci:{tmp_path}/out:v1")
    out = images.oci_layout_descriptor(tmp_path / "out", "v1")
    assert out["digest"] == img.digest
    for b in img.blobs:
        assert images.oci_layout_blob(tmp_path / "out", b.digest) == b.data


def test_skopeo_copy_all_round_trips_a_multi_arch_index_with_the_same_digest(registry, server, repo, tmp_path):
    idx = images.index([images.image(1, arch=a) for a in ("amd64", "arm64", "s390x")])
    images.write_oci_layout(tmp_path / "src", idx, "multi")
    skopeo("copy", "--all", "--dest-tls-verify=false", f"oci:{tmp_path}/src:multi", f"docker://{server.host}/{repo}:multi")
    r = registry.get_manifest(repo, "multi")
    assert r.headers["Docker-Content-Digest"] == idx.digest
    assert r.content == idx.data
    for child in idx.children:
        assert registry.get_manifest(repo, child.digest).content == child.data
    skopeo("copy", "--all", "--src-tls-verify=false", f"docker://{server.host}/{repo}:multi", f"oci:{tmp_path}/out:multi")
    assert images.oci_layout_descriptor(tmp_path / "out", "multi")["digest"] == idx.digest
    for child in idx.children:
        assert images.oci_layout_blob(tmp_path / "out", child.digest) == child.data


def test_skopeo_inspect_raw_returns_the_pushed_manifest_bytes(registry, server, repo):
    img = images.reformat(images.image(1, docker=True))
    registry.push(repo, "raw", img)
    out = skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{server.host}/{repo}:raw")
    assert out.encode().rstrip(b"\n") == img.data.rstrip(b"\n")


def test_skopeo_list_tags_lists_every_tag(registry, server, repo):
    img = images.image(1)
    registry.push(repo, "one", img)
    for t in ("two", "three"):
        registry.put_manifest(repo, t, img)
    out = json.loads(skopeo("list-tags", "--tls-verify=false", f"docker://{server.host}/{repo}"))
    assert sorted(out["Tags"]) == ["one", "three", "two"]


def test_skopeo_delete_removes_the_image(registry, server, repo):
    img, keep = images.image(1), images.image(1)
    registry.push(repo, "doomed", img)
    registry.push(repo, "keep", keep)
    skopeo("delete", "--tls-verify=false", f"docker://{server.host}/{repo}:doomed")
    assert registry.get_manifest(repo, img.digest).status_code == 404
    assert registry.get_manifest(repo, "doomed").status_code == 404
    assert registry.tags(repo) == ["keep"]


# ---- buildah / podman -----------------------------------------------------------


def storage_flags(base):
    # podman refuses a runroot longer than 50 characters, so it lives in a short /tmp dir.
    if str(base) not in _RUNROOTS:
        _RUNROOTS[str(base)] = tempfile.mkdtemp(prefix="e2e-run-", dir="/tmp")
    return ["--root", f"{base}/root", "--runroot", _RUNROOTS[str(base)], "--storage-driver", "vfs"]


_RUNROOTS: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _cleanup_runroots():
    yield
    while _RUNROOTS:
        shutil.rmtree(_RUNROOTS.popitem()[1], ignore_errors=True)


def buildah(base, *args):
    require_tool("buildah")
    return run(["buildah", *storage_flags(base), *args]).strip()


def podman(base, *args):
    require_tool("podman")
    return run(["podman", *storage_flags(base), *args]).strip()


@pytest.fixture
def built_image(tmp_path):
    """A local buildah image from scratch with one file: (storage base, name, image id)."""
    base = tmp_path / "buildah"
    (tmp_path / "hello.txt").write_text(f"hello from pier e2e {os.urandom(8).hex()}\n")
    ctr = buildah(base, "from", "scratch")
    buildah(base, "copy", ctr, str(tmp_path / "hello.txt"), "/hello.txt")
    buildah(base, "config", "--entrypoint", '["/hello.txt"]', ctr)
    image_id = buildah(base, "commit", "--format", "oci", "--quiet", ctr, "localhost/e2e/hello:latest").splitlines()[-1]
    return base, "localhost/e2e/hello:latest", image_id


def config_digest(registry, repo, ref):
    r = registry.get_manifest(repo, ref)
    assert r.status_code == 200, r.text
    return r.json()["config"]["digest"], r.headers["Docker-Content-Digest"]


def test_buildah_push_then_podman_pull_gives_the_same_image_id_and_digest(registry, server, repo, tmp_path, built_image):
    base, name, image_id = built_image
    buildah(base, "push", "--tls-verify=false", "--digestfile", str(tmp_path / "digest"), name, f"docker://{server.host}/{repo}:v1")
    pushed_digest = (tmp_path / "digest").read_text().strip()
    cfg, manifest_digest = config_digest(registry, repo, "v1")
    assert manifest_digest == pushed_digest
    assert cfg == "sha256:" + image_id
    pbase = tmp_path / "podman"
    podman(pbase, "pull", "--tls-verify=false", f"{server.host}/{repo}:v1")
    info = json.loads(podman(pbase, "image", "inspect", f"{server.host}/{repo}:v1"))[0]
    assert info["Id"] == image_id
    assert info["Digest"] == pushed_digest


def test_podman_push_uploads_an_image_that_pulls_back_identically(registry, server, repo, tmp_path, built_image):
    base, name, image_id = built_image
    buildah(base, "push", "--tls-verify=false", name, f"docker://{server.host}/{repo}:seed")
    pbase = tmp_path / "podman"
    podman(pbase, "pull", "--tls-verify=false", f"{server.host}/{repo}:seed")
    podman(pbase, "push", "--tls-verify=false", "--digestfile", str(tmp_path / "digest"),
           f"{server.host}/{repo}:seed", f"docker://{server.host}/{repo}-pushed:v2")
    cfg, manifest_digest = config_digest(registry, repo + "-pushed", "v2")
    assert manifest_digest == (tmp_path / "digest").read_text().strip()
    assert cfg == "sha256:" + image_id
    fresh = tmp_path / "podman-fresh"
    podman(fresh, "pull", "--tls-verify=false", f"{server.host}/{repo}-pushed:v2")
    info = json.loads(podman(fresh, "image", "inspect", f"{server.host}/{repo}-pushed:v2"))[0]
    assert info["Id"] == image_id


# ---- oras-py --------------------------------------------------------------------


@pytest.fixture
def oras_client(server):
    oras_client = pytest.importorskip("oras.client")
    return oras_client.OrasClient(hostname=server.host, insecure=True)


def test_oras_pushes_and_pulls_a_file_artifact(oras_client, registry, server, repo, tmp_path):
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(30_000))
    r = oras_client.push(target=f"{server.host}/{repo}:art", files=[f"{payload}:application/vnd.pier.test.payload"],
                         disable_path_validation=True)
    assert r.status_code == 201
    manifest = registry.get_manifest(repo, "art").json()
    assert manifest["layers"][0]["digest"] == images.sha256(payload.read_bytes())
    files = oras_client.pull(target=f"{server.host}/{repo}:art", outdir=str(tmp_path / "out"))
    assert [open(f, "rb").read() for f in files] == [payload.read_bytes()]


@pytest.mark.pier_only
def test_oras_referrer_appears_in_the_referrers_api(oras_client, registry, server, repo, tmp_path):
    import oras.oci

    payload = tmp_path / "payload.txt"
    payload.write_text("the artifact\n")
    oras_client.push(target=f"{server.host}/{repo}:base", files=[str(payload)], disable_path_validation=True)
    base = registry.get_manifest(repo, "base")
    subject = oras.oci.Subject(mediaType=base.headers["Content-Type"], digest=base.headers["Docker-Content-Digest"],
                               size=len(base.content))
    sig, cfg = tmp_path / "sig.txt", tmp_path / "config.json"
    sig.write_text("signed\n")
    cfg.write_text("{}")
    sig_type = "application/vnd.pier.test.signature"
    r = oras_client.push(target=f"{server.host}/{repo}:sig", files=[str(sig)], subject=subject,
                         manifest_config=f"{cfg}:{sig_type}", disable_path_validation=True)
    assert r.status_code == 201
    assert r.headers.get("OCI-Subject") == subject.digest
    listed = registry.get(f"/v2/{repo}/referrers/{subject.digest}").json()["manifests"]
    assert [(d["digest"], d["artifactType"]) for d in listed] == [(r.headers["Docker-Content-Digest"], sig_type)]
