"""Blob upload sessions: monolithic, chunked, streamed, mounts, resume, cancel."""

from urllib.parse import urlsplit

import pytest

from harness import RawConnection, assert_error, images

MiB = 1024 * 1024


def body(n: int = 300_000) -> bytes:
    return images.random_bytes(n)


def assert_blob(registry, repo, data: bytes) -> None:
    r = registry.get_blob(repo, images.sha256(data))
    assert r.status_code == 200, r.text
    assert r.content == data


def test_start_upload_returns_202_with_location_range_and_uuid(registry, repo):
    r = registry.start_upload(repo)
    assert r.status_code == 202
    assert r.headers["Location"]
    assert r.headers["Range"] == "0-0"
    assert r.headers["Docker-Upload-UUID"]
    # The session answers a status GET right away.
    st = registry.get(r.headers["Location"])
    assert st.status_code == 204
    assert st.headers["Docker-Upload-UUID"] == r.headers["Docker-Upload-UUID"]


@pytest.mark.pier_only
def test_start_upload_advertises_oci_chunk_min_length(registry, repo):
    r = registry.start_upload(repo)
    assert r.status_code == 202
    assert int(r.headers["OCI-Chunk-Min-Length"]) >= 0


# distribution 2.8.2 ignores ?digest= on POST and answers 202: single-POST upload is pier-only.
@pytest.mark.parametrize("mode", [pytest.param("post", marks=pytest.mark.pier_only), "monolithic", "chunked", "stream"])
def test_upload_mode_creates_blob_with_201_location_and_digest(registry, repo, mode):
    data = body()
    r = registry.push_blob(repo, data, mode=mode, chunk=100_000)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == images.sha256(data)
    assert r.headers["Location"]
    assert_blob(registry, repo, data)


def test_cross_repo_mount_with_from_returns_201_with_location_and_digest(registry, repo):
    data = body(5000)
    registry.push_blob(repo, data)
    r = registry.start_upload(repo + "/mounted", mount=images.sha256(data), **{"from": repo})
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == images.sha256(data)
    assert r.headers["Location"]
    assert_blob(registry, repo + "/mounted", data)


def test_mount_from_repository_lacking_the_blob_opens_a_session_202(registry, repo):
    data = body(5000)
    registry.push_blob(repo, data)
    r = registry.start_upload(repo + "/target", mount=images.sha256(data), **{"from": repo + "/empty"})
    assert r.status_code == 202, r.text
    assert r.headers["Location"]
    assert registry.head_blob(repo + "/target", images.sha256(data)).status_code == 404


def test_mount_without_from_of_unknown_blob_opens_a_session_202(registry, repo):
    r = registry.start_upload(repo, mount=images.sha256(b"nowhere"))
    assert r.status_code == 202, r.text
    assert r.headers["Location"]


@pytest.mark.parametrize("params", [
    {"mount": "sha256:zz"},
    {"mount": "", "from": "e2e/source"},
    {"mount": images.sha256(b"x"), "from": "UPPER/case"},
    {"mount": images.sha256(b"x"), "from": ""},
], ids=["bad-digest", "empty-digest", "bad-source", "empty-source"])
def test_a_mount_that_cannot_parse_opens_a_session_202(registry, repo, params):
    # The spec: a registry unable to mount SHOULD answer 202; containerd takes any other
    # answer for a failed push. The session works like any other.
    r = registry.start_upload(repo, **params)
    assert r.status_code == 202, r.text
    data = body(1000)
    r = registry.finish_upload(r.headers["Location"], images.sha256(data), data)
    assert r.status_code == 201, r.text
    assert_blob(registry, repo, data)


@pytest.mark.pier_only
def test_a_mount_from_a_source_that_does_not_parse_is_not_a_mount_from_anywhere(registry, repo):
    data = body(5000)
    registry.push_blob(repo + "/source", data)
    r = registry.start_upload(repo + "/target", mount=images.sha256(data), **{"from": "Bad Name"})
    assert r.status_code == 202, r.text
    assert registry.head_blob(repo + "/target", images.sha256(data)).status_code == 404


