"""Blob fetch, ranges and deletion."""

import pytest

from harness import Registry, assert_error, images


@pytest.fixture
def blob(registry, repo):
    b = images.Blob(images.random_bytes(10_000))
    assert registry.push_blob(repo, b).status_code == 201
    return b


def test_head_blob_reports_length_digest_and_accept_ranges(registry, repo, blob):
    r = registry.head_blob(repo, blob.digest)
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) == blob.size
    assert r.headers["Docker-Content-Digest"] == blob.digest
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.content == b""


@pytest.mark.pier_only  # distribution 2.8.2 answers 206 with the range's length
@pytest.mark.parametrize("range_", ["bytes=0-0", "bytes=20000-20010"])
def test_head_blob_ignores_range_and_reports_the_whole_length(registry, repo, blob, range_):
    """RFC 9110 §14.2: Range is defined for GET only, and the spec's HEAD gives the blob's
    size: a satisfiable or unsatisfiable range on a HEAD changes nothing."""
    r = registry.head(f"/v2/{repo}/blobs/{blob.digest}", headers={"Range": range_})
    assert r.status_code == 200, r.headers
    assert int(r.headers["Content-Length"]) == blob.size
    assert "Content-Range" not in r.headers
    assert r.headers["Docker-Content-Digest"] == blob.digest


def test_get_blob_returns_exact_bytes_with_digest_header(registry, repo, blob):
    r = registry.get_blob(repo, blob.digest)
    assert r.status_code == 200
    assert r.content == blob.data
    assert int(r.headers["Content-Length"]) == blob.size
    assert r.headers["Docker-Content-Digest"] == blob.digest


def test_blob_larger_than_the_servers_read_buffers_comes_back_whole_and_by_range(registry, repo):
    # Pier copies bodies over 4 MiB through two reused 2 MiB buffers (smaller ones go by
    # sendfile): a body of several buffers, and ranges over 4 MiB that start and end inside
    # buffers, must come back byte for byte; so must a short range of the same blob.
    MiB = 1024 * 1024
    b = images.Blob(images.random_bytes(9 * MiB + 123))
    assert registry.push_blob(repo, b).status_code == 201
    r = registry.get_blob(repo, b.digest)
    assert r.status_code == 200 and r.content == b.data
    for first, last in [(2 * MiB - 1, 8 * MiB + 1), (1, b.size - 2), (b.size - 7, b.size - 1)]:
        r = registry.get_blob(repo, b.digest, headers={"Range": f"bytes={first}-{last}"})
        assert r.status_code == 206
        assert r.content == b.data[first : last + 1]


@pytest.mark.parametrize("first,last", [(0, 0), (10, 19), (0, 9_999), (9_999, 9_999), (5_000, 9_999)])
def test_range_request_returns_206_with_requested_bytes(registry, repo, blob, first, last):
    r = registry.get_blob(repo, blob.digest, headers={"Range": f"bytes={first}-{last}"})
    assert r.status_code == 206
    assert r.content == blob.data[first : last + 1]
    assert r.headers["Content-Range"] == f"bytes {first}-{last}/{blob.size}"
    assert int(r.headers["Content-Length"]) == last - first + 1


@pytest.mark.parametrize("validator, whole", [
    ('"{digest}"', False),
    ('"sha256:' + "0" * 64 + '"', True),
    ("Sat, 01 Jan 2000 00:00:00 GMT", True),
    ('W/"{digest}"', True),
], ids=["own-tag", "other-tag", "date", "weak-tag"])
def test_if_range_honours_the_range_only_for_the_contents_own_strong_tag(registry, repo, blob, validator, whole):
    """RFC 9110 §13.1.5: a false If-Range sends the whole content, so a resuming client
    never splices bytes of two contents."""
    r = registry.get_blob(repo, blob.digest, headers={"Range": "bytes=0-9", "If-Range": validator.format(digest=blob.digest)})
    if whole:
        assert r.status_code == 200 and r.content == blob.data
    else:
        assert r.status_code == 206 and r.content == blob.data[:10]


@pytest.mark.parametrize("validator, status", [('"{digest}"', 200), ("*", 200), ('"sha256:' + "0" * 64 + '"', 412), ('W/"{digest}"', 412)],
                         ids=["own-tag", "any", "other-tag", "weak-tag"])
