"""Manifest PUT/GET/HEAD/DELETE for every manifest kind, and validation."""

import json

import pytest

from harness import assert_error, images
from harness.client import MANIFEST_ACCEPT

KINDS = {
    "oci-image": lambda: images.image(2),
    "oci-index": lambda: images.index([images.image(1, arch="amd64"), images.image(1, arch="arm64")]),
    "docker-schema2": lambda: images.image(2, docker=True),
    "docker-manifest-list": lambda: images.index(
        [images.image(1, docker=True, arch="amd64"), images.image(1, docker=True, arch="arm64")], docker=True),
    "artifact-no-layers": lambda: images.artifact("application/vnd.pier.test.sbom", blobs=[]),
    "artifact-empty-layer": lambda: images.artifact("application/vnd.pier.test.sig", blobs=[images.EMPTY_CONFIG]),
    "artifact-custom-config": lambda: images.artifact(
        None, config=images.Blob(b'{"k":"v"}', "application/vnd.pier.test.config+json"),
        blobs=[images.Blob(images.random_bytes(100), "application/vnd.pier.test.payload")]),
}


def push_refs(registry, repo, m):
    """Push everything a manifest references, but not the manifest itself."""
    for child in m.children:
        registry.push(repo, None, child)
    for b in m.blobs:
        assert registry.push_blob(repo, b).status_code == 201


def assert_served(registry, repo, ref, m):
    r = registry.get_manifest(repo, ref)
    assert r.status_code == 200, r.text
    assert r.content == m.data
    assert r.headers["Content-Type"] == m.media_type
    assert r.headers["Docker-Content-Digest"] == m.digest
    h = registry.head_manifest(repo, ref)
    assert h.status_code == 200
    assert h.content == b""
    assert int(h.headers["Content-Length"]) == m.size
    assert h.headers["Content-Type"] == m.media_type
    assert h.headers["Docker-Content-Digest"] == m.digest


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("odd_bytes", [False, True], ids=["compact", "odd-whitespace"])
def test_manifest_round_trips_byte_exact_with_its_media_type(registry, repo, kind, odd_bytes):
    m = KINDS[kind]()
    if odd_bytes:
        m = images.reformat(m)
    push_refs(registry, repo, m)
    r = registry.put_manifest(repo, "v1", m)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == m.digest
    assert r.headers["Location"]
    assert_served(registry, repo, "v1", m)
    assert_served(registry, repo, m.digest, m)


def test_a_manifest_list_by_tag_is_answered_with_its_linux_amd64_image_to_a_client_that_accepts_only_images(registry, repo):
    """distribution's answer to clients from before manifest lists (and to scripts reading
    `.config.digest` with that one `Accept`): by tag, the linux/amd64 image; by digest, or
    to a client that accepts lists (or anything), the list as stored."""
    amd, arm = images.image(1, arch="amd64", docker=True), images.image(1, arch="arm64", docker=True)
    listed = images.index([arm, amd], docker=True)
    registry.push(repo, "multi", listed)
    for method in ("GET", "HEAD"):
        r = registry.request(method, f"/v2/{repo}/manifests/multi", headers={"Accept": images.DOCKER_MANIFEST})
        assert r.status_code == 200 and r.headers["Docker-Content-Digest"] == amd.digest, r.headers
        assert r.headers["Content-Type"] == images.DOCKER_MANIFEST
    r = registry.get_manifest(repo, "multi", accept=images.DOCKER_MANIFEST)
    assert r.content == amd.data
    r = registry.get_manifest(repo, listed.digest, accept=images.DOCKER_MANIFEST)
    assert r.headers["Docker-Content-Digest"] == listed.digest
    both = f"{images.DOCKER_MANIFEST}, {images.DOCKER_LIST}"
    assert registry.get_manifest(repo, "multi", accept=both).headers["Docker-Content-Digest"] == listed.digest
    # Without linux/amd64 there is nothing such a client could run.
    registry.push(repo, "armonly", images.index([arm], docker=True))
    assert_error(registry.get_manifest(repo, "armonly", accept=images.DOCKER_MANIFEST), 404, "MANIFEST_UNKNOWN")


def test_manifest_put_by_digest_is_served_by_digest_and_not_tagged(registry, repo):
    m = images.image(1)
    push_refs(registry, repo, m)
    other = images.image(1)
    registry.push(repo, "keep", other)
    r = registry.put_manifest(repo, m.digest, m)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == m.digest
    assert_served(registry, repo, m.digest, m)
    assert registry.tags(repo) == ["keep"]


