"""Immutable tags, namespace quotas and retention, driven by real clients (skopeo, podman,
buildah) against Pier (pier-only: distribution has none of them)."""

from __future__ import annotations

import json
import os
import time

import pytest

from harness import Registry, images
from harness.tools import attempt, require_tool
from test_clients import buildah, podman, skopeo

pytestmark = [pytest.mark.pier_only, pytest.mark.clients]


def copy_in(server, tmp_path, image: images.Manifest, ref: str):
    """skopeo copy of `image` from an OCI layout to `repo:tag`; the finished process."""
    require_tool("skopeo")
    layout = tmp_path / f"layout-{image.digest[7:19]}"
    images.write_oci_layout(layout, image, "src")
    return attempt(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:src", f"docker://{server.host}/{ref}"])


def error_code(response) -> tuple[str, str]:
    error = response.json()["errors"][0]
    return error["code"], json.dumps(error.get("detail"))


def test_an_immutable_tag_refuses_a_new_image_and_deletes_while_new_tags_push(make_server, tmp_path):
    server = make_server("pier", config={"immutabletags": [{"repositories": ["releases/**"], "tags": ["v*"]}]})
    reg = Registry(server.url)
    first, second = images.image(1), images.image(1)
    assert copy_in(server, tmp_path, first, "releases/app:v1").returncode == 0
    # The same image again (a retried pipeline) goes through.
    assert copy_in(server, tmp_path, first, "releases/app:v1").returncode == 0
    refused = copy_in(server, tmp_path, second, "releases/app:v1")
    assert refused.returncode != 0 and "immutable" in refused.stderr, refused.stderr
    assert reg.get_manifest("releases/app", "v1").content == first.data
    # What skopeo got, as the spec's error body.
    r = reg.put_manifest("releases/app", "v1", second)
    assert r.status_code == 403 and error_code(r)[0] == "DENIED" and "TAG_INVALID" in error_code(r)[1]
    deleted = attempt(["skopeo", "delete", "--tls-verify=false", f"docker://{server.host}/releases/app:v1"])
    assert deleted.returncode != 0 and reg.get_manifest("releases/app", "v1").status_code == 200
    assert reg.delete("/v2/releases/app/manifests/v1").status_code == 403
    # New immutable tags, and tags no rule names, are free.
    assert copy_in(server, tmp_path, second, "releases/app:v2").returncode == 0
    assert copy_in(server, tmp_path, first, "releases/app:latest").returncode == 0
    third = images.image(1)
    assert copy_in(server, tmp_path, third, "releases/app:latest").returncode == 0
    # (skopeo deletes by digest: a manifest an immutable tag names could not go.)
    skopeo("delete", "--tls-verify=false", f"docker://{server.host}/releases/app:latest")
    assert sorted(reg.tags("releases/app")) == ["v1", "v2"]


def test_a_push_past_the_namespace_quota_is_denied_and_other_namespaces_push(make_server, tmp_path):
    server = make_server("pier", config={"quotas": [{"namespaces": ["team"], "bytes": "200KB"}]})
    reg = Registry(server.url)
    small = images.image(1, layer_size=20_000)
    assert copy_in(server, tmp_path, small, "team/small:v1").returncode == 0
    # The same layers in another repository of the namespace cost nothing more.
    assert copy_in(server, tmp_path, small, "team/copy:v1").returncode == 0

    # podman pushes an image whose 300 KB layer does not fit.
    base = tmp_path / "buildah"
    (tmp_path / "big.bin").write_bytes(os.urandom(300_000))
    ctr = buildah(base, "from", "scratch")
    buildah(base, "copy", ctr, str(tmp_path / "big.bin"), "/big.bin")
    buildah(base, "commit", "--format", "oci", "--quiet", ctr, "localhost/e2e/big:latest")
    require_tool("podman")
    from test_clients import storage_flags
    pushed = attempt(["podman", *storage_flags(base), "push", "--tls-verify=false",
                      "localhost/e2e/big:latest", f"docker://{server.host}/team/big:v1"])
    assert pushed.returncode != 0 and "quota" in pushed.stderr, pushed.stderr
    assert reg.get_manifest("team/big", "v1").status_code == 404
    r = reg.push_blob("team/big", os.urandom(300_000))
    assert r.status_code == 403 and error_code(r)[0] == "DENIED" and "quota" in error_code(r)[1]
    # The same image in a namespace without a quota goes through.
    podman(base, "push", "--tls-verify=false", "localhost/e2e/big:latest", f"docker://{server.host}/free/big:v1")
    assert reg.get_manifest("free/big", "v1").status_code == 200


def test_retention_keeps_the_newest_tags_and_frees_the_rest(make_server, tmp_path):
    # A grace period a push outlasts even on a loaded machine: with none, a layer uploaded
    # a moment before its manifest may be collected in between (as grace exists to prevent).
    server = make_server("pier", config={
        "gc": {"interval": "200ms", "grace": "3s"},
        "retention": [{"repositories": ["ci/**"], "keep": {"last": 2, "tags": ["stable"]}}],
    })
    reg = Registry(server.url)
    pushed = {}
    for tag in ("stable", "b1", "b2", "b3", "b4"):
        pushed[tag] = images.image(1)
        assert copy_in(server, tmp_path, pushed[tag], f"ci/app:{tag}").returncode == 0
        time.sleep(0.05)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and sorted(reg.tags("ci/app")) != ["b3", "b4", "stable"]:
        time.sleep(0.2)
    tags = json.loads(skopeo("list-tags", "--tls-verify=false", f"docker://{server.host}/ci/app"))["Tags"]
    assert sorted(tags) == ["b3", "b4", "stable"]
    # The expired images' layers are gone; the kept ones pull whole.
    for tag in ("b1", "b2"):
        deadline = time.monotonic() + 10
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and reg.get_blob("ci/app", pushed[tag].blobs[1].digest).status_code != 404:
            time.sleep(0.2)
        assert reg.get_blob("ci/app", pushed[tag].blobs[1].digest).status_code == 404
    out = tmp_path / "out"
    skopeo("copy", "--src-tls-verify=false", f"docker://{server.host}/ci/app:b4", f"oci:{out}:b4")
    assert images.oci_layout_descriptor(out, "b4")["digest"] == pushed["b4"].digest


def test_a_user_sees_their_namespace_against_its_quota_in_the_index_api(make_server, htpasswd):
    path = htpasswd({"alice": "wonderland", "bob": "builder"})
    server = make_server("pier", config={
        "auth": {"htpasswd": {"realm": "pier", "path": str(path)}},
        "quotas": [{"namespaces": ["alice"], "bytes": 1_000_000}],
    }, auth=("alice", "wonderland"))
    alice = Registry(server.url, auth=("alice", "wonderland"))
    blob = os.urandom(4000)
    assert alice.push_blob("alice/app", blob).status_code == 201
    me = alice.get("/api/v1/users/alice").json()
    assert me["storage"] == {"bytes": 4000, "quota": 1_000_000}
    # Another user is not shown alice's storage, nor is bob's (no quota) anything.
    bob = Registry(server.url, auth=("bob", "builder"))
    assert "storage" not in bob.get("/api/v1/users/alice").json()
    assert "storage" not in bob.get("/api/v1/users/bob").json()
