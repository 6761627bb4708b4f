"""sha512 wherever a digest appears (blob uploads of every kind, ranges, mounts, manifests
pushed and pulled by digest, referrers, distribution's layout on disk), and tags given with
`?tag=` on a push by digest, which point at the digest the client pushed by."""

from __future__ import annotations

import hashlib
import json

import pytest

from harness import images
from harness.images import dumps

pytestmark = pytest.mark.pier_only  # distribution 2.8.2 supports neither `?tag=` nor sha512 manifests

MiB = 1024 * 1024


def sha512(data: bytes) -> str:
    return "sha512:" + hashlib.sha512(data).hexdigest()


def push_blob512(registry, repo, data: bytes, mode: str):
    """Upload `data` naming its sha512 digest, in one of the spec's four ways."""
    digest = sha512(data)
    octet = {"Content-Type": "application/octet-stream"}
    if mode == "post":
        return registry.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, data=data, headers=octet)
    loc = registry.upload_url(repo)
    if mode == "put":
        return registry.finish_upload(loc, digest, data)
    if mode == "chunked":
        half = len(data) // 2
        r = registry.patch_chunk(loc, data[:half], 0)
        assert r.status_code == 202, r.text
        r = registry.patch_chunk(r.headers["Location"], data[half:], half)
        assert r.status_code == 202, r.text
        return registry.finish_upload(r.headers["Location"], digest)
    if mode == "stream":
        pieces = (data[i : i + 4096] for i in range(0, len(data), 4096))
        r = registry.patch(loc, data=pieces, headers=octet)
        assert r.status_code == 202, r.text
        return registry.finish_upload(r.headers["Location"], digest)
    raise ValueError(mode)


@pytest.mark.parametrize("mode", ["post", "put", "chunked", "stream"])
def test_a_blob_uploaded_by_its_sha512_digest_is_served_under_it(registry, repo, mode):
    data = images.random_bytes(2 * MiB + 17)
    digest = sha512(data)
    r = push_blob512(registry, repo, data, mode)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == digest
    head = registry.head_blob(repo, digest)
    assert head.status_code == 200
    assert head.headers["Docker-Content-Digest"] == digest
    assert int(head.headers["Content-Length"]) == len(data)
    got = registry.get_blob(repo, digest)
    assert got.content == data and got.headers["Docker-Content-Digest"] == digest
    ranged = registry.get_blob(repo, digest, headers={"Range": "bytes=500-1499"})
    assert ranged.status_code == 206 and ranged.content == data[500:1500]
    assert registry.get(r.headers["Location"]).content == data


def test_a_blob_whose_bytes_do_not_match_its_sha512_digest_is_refused(registry, repo):
    data = images.random_bytes(4096)
    loc = registry.upload_url(repo)
    r = registry.finish_upload(loc, sha512(data + b"x"), data)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    assert registry.head_blob(repo, sha512(data + b"x")).status_code == 404


def test_sha512_blobs_mount_from_a_repository_and_anonymously(registry, repo):
    data = images.random_bytes(1024)
    digest = sha512(data)
    assert push_blob512(registry, repo, data, "post").status_code == 201
    named = registry.start_upload(repo + "-named", mount=digest, **{"from": repo})
    assert named.status_code == 201 and named.headers["Docker-Content-Digest"] == digest
    anonymous = registry.start_upload(repo + "-anonymous", mount=digest)
    assert anonymous.status_code == 201
    for target in (repo + "-named", repo + "-anonymous"):
        assert registry.get_blob(target, digest).content == data


def test_sha512_blobs_live_in_distributions_layout(registry, repo, server, storage_kind):
    if storage_kind != "filesystem":
        pytest.skip("the layout on disk is checked on the filesystem")
    data = images.random_bytes(100)
    encoded = sha512(data).split(":", 1)[1]
    assert push_blob512(registry, repo, data, "post").status_code == 201
    v2 = server.root / "docker" / "registry" / "v2"
    assert (v2 / "blobs" / "sha512" / encoded[:2] / encoded / "data").read_bytes() == data
    assert (v2 / "repositories" / repo / "_layers" / "sha512" / encoded / "link").read_text() == sha512(data)