def test_manifest_put_by_wrong_digest_is_400_digest_invalid(registry, repo):
    m = images.image(1)
    push_refs(registry, repo, m)
    wrong = images.sha256(b"not this manifest")
    assert_error(registry.put_manifest(repo, wrong, m), 400, "DIGEST_INVALID")
    assert registry.head_manifest(repo, wrong).status_code == 404


@pytest.mark.parametrize("missing", ["config", "layer"])
def test_manifest_with_missing_blob_is_400_manifest_blob_unknown(registry, repo, missing):
    m = images.image(2)
    skip = m.blobs[0] if missing == "config" else m.blobs[2]
    for b in m.blobs:
        if b is not skip:
            registry.push_blob(repo, b)
    assert_error(registry.put_manifest(repo, "v1", m), 400, "MANIFEST_BLOB_UNKNOWN")
    assert registry.head_manifest(repo, m.digest).status_code == 404


@pytest.mark.parametrize("docker", [False, True], ids=["oci-index", "docker-list"])
def test_index_with_child_missing_in_repository_is_400_manifest_blob_unknown(registry, repo, docker):
    present, absent = images.image(1, docker=docker), images.image(1, docker=docker, arch="arm64")
    registry.push(repo, None, present)
    registry.push(repo + "-elsewhere", None, absent)  # exists in the registry, not in this repo
    idx = images.index([present, absent], docker=docker)
    assert_error(registry.put_manifest(repo, "multi", idx), 400, "MANIFEST_BLOB_UNKNOWN")


@pytest.mark.pier_only
def test_manifest_with_unknown_subject_is_accepted_with_oci_subject_header(registry, repo):
    ghost = images.image(1)  # never pushed
    art = images.artifact("application/vnd.pier.test.sig", blobs=[images.EMPTY_CONFIG], subject=ghost)
    push_refs(registry, repo, art)
    r = registry.put_manifest(repo, art.digest, art)
    assert r.status_code == 201, r.text
    assert r.headers["OCI-Subject"] == ghost.digest
    assert_served(registry, repo, art.digest, art)


@pytest.mark.pier_only
def test_manifest_body_over_4_mib_is_413(registry, repo):
    # distribution 2.8.2 answers 400 MANIFEST_INVALID "http: request body too large".
    m = images.image(1)
    push_refs(registry, repo, m)
    big = json.loads(m.data)
    big["annotations"] = {"padding": "x" * (4 * 1024 * 1024)}
    r = registry.put_manifest(repo, "big", json.dumps(big).encode(), images.OCI_MANIFEST)
    assert r.status_code == 413
    assert registry.head_manifest(repo, "big").status_code == 404


def test_manifest_just_under_4_mib_is_accepted(registry, repo):
    m = images.image(1)
    push_refs(registry, repo, m)
    big = json.loads(m.data)
    big["annotations"] = {"padding": ""}
    overhead = len(json.dumps(big).encode())
    big["annotations"]["padding"] = "x" * (4 * 1024 * 1024 - overhead - 16)
    data = json.dumps(big).encode()
    r = registry.put_manifest(repo, "nearly-big", data, images.OCI_MANIFEST)
    assert r.status_code == 201, r.text[:300]
    assert registry.get_manifest(repo, "nearly-big").content == data


@pytest.mark.pier_only
@pytest.mark.parametrize("tag", ["-bad", "a" * 129, "a:b", ".dot", "sp ace"], ids=["leading-dash", "129-chars", "colon", "leading-dot", "space"])
def test_invalid_tag_is_400(registry, repo, tag):
    # distribution 2.8.2: 404 (route mismatch) for -bad / 129 chars, 500 for a:b.
    m = images.image(1)
    push_refs(registry, repo, m)
    from urllib.parse import quote

    r = registry.put_manifest(repo, quote(tag, safe=":"), m)
    # Only digests contain ':', so Pier reports such a reference as an invalid digest.
    codes = ("DIGEST_INVALID",) if ":" in tag else ("MANIFEST_INVALID", "TAG_INVALID")
    assert_error(r, 400, *codes)


def test_longest_valid_tag_of_128_chars_is_accepted(registry, repo):
    m = images.image(1)
    push_refs(registry, repo, m)
    tag = "A_b.c-" + "z" * 122
    assert registry.put_manifest(repo, tag, m).status_code == 201
    assert registry.get_manifest(repo, tag).content == m.data


