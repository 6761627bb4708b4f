"""The OCI 1.1 referrers API (pier-only: distribution 2.8.2 has none; it answers 404 text)."""

import pytest

from harness import images

pytestmark = pytest.mark.pier_only

SBOM = "application/vnd.pier.test.sbom"
SIG = "application/vnd.pier.test.signature"


def referrers(registry, repo, digest, **params):
    r = registry.get(f"/v2/{repo}/referrers/{digest}", params=params or None)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == images.OCI_INDEX
    body = r.json()
    assert body["schemaVersion"] == 2
    assert body["mediaType"] == images.OCI_INDEX
    return r, body["manifests"]


@pytest.fixture
def subject(registry, repo):
    img = images.image(1)
    registry.push(repo, "subject", img)
    return img


def attach(registry, repo, subject, artifact_type, annotations=None, **kw):
    art = images.artifact(artifact_type, blobs=[images.Blob(images.random_bytes(64), "application/vnd.pier.test.blob")],
                          subject=subject, annotations=annotations, **kw)
    r = registry.push(repo, None, art)
    assert r.headers.get("OCI-Subject") == subject.digest
    return art


def test_referrers_lists_manifests_whose_subject_is_the_digest(registry, repo, subject):
    sbom = attach(registry, repo, subject, SBOM, {"org.example.kind": "sbom"})
    sig = attach(registry, repo, subject, SIG, {"org.example.kind": "sig"})
    attach(registry, repo, images.image(1), SBOM)  # refers to something else
    _, found = referrers(registry, repo, subject.digest)
    by_digest = {d["digest"]: d for d in found}
    assert set(by_digest) == {sbom.digest, sig.digest}
    for art, kind in ((sbom, SBOM), (sig, SIG)):
        d = by_digest[art.digest]
        assert d["mediaType"] == images.OCI_MANIFEST
        assert d["size"] == art.size
        assert d["artifactType"] == kind
        assert d["annotations"] == art.json["annotations"]


def test_referrer_artifact_type_falls_back_to_config_media_type(registry, repo, subject):
    cfg = images.Blob(b'{"x":1}', "application/vnd.pier.test.config+json")
    art = attach(registry, repo, subject, None, config=cfg)
    _, found = referrers(registry, repo, subject.digest)
    assert [d["artifactType"] for d in found if d["digest"] == art.digest] == [cfg.media_type]


def test_an_empty_artifact_type_counts_as_none(registry, repo, subject):
    """The spec: an empty `artifactType` is a missing one. An image is listed with its
    config's type, an index with none, and `?artifactType=` with no value filters nothing."""
    cfg = images.Blob(b'{"y":2}', "application/vnd.pier.test.config+json")
    body = {"schemaVersion": 2, "mediaType": images.OCI_MANIFEST, "artifactType": "",
            "config": cfg.descriptor(), "layers": [], "subject": subject.descriptor()}
    art = images.Manifest(images.dumps(body), images.OCI_MANIFEST, [cfg])
    registry.push(repo, None, art)
    child = images.image(1)
    body = {"schemaVersion": 2, "mediaType": images.OCI_INDEX, "artifactType": "",
            "manifests": [child.descriptor()], "subject": subject.descriptor()}
    idx = images.Manifest(images.dumps(body), images.OCI_INDEX, [], [child])
    registry.push(repo, None, idx)
    r, found = referrers(registry, repo, subject.digest)
    by_digest = {d["digest"]: d for d in found}
    assert set(by_digest) == {art.digest, idx.digest}
    assert by_digest[art.digest]["artifactType"] == cfg.media_type
    assert "artifactType" not in by_digest[idx.digest]
    r, filtered = referrers(registry, repo, subject.digest, artifactType="")
    assert sorted(d["digest"] for d in filtered) == sorted(by_digest)
    assert "OCI-Filters-Applied" not in r.headers


def test_referrers_of_digest_without_referrers_is_an_empty_index(registry, repo, subject):
    _, found = referrers(registry, repo, subject.digest)
    assert found == []
    _, found = referrers(registry, repo, images.sha256(b"no such manifest"))
    assert found == []


def test_referrers_artifact_type_filter_sets_oci_filters_applied(registry, repo, subject):
    sbom = attach(registry, repo, subject, SBOM)
    attach(registry, repo, subject, SIG)
    r, found = referrers(registry, repo, subject.digest, artifactType=SBOM)
    assert [d["digest"] for d in found] == [sbom.digest]
    assert r.headers["OCI-Filters-Applied"] == "artifactType"
    r, found = referrers(registry, repo, subject.digest)
    assert len(found) == 2
    assert "OCI-Filters-Applied" not in r.headers


def test_referrer_pushed_before_its_subject_is_listed(registry, repo):
    later = images.image(1)
    art = attach(registry, repo, later, SIG)
    registry.push(repo, "later", later)
    _, found = referrers(registry, repo, later.digest)
    assert [d["digest"] for d in found] == [art.digest]


def test_index_with_subject_is_a_referrer(registry, repo, subject):
    child = images.image(1)
    idx = images.index([child])
    body = idx.json
    body["subject"] = subject.descriptor()
    body["artifactType"] = SBOM
    idx = images.Manifest(images.dumps(body), images.OCI_INDEX, [], [child])
    r = registry.push(repo, None, idx)
    assert r.headers.get("OCI-Subject") == subject.digest
    _, found = referrers(registry, repo, subject.digest)
    assert [(d["digest"], d["mediaType"], d["artifactType"]) for d in found] == [(idx.digest, images.OCI_INDEX, SBOM)]


def test_deleted_referrer_disappears_from_the_list(registry, repo, subject):
    keep = attach(registry, repo, subject, SBOM)
    gone = attach(registry, repo, subject, SIG)
    assert registry.delete(f"/v2/{repo}/manifests/{gone.digest}").status_code == 202
    _, found = referrers(registry, repo, subject.digest)
    assert [d["digest"] for d in found] == [keep.digest]


def test_referrers_are_scoped_to_the_repository(registry, repo, subject):
    attach(registry, repo, subject, SBOM)
    registry.push(repo + "-other", "subject", subject)
    _, found = referrers(registry, repo + "-other", subject.digest)
    assert found == []