def image512(registry, repo) -> tuple[bytes, str]:
    """An image whose config and layer are addressed by sha512, pushed; its manifest bytes."""
    config = dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}})
    layer = images.random_bytes(3000)
    for blob in (config, layer):
        assert push_blob512(registry, repo, blob, "post").status_code == 201
    manifest = dumps({
        "schemaVersion": 2,
        "mediaType": images.OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha512(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha512(layer), "size": len(layer)}],
    })
    return manifest, sha512(manifest)


def oci_tags(response) -> list[str]:
    values = response.raw.headers.getlist("OCI-Tag")
    return [tag.strip() for value in values for tag in value.split(",")]


def test_a_manifest_pushed_by_sha512_is_pulled_deleted_and_tagged_under_that_digest(registry, repo):
    manifest, digest = image512(registry, repo)
    r = registry.put(f"/v2/{repo}/manifests/{digest}", params=[("tag", "v1"), ("tag", "latest")], data=manifest,
                     headers={"Content-Type": images.OCI_MANIFEST})
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == digest
    assert sorted(oci_tags(r)) == ["latest", "v1"]
    assert registry.tags(repo) == ["latest", "v1"]
    for ref in (digest, "v1", "latest"):
        head = registry.head_manifest(repo, ref)
        assert head.status_code == 200 and head.headers["Docker-Content-Digest"] == digest
        got = registry.get_manifest(repo, ref)
        assert got.content == manifest and got.headers["Docker-Content-Digest"] == digest
    assert registry.delete(f"/v2/{repo}/manifests/{digest}").status_code == 202
    for ref in (digest, "v1", "latest"):
        assert registry.head_manifest(repo, ref).status_code == 404


def test_a_manifest_whose_bytes_do_not_match_its_sha512_digest_is_refused(registry, repo):
    manifest, digest = image512(registry, repo)
    r = registry.put_manifest(repo, digest, manifest + b"  ", images.OCI_MANIFEST)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"


def test_tag_parameters_on_a_sha256_push_set_every_tag_and_answer_one_header_each(registry, repo):
    m = images.image(1)
    for blob in m.blobs:
        assert registry.push_blob(repo, blob).status_code == 201
    tags = [f"t{i}" for i in range(12)]
    r = registry.put(f"/v2/{repo}/manifests/{m.digest}", params=[("tag", t) for t in tags], data=m.data,
                     headers={"Content-Type": m.media_type})
    assert r.status_code == 201, r.text
    assert r.raw.headers.getlist("OCI-Tag") == tags
    assert registry.tags(repo) == sorted(tags)
    for tag in tags:
        assert registry.head_manifest(repo, tag).headers["Docker-Content-Digest"] == m.digest


def test_an_invalid_tag_parameter_refuses_the_whole_push(registry, repo):
    m = images.image(1)
    for blob in m.blobs:
        assert registry.push_blob(repo, blob).status_code == 201
    r = registry.put(f"/v2/{repo}/manifests/{m.digest}", params=[("tag", "good"), ("tag", "-bad")], data=m.data,
                     headers={"Content-Type": m.media_type})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "TAG_INVALID"
    assert registry.head_manifest(repo, m.digest).status_code == 404
    assert registry.head_manifest(repo, "good").status_code == 404


def test_a_referrer_addressed_by_sha512_is_listed_under_its_subject(registry, repo):
    subject, subject_digest = image512(registry, repo)
    assert registry.put_manifest(repo, subject_digest, subject, images.OCI_MANIFEST).status_code == 201
    empty = b"{}"
    assert push_blob512(registry, repo, empty, "post").status_code == 201
    referrer = dumps({
        "schemaVersion": 2,
        "mediaType": images.OCI_MANIFEST,
        "artifactType": "application/x.test",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha512(empty), "size": 2},
        "layers": [],
        "subject": {"mediaType": images.OCI_MANIFEST, "digest": subject_digest, "size": len(subject)},
    })
    r = registry.put_manifest(repo, sha512(referrer), referrer, images.OCI_MANIFEST)
    assert r.status_code == 201, r.text
    assert r.headers["OCI-Subject"] == subject_digest
    listed = json.loads(registry.get(f"/v2/{repo}/referrers/{subject_digest}").content)
    assert [d["digest"] for d in listed["manifests"]] == [sha512(referrer)]