@pytest.mark.parametrize("data", [b"{not json", b"", b"[]", b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":5}'],
                         ids=["broken", "empty", "array", "config-not-object"])
def test_malformed_manifest_is_400_manifest_invalid(registry, repo, data):
    assert_error(registry.put_manifest(repo, "bad", data, images.OCI_MANIFEST), 400, "MANIFEST_INVALID")
    assert registry.head_manifest(repo, "bad").status_code == 404


def test_manifest_put_with_text_plain_content_type_is_400_manifest_invalid(registry, repo):
    m = images.image(1)
    push_refs(registry, repo, m)
    assert_error(registry.put_manifest(repo, "v1", m.data, "text/plain"), 400, "MANIFEST_INVALID")


def test_unknown_manifest_is_404_manifest_unknown(registry, repo):
    registry.push(repo, "exists", images.image(1))
    assert_error(registry.get_manifest(repo, "nope"), 404, "MANIFEST_UNKNOWN")
    assert_error(registry.get_manifest(repo, images.sha256(b"nope")), 404, "MANIFEST_UNKNOWN")
    assert registry.head_manifest(repo, "nope").status_code == 404


@pytest.mark.pier_only
def test_delete_by_tag_removes_only_the_tag(registry, repo):
    # distribution 2.8.2 answers 400 DIGEST_INVALID to DELETE by tag.
    m = images.image(1)
    registry.push(repo, "v1", m)
    registry.put_manifest(repo, "v2", m)
    assert registry.delete(f"/v2/{repo}/manifests/v1").status_code == 202
    assert_error(registry.get_manifest(repo, "v1"), 404, "MANIFEST_UNKNOWN")
    assert registry.get_manifest(repo, m.digest).content == m.data
    assert registry.get_manifest(repo, "v2").content == m.data
    assert registry.tags(repo) == ["v2"]


def test_delete_by_digest_removes_manifest_and_every_tag_pointing_at_it(registry, repo):
    m, other = images.image(1), images.image(1)
    registry.push(repo, "keep", other)
    for tag in ("v1", "v2", "latest"):
        registry.push(repo, tag, m)
    assert registry.delete(f"/v2/{repo}/manifests/{m.digest}").status_code == 202
    assert_error(registry.get_manifest(repo, m.digest), 404, "MANIFEST_UNKNOWN")
    for tag in ("v1", "v2", "latest"):
        assert_error(registry.get_manifest(repo, tag), 404, "MANIFEST_UNKNOWN")
    assert registry.tags(repo) == ["keep"]
    assert registry.get_manifest(repo, "keep").content == other.data


def test_delete_unknown_manifest_is_404_manifest_unknown(registry, repo):
    registry.push(repo, "exists", images.image(1))
    assert_error(registry.delete(f"/v2/{repo}/manifests/{images.sha256(b'x')}"), 404, "MANIFEST_UNKNOWN")


def test_retagging_points_the_tag_at_the_new_manifest(registry, repo):
    a, b = images.image(1), images.image(1)
    registry.push(repo, "moving", a)
    registry.push(repo, "moving", b)
    assert registry.get_manifest(repo, "moving").content == b.data
    assert registry.get_manifest(repo, a.digest).content == a.data


@pytest.mark.parametrize("reference", [".INVALID_MANIFEST_NAME", "-bad", "a" * 129],
                         ids=["leading-dot", "leading-dash", "129-chars"])
def test_reading_or_deleting_a_reference_that_cannot_exist_is_404(registry, repo, reference):
    # The OCI conformance suite's "nonexistent manifest" specs: only a PUT of such a
    # reference is the client's error (400); a GET, HEAD or DELETE asks for nothing there.
    registry.push(repo, "exists", images.image(1))
    assert registry.head_manifest(repo, reference).status_code == 404
    assert registry.get_manifest(repo, reference).status_code == 404
    assert registry.delete(f"/v2/{repo}/manifests/{reference}").status_code == 404


@pytest.mark.pier_only
@pytest.mark.parametrize("reference", [".INVALID_MANIFEST_NAME", "sha256:nothex"], ids=["tag-shaped", "digest-shaped"])
def test_a_reference_that_cannot_exist_is_manifest_unknown(registry, repo, reference):
    # distribution 2.8.2 answers a malformed digest with 500.
    registry.push(repo, "exists", images.image(1))
    assert_error(registry.get_manifest(repo, reference), 404, "MANIFEST_UNKNOWN")
    assert_error(registry.delete(f"/v2/{repo}/manifests/{reference}"), 404, "MANIFEST_UNKNOWN")


@pytest.mark.pier_only
def test_a_manifest_with_a_duplicate_key_is_refused(registry, repo):
    # Go's decoder (every client) reads the last `layers`, Foundation the first: a document
    # that means two things is refused, not checked as one and pulled as the other.
    m = images.image(1)
    push_refs(registry, repo, m)
    missing = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": images.sha256(b"missing"), "size": 7}
    text = m.data.decode()
    twice = text[:-1] + ',"layers":' + images.dumps([missing]).decode() + "}"
    assert_error(registry.put_manifest(repo, "dup", twice.encode(), images.OCI_MANIFEST), 400, "MANIFEST_INVALID")
    nested = text.replace('"config":{', '"config":{"size":1,', 1)
    assert_error(registry.put_manifest(repo, "dup", nested.encode(), images.OCI_MANIFEST), 400, "MANIFEST_INVALID")
    # Go fills `layers` from `Layers` too (its field names match regardless of case, the
    # last key winning); Foundation reads `layers` alone. distribution stores this one.
    cased = text[:-1] + ',"Layers":' + images.dumps([missing]).decode() + "}"
    assert_error(registry.put_manifest(repo, "dup", cased.encode(), images.OCI_MANIFEST), 400, "MANIFEST_INVALID")
    assert registry.head_manifest(repo, "dup").status_code == 404


@pytest.mark.parametrize("spoil", ["schemaVersion 2.0", "size 7.0", "size 7E0", "byte order mark", "utf-16"])
def test_a_manifest_gos_decoder_cannot_read_is_refused_as_distribution_refuses_it(registry, repo, spoil):
    # Foundation reads 2.0 as 2 and skips a byte order mark; Go's encoding/json, which every
    # client pulls with, refuses both: stored, such a manifest would fail every pull.
    m = images.image(1)
    push_refs(registry, repo, m)
    text = m.data.decode()
    config_size = f'"size":{json.loads(text)["config"]["size"]}'
    spoiled = {
        "schemaVersion 2.0": lambda: text.replace('"schemaVersion":2', '"schemaVersion":2.0', 1),
        "size 7.0": lambda: text.replace(config_size, config_size + ".0", 1),
        "size 7E0": lambda: text.replace(config_size, config_size + "E0", 1),
        "byte order mark": lambda: "\ufeff" + text,
        "utf-16": lambda: text.encode("utf-16"),
    }[spoil]()
    assert spoiled != text
    data = spoiled if isinstance(spoiled, bytes) else spoiled.encode()
    assert_error(registry.put_manifest(repo, "spoiled", data, images.OCI_MANIFEST), 400, "MANIFEST_INVALID")
    assert registry.head_manifest(repo, "spoiled").status_code == 404
    assert registry.put_manifest(repo, "spoiled", m.data, images.OCI_MANIFEST).status_code == 201


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_manifest_the_client_holds_is_304_by_tag_and_by_digest(registry, repo, method):
    m = images.image(1)
    registry.push(repo, "cached", m)
    for ref in ("cached", m.digest):
        for held in (f'"{m.digest}"', m.digest):
            r = registry.request(method, f"/v2/{repo}/manifests/{ref}", headers={"If-None-Match": held, "Accept": MANIFEST_ACCEPT})
            assert r.status_code == 304, (ref, held, r.status_code)
            assert r.content == b""


@pytest.mark.pier_only
def test_if_none_match_is_read_as_rfc_9110_writes_it_and_the_304_names_the_manifest(registry, repo):
    # distribution 2.8.2 compares the header whole, so a list or a weak tag misses, and its
    # 304 carries no ETag or digest; those tell a client that asked by tag which manifest it
    # holds, and a cache what it may keep.
    m = images.image(1)
    registry.push(repo, "cached", m)
    for held in (f'W/"{m.digest}"', f'"other", "{m.digest}"', "*"):
        r = registry.get(f"/v2/{repo}/manifests/cached", headers={"If-None-Match": held, "Accept": MANIFEST_ACCEPT})
        assert r.status_code == 304, held
        assert r.headers["Docker-Content-Digest"] == m.digest and r.headers["ETag"] == f'"{m.digest}"'


def test_a_moved_tag_answers_the_new_manifest_despite_if_none_match(registry, repo):
    old, new = images.image(1), images.image(1)
    registry.push(repo, "moving", old)
    registry.push(repo, "moving", new)
    r = registry.get(f"/v2/{repo}/manifests/moving", headers={"If-None-Match": f'"{old.digest}"', "Accept": MANIFEST_ACCEPT})
    assert r.status_code == 200 and r.content == new.data
    assert r.headers["ETag"] == f'"{new.digest}"'


def test_if_none_match_on_a_missing_manifest_is_still_404(registry, repo):
    registry.push(repo, "exists", images.image(1))
    r = registry.get(f"/v2/{repo}/manifests/absent", headers={"If-None-Match": "*", "Accept": MANIFEST_ACCEPT})
    assert_error(r, 404, "MANIFEST_UNKNOWN")


def test_a_percent_encoded_digest_reference_is_served(registry, repo):
    # Clients that encode every path segment send the digest's colon as %3A; distribution
    # routes on the decoded path. Only the reference is decoded: names stay raw.
    m = images.image(1)
    registry.push(repo, "v1", m)
    escaped = m.digest.replace(":", "%3A")
    r = registry.get(f"/v2/{repo}/manifests/{escaped}", headers={"Accept": MANIFEST_ACCEPT})
    assert r.status_code == 200 and r.content == m.data
    r = registry.get(f"/v2/{repo}/blobs/{m.blobs[0].digest.replace(':', '%3a')}")
    assert r.status_code == 200 and r.content == m.blobs[0].data


FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"


def windows_manifest(registry, repo, urls):
    """A Docker manifest whose base layer is foreign (as Windows images' were): its bytes
    are at `urls`, never pushed. The config and the ordinary layer are pushed."""
    config = images.Blob(images.dumps({"architecture": "amd64", "os": "windows", "rootfs": {"type": "layers", "diff_ids": []}}),
                         "application/vnd.docker.container.image.v1+json")
    layer = images.random_layer(docker=True)
    for blob in (config, layer):
        assert registry.push_blob(repo, blob).status_code == 201
    foreign = {"mediaType": FOREIGN, "size": 1024, "digest": "sha256:" + "ab" * 32}
    if urls is not None:
        foreign["urls"] = urls
    return images.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": config.media_type, "size": len(config.data), "digest": config.digest},
        "layers": [foreign, {"mediaType": layer.media_type, "size": len(layer.data), "digest": layer.digest}],
    })


