"""Sparse manifests, as the OCI conformance suite's sparse data set pushes them: an index
whose children are not all pushed (distribution 3's `validation.manifests.indexes`) and a
manifest whose blobs are not (Pier's `validation.manifests.blobs`). Off by default: then
both are refused with MANIFEST_BLOB_UNKNOWN, as before."""

from __future__ import annotations

import os

import pytest

from harness import Registry, images
from harness.images import dumps

pytestmark = pytest.mark.pier_only  # distribution 2.8.2 has neither option


def sparse_index(registry, repo) -> tuple[images.Manifest, str]:
    """An index of a pushed amd64 image and an arm64 child that was never pushed."""
    amd64 = images.image(1)
    registry.push(repo, None, amd64)
    missing = images.sha256(os.urandom(1024))
    body = {
        "schemaVersion": 2,
        "mediaType": images.OCI_INDEX,
        "manifests": [
            amd64.descriptor(platform={"architecture": "amd64", "os": "linux"}),
            {"mediaType": images.OCI_MANIFEST, "digest": missing, "size": 1024,
             "platform": {"architecture": "arm64", "os": "linux"}},
        ],
    }
    return images.Manifest(dumps(body), images.OCI_INDEX), missing


def sparse_image(registry, repo) -> images.Manifest:
    """An image whose config is pushed and whose one layer is not."""
    m = images.image(1)
    config = m.blobs[0]
    assert registry.push_blob(repo, config).status_code == 201
    return m


def test_by_default_a_sparse_index_and_a_sparse_image_are_refused(registry, repo):
    index, _ = sparse_index(registry, repo)
    r = registry.put_manifest(repo, "sparse", index)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
    image = sparse_image(registry, repo)
    r = registry.put_manifest(repo, "partial", image)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"


def test_sparse_manifests_are_stored_byte_exact_when_configured(make_server, repo):
    srv = make_server("pier", config={"validation": {"manifests": {"indexes": {"platforms": "none"}, "blobs": "none"}}})
    registry = Registry(srv.url)
    index, missing = sparse_index(registry, repo)
    assert registry.put_manifest(repo, "sparse", index).status_code == 201
    got = registry.get_manifest(repo, "sparse")
    assert got.content == index.data and got.headers["Docker-Content-Digest"] == index.digest
    assert registry.get_manifest(repo, missing).status_code == 404
    image = sparse_image(registry, repo)
    assert registry.put_manifest(repo, "partial", image).status_code == 201
    assert registry.get_manifest(repo, "partial").content == image.data
    assert registry.get_blob(repo, image.blobs[1].digest).status_code == 404
    # The missing layer arrives later and is served.
    assert registry.push_blob(repo, image.blobs[1]).status_code == 201
    assert registry.get_blob(repo, image.blobs[1].digest).content == image.blobs[1].data


def test_a_platform_list_requires_only_the_listed_children(make_server, repo):
    lists = {"platforms": "list", "platformlist": [{"os": "linux", "architecture": "amd64"}]}
    srv = make_server("pier", config={"validation": {"manifests": {"indexes": lists}}})
    registry = Registry(srv.url)
    index, _ = sparse_index(registry, repo)
    # arm64 is missing but not listed: accepted.
    assert registry.put_manifest(repo, "amd64-only", index).status_code == 201
    strict = {"platforms": "list", "platformlist": [{"os": "linux", "architecture": "arm64"}]}
    srv2 = make_server("pier", config={"validation": {"manifests": {"indexes": strict}}})
    other = Registry(srv2.url)
    index2, _ = sparse_index(other, repo)
    r = other.put_manifest(repo, "needs-arm64", index2)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