def test_if_match_answers_412_unless_it_names_the_content(registry, repo, blob, validator, status):
    # stream=True: distribution 2.8.2 sends a Content-Length it never honours on 412.
    r = registry.get_blob(repo, blob.digest, headers={"If-Match": validator.format(digest=blob.digest)}, stream=True)
    assert r.status_code == status
    if status == 200:
        assert r.content == blob.data
    r.close()


@pytest.mark.pier_only
def test_a_failed_if_match_has_a_json_error_body(registry, repo, blob):
    r = registry.get_blob(repo, blob.digest, headers={"If-Match": '"sha256:' + "0" * 64 + '"'})
    assert_error(r, 412, "UNKNOWN")


def test_unsatisfiable_range_is_416(registry, repo, blob):
    # stream=True: distribution 2.8.2 sends a Content-Length it never honours on 416.
    r = registry.get_blob(repo, blob.digest, headers={"Range": "bytes=20000-20010"}, stream=True)
    r.close()
    assert r.status_code == 416


@pytest.mark.pier_only
def test_unsatisfiable_range_body_has_code_range_invalid(registry, repo, blob):
    r = registry.get_blob(repo, blob.digest, headers={"Range": "bytes=20000-20010"})
    assert_error(r, 416, "RANGE_INVALID")
    assert r.headers.get("Content-Range") == f"bytes */{blob.size}"


def test_unknown_blob_is_404_blob_unknown(registry, repo, blob):
    missing = images.sha256(b"never pushed")
    assert_error(registry.get_blob(repo, missing), 404, "BLOB_UNKNOWN")
    assert registry.head_blob(repo, missing).status_code == 404


def test_blob_is_not_visible_in_a_repository_it_was_never_pushed_to(registry, repo, blob):
    assert_error(registry.get_blob(repo + "-other", blob.digest), 404, "BLOB_UNKNOWN")


def test_delete_blob_is_202_and_blob_is_gone(registry, repo, blob):
    r = registry.delete(f"/v2/{repo}/blobs/{blob.digest}")
    assert r.status_code == 202
    assert registry.head_blob(repo, blob.digest).status_code == 404
    assert_error(registry.get_blob(repo, blob.digest), 404, "BLOB_UNKNOWN")


def test_delete_blob_and_manifest_are_405_unsupported_when_deletes_disabled(make_server, server_kind):
    srv = make_server(server_kind, config={"storage": {"delete": {"enabled": False}}})

    reg = Registry(srv.url)
    img = images.image(1)
    reg.push("e2e/nodelete", "v1", img)
    layer = img.blobs[1]
    blob_delete = reg.delete(f"/v2/e2e/nodelete/blobs/{layer.digest}")
    assert_error(blob_delete, 405, "UNSUPPORTED")
    manifest_delete = reg.delete(f"/v2/e2e/nodelete/manifests/{img.digest}")
    assert_error(manifest_delete, 405, "UNSUPPORTED")
    assert reg.head_blob("e2e/nodelete", layer.digest).status_code == 200
    assert reg.get_manifest("e2e/nodelete", "v1").content == img.data
    if server_kind == "pier":
        # RFC 9110's Allow on a 405 names what still works: with only deletes off, pushes do.
        assert blob_delete.headers["Allow"] == "GET, HEAD, OPTIONS"
        assert manifest_delete.headers["Allow"] == "GET, HEAD, PUT, OPTIONS"
        reg.push("e2e/nodelete", "v2", images.image(1))


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_blob_the_client_holds_is_304_without_its_bytes(registry, repo, blob, method):
    r = registry.request(method, f"/v2/{repo}/blobs/{blob.digest}", headers={"If-None-Match": f'"{blob.digest}"'})
    assert r.status_code == 304, r.text
    assert r.content == b""
    assert r.headers["ETag"] == f'"{blob.digest}"'
    # Another tag is no match: the bytes come.
    r = registry.request(method, f"/v2/{repo}/blobs/{blob.digest}", headers={"If-None-Match": '"sha256:other"'})
    assert r.status_code == 200
    assert method == "HEAD" or r.content == blob.data


def test_if_none_match_on_a_blob_not_in_the_repository_is_still_404(registry, repo, blob):
    digest = images.sha256(b"never pushed")
    r = registry.get(f"/v2/{repo}/blobs/{digest}", headers={"If-None-Match": f'"{digest}"'})
    assert_error(r, 404, "BLOB_UNKNOWN")
    r = registry.get(f"/v2/{repo}-elsewhere/blobs/{blob.digest}", headers={"If-None-Match": f'"{blob.digest}"'})
    assert r.status_code == 404