@pytest.mark.pier_only
def test_mount_without_from_finds_a_blob_anywhere_in_the_registry_201(registry, repo):
    data = body(5000)
    registry.push_blob(repo + "/source", data)
    r = registry.start_upload(repo + "/anywhere", mount=images.sha256(data))
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == images.sha256(data)
    assert_blob(registry, repo + "/anywhere", data)


def test_chunked_patches_report_growing_range_and_put_completes(registry, repo):
    data = body(250_000)
    loc = registry.upload_url(repo)
    for start in range(0, len(data), 100_000):
        chunk = data[start : start + 100_000]
        r = registry.patch_chunk(loc, chunk, start)
        assert r.status_code == 202, r.text
        assert r.headers["Range"] == f"0-{start + len(chunk) - 1}"
        assert r.headers["Docker-Upload-UUID"]
        loc = r.headers["Location"]
    r = registry.finish_upload(loc, images.sha256(data))
    assert r.status_code == 201, r.text
    assert_blob(registry, repo, data)


@pytest.mark.pier_only
def test_out_of_order_chunk_is_rejected_with_416(registry, repo):
    # distribution 2.8.2 ignores Content-Range and appends.
    data = body(20_000)
    loc = registry.upload_url(repo)
    r = registry.patch_chunk(loc, data[:10_000], 0)
    assert r.status_code == 202
    loc = r.headers["Location"]
    r = registry.patch_chunk(loc, data[15_000:], 15_000)
    assert_error(r, 416)
    # The 416 says where the session ends and where it lives, so the client resumes from
    # there without asking.
    assert r.headers["Range"] == "0-9999"
    assert r.headers["Location"] and r.headers["Docker-Upload-UUID"]
    r = registry.put(
        loc, params={"digest": images.sha256(data)}, data=data[12_000:],
        headers={"Content-Range": f"12000-{len(data) - 1}", "Content-Type": "application/octet-stream"})
    assert_error(r, 416)
    assert r.headers["Range"] == "0-9999"
    # The session is still at 10 000 bytes and can be finished correctly.
    st = registry.get(loc)
    assert st.status_code == 204 and st.headers["Range"] == "0-9999"
    r = registry.patch_chunk(loc, data[10_000:], 10_000)
    assert r.status_code == 202, r.text
    assert registry.finish_upload(r.headers["Location"], images.sha256(data)).status_code == 201
    assert_blob(registry, repo, data)


@pytest.mark.pier_only
@pytest.mark.parametrize("sent", [5, 9, 0], ids=["short", "long", "none"])
def test_a_chunk_without_content_length_must_fill_the_span_its_content_range_claims(registry, repo, sent):
    # A chunked body (or none) has no Content-Length to hold against Content-Range, so the
    # span itself is the declared length: a body of another length is refused, and the
    # session keeps only what it had acknowledged. distribution 2.8.2 ignores the header.
    data = body(20)
    loc = registry.upload_url(repo)
    r = registry.patch_chunk(loc, data[:4], 0)
    assert r.status_code == 202 and r.headers["Range"] == "0-3"
    loc = r.headers["Location"]
    pieces = iter([data[4 : 4 + sent]] if sent else [])
    r = registry.patch(loc, data=pieces, headers={"Content-Range": "4-10", "Content-Type": "application/octet-stream"})
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert_error(r, 400, "BLOB_UPLOAD_INVALID")
    st = registry.get(loc)
    assert st.status_code == 204 and st.headers["Range"] == "0-3", st.headers
    # The same span filled exactly, chunked as well, is appended.
    r = registry.patch(loc, data=iter([data[4:8], data[8:11]]), headers={"Content-Range": "4-10", "Content-Type": "application/octet-stream"})
    assert r.status_code == 202 and r.headers["Range"] == "0-10", r.text
    r = registry.finish_upload(r.headers["Location"], images.sha256(data), data[11:])
    assert r.status_code == 201, r.text
    assert_blob(registry, repo, data)


