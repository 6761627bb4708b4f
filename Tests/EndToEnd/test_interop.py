"""Pier and distribution 2.8.2 share the on-disk layout: what one wrote, the
other serves byte for byte (pier-only: needs both binaries)."""

import pytest

from harness import Registry, images

pytestmark = pytest.mark.pier_only


def sample():
    """tag -> (repo, manifest) covering every manifest kind and nested names."""
    oci = images.image(2)
    docker = images.image(1, docker=True)
    return {
        "oci": ("interop/oci", oci),
        "docker": ("interop/deep/docker/name", docker),
        "index": ("interop/oci", images.index([images.image(1, arch="amd64"), images.image(1, arch="arm64")])),
        "list": ("interop/list", images.index([images.image(1, docker=True)], docker=True)),
        "artifact": ("interop/oci", images.artifact("application/vnd.pier.test.sbom", [images.Blob(b"sbom", "text/plain")], subject=oci)),
        "reformatted": ("interop/oci", images.reformat(images.image(1))),
    }


def push_all(reg: Registry, content: dict) -> bytes:
    for tag, (repo, m) in content.items():
        reg.push(repo, tag, m)
    # A blob uploaded in chunks, and a blob mounted into another repository.
    chunked = images.random_bytes(300_000)
    assert reg.push_blob("interop/blobs", chunked, mode="chunked", chunk=100_000).status_code == 201
    assert reg.start_upload("interop/mounted", mount=images.sha256(chunked), **{"from": "interop/blobs"}).status_code == 201
    return chunked


def verify_all(reg: Registry, content: dict, chunked: bytes) -> None:
    for tag, (repo, m) in content.items():
        for ref in (tag, m.digest):
            r = reg.get_manifest(repo, ref)
            assert r.status_code == 200, (repo, ref, r.text)
            assert r.content == m.data
            assert r.headers["Docker-Content-Digest"] == m.digest
            assert r.headers["Content-Type"] == m.media_type
        for child in m.children:
            assert reg.get_manifest(repo, child.digest).content == child.data
        for b in m.all_blobs():
            r = reg.get_blob(repo, b.digest)
            assert r.status_code == 200 and images.sha256(r.content) == b.digest
    for repo in {repo for repo, _ in content.values()}:
        assert {t for t, (r, _) in content.items() if r == repo} <= set(reg.tags(repo))
    for repo in ("interop/blobs", "interop/mounted"):
        assert reg.get_blob(repo, images.sha256(chunked)).content == chunked
    catalog = reg.catalog()  # blob-only repositories are listed too (distribution 2.x looks for _layers)
    for repo in {repo for repo, _ in content.values()} | {"interop/blobs", "interop/mounted"}:
        assert repo in catalog


@pytest.mark.parametrize("writer,reader", [("distribution", "pier"), ("pier", "distribution")])
def test_content_written_by_one_server_is_served_identically_by_the_other(make_server, tmp_path, writer, reader):
    root = tmp_path / "shared-root"
    content = sample()
    first = make_server(writer, root=root)
    chunked = push_all(Registry(first.url), content)
    verify_all(Registry(first.url), content, chunked)
    assert first.stop() is not None
    second = make_server(reader, root=root)
    verify_all(Registry(second.url), content, chunked)


def test_alternating_servers_on_one_root_see_each_others_writes(make_server, tmp_path):
    root = tmp_path / "shared-root"
    a, b = sample(), {f"{t}-2": v for t, v in sample().items()}
    dist = make_server("distribution", root=root)
    chunked_a = push_all(Registry(dist.url), a)
    dist.stop()
    pier = make_server("pier", root=root)
    chunked_b = push_all(Registry(pier.url), b)
    verify_all(Registry(pier.url), a, chunked_a)
    # Pier deletes one of distribution's manifests by digest.
    repo, victim = a["docker"]
    assert Registry(pier.url).delete(f"/v2/{repo}/manifests/{victim.digest}").status_code == 202
    pier.stop()
    dist2 = make_server("distribution", root=root)
    reg = Registry(dist2.url)
    del a["docker"]
    verify_all(reg, a, chunked_a)
    verify_all(reg, b, chunked_b)
    assert reg.get_manifest(repo, victim.digest).status_code == 404
    assert "docker" not in reg.tags(repo)