@pytest.mark.parametrize("validation, url, accepted", [
    ({}, "https://mcr.microsoft.com/v2/windows/blobs/x", False),        # neither list: no URL at all
    ({"manifests": {"urls": {"allow": [r"^https://mcr\.microsoft\.com/"]}}}, "https://mcr.microsoft.com/v2/windows/blobs/x", True),
    ({"manifests": {"urls": {"allow": [r"^https://mcr\.microsoft\.com/"]}}}, "https://evil.example/x", False),
    ({"manifests": {"urls": {"allow": ["^https?://"], "deny": [r"\.internal/"]}}}, "http://files.corp.internal/x", False),
    ({"manifests": {"urls": {"allow": ["^https?://"], "deny": [r"\.internal/"]}}}, "http://files.example/x", True),
    ({"manifests": {"urls": {"allow": ["."]}}}, "ftp://files.example/x", False),      # http and https only
    ({"disabled": True}, "http://files.example/x", True),                             # validation off: no lists,
    ({"disabled": True}, "ftp://files.example/x", False),                             # but http and https only
])
def test_foreign_layer_urls_are_held_to_validation_manifests_urls(make_server, server_kind, validation, url, accepted):
    """distribution's `validation.manifests.urls`: the URLs a pushed manifest may send
    pullers to. Side by side with distribution 2.8.2, the same manifests are accepted and
    refused under the same configuration; Pier's refusal is the spec's MANIFEST_INVALID
    naming the URL."""
    from harness import Registry

    srv = make_server(server_kind, config={"validation": validation} if validation else None)
    reg = Registry(srv.url)
    data = windows_manifest(reg, "e2e/windows", [url])
    r = reg.put_manifest("e2e/windows", "ltsc", data, "application/vnd.docker.distribution.manifest.v2+json")
    if accepted:
        assert r.status_code == 201, r.text
        assert reg.get_manifest("e2e/windows", "ltsc").content == data
    else:
        assert 400 <= r.status_code < 600 and r.status_code != 201, r.text
        if server_kind == "pier":
            assert_error(r, 400, "MANIFEST_INVALID")
            assert url in r.text, r.text


def test_a_foreign_layer_without_urls_is_refused(make_server, server_kind):
    from harness import Registry

    srv = make_server(server_kind, config={"validation": {"manifests": {"urls": {"allow": ["^https://"]}}}})
    reg = Registry(srv.url)
    r = reg.put_manifest("e2e/windows", "none", windows_manifest(reg, "e2e/windows", None),
                         "application/vnd.docker.distribution.manifest.v2+json")
    assert 400 <= r.status_code < 600, r.text
    if server_kind == "pier":
        assert_error(r, 400, "MANIFEST_INVALID")