def test_streamed_patch_with_chunked_transfer_encoding(registry, repo):
    data = body(1 * MiB + 123)
    loc = registry.upload_url(repo)
    pieces = (data[i : i + 65536] for i in range(0, len(data), 65536))
    r = registry.patch(loc, data=pieces, headers={"Content-Type": "application/octet-stream"})
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in r.request.headers and "Content-Range" not in r.request.headers
    assert r.status_code == 202, r.text
    assert r.headers["Range"] == f"0-{len(data) - 1}"
    assert registry.finish_upload(r.headers["Location"], images.sha256(data)).status_code == 201
    assert_blob(registry, repo, data)


def test_put_with_final_chunk_in_body_completes_upload(registry, repo):
    data = body(50_000)
    loc = registry.upload_url(repo)
    r = registry.patch_chunk(loc, data[:30_000], 0)
    assert r.status_code == 202
    r = registry.finish_upload(r.headers["Location"], images.sha256(data), data[30_000:])
    assert r.status_code == 201, r.text
    assert_blob(registry, repo, data)


def test_upload_status_reports_range_and_upload_resumes_from_it(registry, repo):
    data = body(90_000)
    loc = registry.upload_url(repo)
    r = registry.patch_chunk(loc, data[:40_000], 0)
    assert r.status_code == 202
    loc = r.headers["Location"]
    st = registry.get(loc)
    assert st.status_code == 204
    assert st.headers["Range"] == "0-39999"
    assert st.headers["Docker-Upload-UUID"]
    offset = int(st.headers["Range"].split("-")[1]) + 1
    loc = st.headers.get("Location", loc)
    r = registry.patch_chunk(loc, data[offset:], offset)
    assert r.status_code == 202, r.text
    assert registry.finish_upload(r.headers["Location"], images.sha256(data)).status_code == 201
    assert_blob(registry, repo, data)


def test_cancelled_upload_is_gone_404_blob_upload_unknown(registry, repo):
    loc = registry.upload_url(repo)
    r = registry.patch_chunk(loc, b"partial", 0)
    loc = r.headers["Location"]
    r = registry.delete(loc)
    assert r.status_code == 204
    assert r.headers["Docker-Upload-UUID"] == urlsplit(registry.abs(loc)).path.rstrip("/").rsplit("/", 1)[1]
    assert_error(registry.get(loc), 404, "BLOB_UPLOAD_UNKNOWN")


@pytest.mark.parametrize("mode", ["monolithic", "chunked"])
def test_digest_mismatch_is_400_digest_invalid_and_blob_not_visible(registry, repo, mode):
    data, claimed = body(20_000), images.sha256(b"something else")
    loc = registry.upload_url(repo)
    if mode == "chunked":
        r = registry.patch_chunk(loc, data, 0)
        assert r.status_code == 202
        r = registry.finish_upload(r.headers["Location"], claimed)
    else:
        r = registry.finish_upload(loc, claimed, data)
    assert_error(r, 400, "DIGEST_INVALID")
    assert registry.head_blob(repo, claimed).status_code == 404
    assert registry.head_blob(repo, images.sha256(data)).status_code == 404


def test_malformed_digest_parameter_is_400(registry, repo):
    loc = registry.upload_url(repo)
    r = registry.put(loc, params={"digest": "sha256:nothex"}, data=b"x")
    assert_error(r, 400, "DIGEST_INVALID")


@pytest.mark.pier_only
def test_expect_100_continue_gets_interim_response_before_the_body(registry, server, repo):
    data = body(100_000)
    loc = urlsplit(registry.abs(registry.upload_url(repo)))
    path = f"{loc.path}?{loc.query + '&' if loc.query else ''}digest={images.sha256(data)}"
    with RawConnection(server.host) as conn:
        conn.send_head("PUT", path, {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(len(data)),
            "Expect": "100-continue",
        })
        status, _ = conn.read_head()
        assert status.startswith("HTTP/1.1 100"), status
        conn.send(data)
        status, headers = conn.read_head()
        assert status.startswith("HTTP/1.1 201"), status
        assert headers["docker-content-digest"] == images.sha256(data)
    assert_blob(registry, repo, data)
