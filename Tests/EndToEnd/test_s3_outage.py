"""Pier on S3 when the object store goes away and comes back, in the middle of pushes and pulls:
every request answered promptly with the spec's 503 UNAVAILABLE (or exactly what it answered
before), nothing half-written ever visible, every object in the bucket hashing to its key, and
the same Pier process (same PID) serving everything again as soon as the store is back.

Extends test_s3.py's two outage tests (a streamed PATCH and a big streamed GET cut by the store
dying); this file covers the rest of the API, monolithic pushes to the final key, a chunked push
whose chunk is cut half-way and resumed, a ranged pull resumed from where it was cut, and a
re-hash of every blob in the bucket afterwards.

Runs in the first stage of scripts/test.sh (plain `pytest Tests/EndToEnd`), like test_s3*.py:
each test starts a SeaweedFS of its own (it kills it), so it is not one of the --storage=s3 files.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from harness import Registry, SizedStream, assert_error, images
from harness.client import error_codes
from harness.seaweed import SeaweedFS
from test_s3 import private_seaweedfs, s3_storage  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.pier_only

MiB = 1024 * 1024
BASE = "docker/registry/v2"
# docs/storage.md: three retries with backoff, at most 15 s in all, then 503.
PROMPT = 30.0


# ---- helpers ----------------------------------------------------------------------------


def assert_unavailable(resp: requests.Response, what: str) -> None:
    """503 in the spec's error shape: {"errors": [{"code": "UNAVAILABLE", "message": ...}]}
    (a HEAD carries no body)."""
    assert resp.status_code == 503, f"{what}: expected 503, got {resp.status_code}: {resp.text[:300]}"
    if resp.request.method == "HEAD":
        return
    assert resp.headers.get("Content-Type", "").startswith("application/json"), (what, resp.headers)
    errors = resp.json().get("errors")
    assert isinstance(errors, list) and errors, (what, resp.text)
    assert errors[0].get("code") == "UNAVAILABLE" and isinstance(errors[0].get("message"), str), (what, errors)


def assert_unavailable_or(resp: requests.Response, what: str, ok) -> None:
    """A read during the outage: a clean 503, or (served from memory) exactly the answer it
    gave before; never a 404 (the content is not unknown) and never a 500."""
    if resp.status_code == 503:
        assert_unavailable(resp, what)
    else:
        assert ok(resp), f"{what}: neither 503 nor the pre-outage answer: {resp.status_code} {resp.text[:300]}"


def session_id(location: str) -> str:
    return location.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def upload_range(reg: Registry, location: str) -> tuple[int, str]:
    """(bytes the server holds, Location) of an upload session, per GET on it."""
    r = reg.get(location)
    assert r.status_code == 204, (r.status_code, r.text)
    end = int(r.headers["Range"].split("-")[1])
    return end + 1, r.headers.get("Location", location)


def assert_bucket_intact(sw: SeaweedFS, bucket: str, finished_sessions=(), expected=()) -> dict[str, int]:
    """Every blob object re-read and re-hashed to the digest its key names; every link of a
    repository names a blob that exists (and the digest its own path names); nothing left of
    sessions that were committed; every digest in `expected` present. Returns hex -> size."""
    c = sw.client()
    keys = sw.keys(bucket)
    blobs: dict[str, int] = {}
    for key in keys:
        m = re.fullmatch(rf"{BASE}/blobs/sha256/([0-9a-f]{{2}})/([0-9a-f]{{64}})/data", key)
        if not m:
            continue
        assert m.group(1) == m.group(2)[:2], key
        sha, size = hashlib.sha256(), 0
        for piece in c.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(MiB):
            sha.update(piece)
            size += len(piece)
        assert sha.hexdigest() == m.group(2), f"corrupt object {key}: its bytes hash to sha256:{sha.hexdigest()}"
        blobs[m.group(2)] = size
    for key in keys:
        if not key.endswith("/link") or not re.search(r"/(_layers|_manifests)/", key):
            continue
        link = c.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", link), (key, link)
        assert link[7:] in blobs, f"{key} links {link}, which is not in the bucket"
        named = re.search(r"/sha256/([0-9a-f]{64})/link$", key)
        if named:
            assert named.group(1) == link[7:], (key, link)
    for sid in finished_sessions:
        assert not [k for k in keys if f"/_uploads/{sid}/" in k], f"committed session {sid} left objects"
    for digest in expected:
        assert digest.split(":")[1] in blobs, f"acknowledged {digest} missing from the bucket"
    return blobs


def slices(data: bytes, step: int = MiB):
    return (data[i:i + step] for i in range(0, len(data), step))


def killing_at(sw: SeaweedFS, data: bytes, at: int, sent: dict):
    """The body `data` in 1 MiB pieces; the store is killed before the piece at `at`."""
    for i in range(0, len(data), MiB):
        if i == at:
            sw.kill()
        sent["bytes"] = i
        yield data[i:i + MiB]


def run_cut(request_fn) -> dict:
    """Runs a request whose store dies under it; returns {"status", "response"} or {"error"}."""
    outcome: dict = {}

    def go():
        try:
            r = request_fn()
            outcome.update(status=r.status_code, response=r)
        except requests.RequestException as e:  # a reset connection is a clean failure too
            outcome["error"] = repr(e)

    t = threading.Thread(target=go)
    t.start()
    t.join(180)
    assert not t.is_alive(), "the request hung while the store was down"
    if "status" in outcome:
        assert_unavailable(outcome["response"], "request cut by the outage")
    return outcome


# ---- every endpoint while the store is down -----------------------------------------------


@pytest.mark.parametrize("redirect", [False, True], ids=["streamed", "redirect"])
def test_every_request_during_an_outage_is_a_prompt_503_changes_nothing_and_works_after_without_a_restart(
        make_server, private_seaweedfs, redirect):
    sw = private_seaweedfs
    bucket = sw.new_bucket()
    srv = make_server("pier", config=s3_storage(sw, bucket, redirect=redirect))
    pid = srv.pid
    reg = Registry(srv.url)
    repo, mounted = "s3/down", "s3/down-mounted"

    v1 = images.image(2)
    assert reg.push(repo, "v1", v1).status_code == 201
    layer = v1.blobs[1]
    v2 = images.image(1)
    for b in v2.blobs:  # only v2's manifest is left to push during the outage
        assert reg.push_blob(repo, b).status_code == 201
    # Two sessions with a part and a tail acknowledged: one to PATCH, one to commit while down.
    first_a, first_b = images.random_bytes(6 * MiB), images.random_bytes(6 * MiB)
    opened = [reg.patch_chunk(reg.upload_url(repo), first, 0) for first in (first_a, first_b)]
    assert [r.status_code for r in opened] == [202, 202]
    loc_a, loc_b = (r.headers["Location"] for r in opened)
    post_blob = images.random_bytes(7 * MiB)
    put_blob = images.random_bytes(MiB)

    sw.kill()

    octet = {"Content-Type": "application/octet-stream"}
    writes = {
        "POST ?digest= (monolithic)": lambda r: r.post(f"/v2/{repo}/blobs/uploads/", data=post_blob, headers=octet,
                                                       params={"digest": images.sha256(post_blob)}),
        "POST (open a session)": lambda r: r.start_upload(repo),
        "POST ?mount=": lambda r: r.start_upload(mounted, mount=layer.digest, **{"from": repo}),
        "PATCH a chunk": lambda r: r.patch_chunk(loc_a, images.random_bytes(1000), len(first_a)),
        "PUT commit of a session": lambda r: r.finish_upload(loc_b, images.sha256(first_b)),
        "PUT manifest, new tag": lambda r: r.put_manifest(repo, "v2", v2),
        "PUT manifest, moving a tag": lambda r: r.put_manifest(repo, "v1", v2),
        "GET upload status": lambda r: r.get(loc_a),
    }
    same_manifest = lambda r: r.status_code == 200 and r.content == v1.data  # noqa: E731
    blob_ok = (lambda r: r.status_code == 307 and r.headers["Location"].startswith(sw.endpoint + "/")) if redirect \
        else (lambda r: r.status_code == 200 and r.content == layer.data)
    reads = {
        "GET manifest by tag": (lambda r: r.get_manifest(repo, "v1"), same_manifest),
        "GET manifest by digest": (lambda r: r.get_manifest(repo, v1.digest), same_manifest),
        "HEAD manifest": (lambda r: r.head_manifest(repo, "v1"),
                          lambda r: r.status_code == 200 and r.headers["Docker-Content-Digest"] == v1.digest),
        "GET blob": (lambda r: r.get(f"/v2/{repo}/blobs/{layer.digest}"), blob_ok),
        "HEAD blob": (lambda r: r.head(f"/v2/{repo}/blobs/{layer.digest}"),
                      lambda r: r.status_code in (200, 307) and r.headers["Docker-Content-Digest"] == layer.digest),
        "GET tags/list": (lambda r: r.get(f"/v2/{repo}/tags/list"),
                          lambda r: r.status_code == 200 and r.json()["tags"] == ["v1"]),
        "GET _catalog": (lambda r: r.get("/v2/_catalog"),
                         lambda r: r.status_code == 200 and repo in r.json()["repositories"]),
    }

    def timed(fn):
        started = time.monotonic()
        resp = fn(Registry(srv.url, timeout=60))  # a session per thread
        return resp, time.monotonic() - started

    with ThreadPoolExecutor(len(writes) + len(reads)) as pool:
        w = {name: pool.submit(timed, fn) for name, fn in writes.items()}
        rd = {name: pool.submit(timed, fn) for name, (fn, _) in reads.items()}
        for name, fut in w.items():
            resp, took = fut.result()
            assert_unavailable(resp, name)
            assert took < PROMPT, f"{name} took {took:.1f}s"
        for name, fut in rd.items():
            resp, took = fut.result()
            assert_unavailable_or(resp, name, reads[name][1])
            assert took < PROMPT, f"{name} took {took:.1f}s"
    assert srv.alive() and srv.pid == pid

    sw.start()
    # Back at once, same process: nothing the outage refused became visible...
    assert srv.pid == pid
    r = reg.get_manifest(repo, "v1")
    assert r.status_code == 200 and r.content == v1.data and r.headers["Docker-Content-Digest"] == v1.digest
    assert_error(reg.get_manifest(repo, "v2"), 404, "MANIFEST_UNKNOWN")
    assert reg.head_blob(repo, images.sha256(post_blob)).status_code == 404
    assert reg.head_blob(mounted, layer.digest).status_code == 404
    assert reg.tags(repo) == ["v1"]
    # ...the sessions are as acknowledged, and every refused write now succeeds.
    assert upload_range(reg, loc_a)[0] == len(first_a)
    size_b, loc_b = upload_range(reg, loc_b)
    assert size_b == len(first_b)
    assert reg.finish_upload(loc_b, images.sha256(first_b)).status_code == 201
    rest = images.random_bytes(2 * MiB)
    r = reg.patch_chunk(loc_a, rest, len(first_a))
    assert r.status_code == 202
    assert reg.finish_upload(r.headers["Location"], images.sha256(first_a + rest)).status_code == 201
    assert reg.push_blob(repo, post_blob, mode="post").status_code == 201
    assert reg.push_blob(repo, put_blob, mode="monolithic").status_code == 201
    assert reg.start_upload(mounted, mount=layer.digest, **{"from": repo}).status_code == 201
    assert reg.put_manifest(repo, "v2", v2).status_code == 201
    assert reg.put_manifest(repo, "v1", v2).status_code == 201
    assert reg.tags(repo) == ["v1", "v2"]
    assert {repo, mounted} <= set(reg.catalog())
    for data in (first_a + rest, first_b, post_blob, put_blob, layer.data):
        assert reg.pull_stream_digest(repo, images.sha256(data)) == (images.sha256(data), len(data))
    assert reg.get_manifest(repo, "v1").content == v2.data

    acked = [images.sha256(d) for d in (first_a + rest, first_b, post_blob, put_blob)] + \
        [b.digest for b in v1.blobs + v2.blobs] + [v1.digest, v2.digest]
    assert_bucket_intact(sw, bucket, finished_sessions=[session_id(loc_a), session_id(loc_b)], expected=acked)
    assert srv.alive() and srv.pid == pid


def test_a_store_that_hangs_gets_every_small_request_a_503_within_the_retry_budget(make_server, private_seaweedfs):
    """A store that stops answering (rather than refusing) costs a small request its retry
    budget, not a minute: a load balancer's idle timeout (often 60 s) would otherwise answer
    the client with its own 504 before Pier's JSON 503."""
    import signal

    sw = private_seaweedfs
    bucket = sw.new_bucket()
    srv = make_server("pier", config=s3_storage(sw, bucket, redirect=False))
    reg = Registry(srv.url)
    repo = "s3/hung"
    v1, v2 = images.image(1), images.image(1)
    assert reg.push(repo, "v1", v1).status_code == 201
    for b in v2.blobs:
        assert reg.push_blob(repo, b).status_code == 201
    small = b"tiny"
    requests_while_hung = {
        "PUT manifest, moving a tag": lambda r: r.put_manifest(repo, "v1", v2),
        "POST (open a session)": lambda r: r.start_upload(repo),
        "POST ?digest= of 4 bytes": lambda r: r.post(f"/v2/{repo}/blobs/uploads/", data=small,
                                                     headers={"Content-Type": "application/octet-stream"},
                                                     params={"digest": images.sha256(small)}),
        "GET manifest": lambda r: r.get_manifest(repo, "v1"),
        "HEAD blob": lambda r: r.head(f"/v2/{repo}/blobs/{v1.blobs[1].digest}"),
    }
    sw.proc.send_signal(signal.SIGSTOP)
    try:
        def timed(fn):
            started = time.monotonic()
            resp = fn(Registry(srv.url, timeout=PROMPT))
            return resp, time.monotonic() - started

        with ThreadPoolExecutor(len(requests_while_hung)) as pool:
            futures = {name: pool.submit(timed, fn) for name, fn in requests_while_hung.items()}
            for name, fut in futures.items():
                resp, took = fut.result()
                assert_unavailable_or(resp, name, lambda r: r.status_code == 200)
                assert took < PROMPT, f"{name} took {took:.1f}s"
    finally:
        sw.proc.send_signal(signal.SIGCONT)
    assert reg.get_manifest(repo, "v1").status_code == 200


# ---- pushes cut by the outage ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["post", "put"])
def test_a_monolithic_push_cut_by_the_outage_publishes_nothing_at_its_final_key(make_server, private_seaweedfs, mode):
    """POST ?digest= and PUT ?digest= with the body send their parts to the blob's final key:
    a store that dies half-way must leave no object there, and the push succeeds once it is back."""
    sw = private_seaweedfs
    bucket = sw.new_bucket()
    srv = make_server("pier", config=s3_storage(sw, bucket, redirect=False))
    pid = srv.pid
    reg = Registry(srv.url)
    repo = f"s3/cut-{mode}"
    before = images.image(1)
    assert reg.push(repo, "before", before).status_code == 201

    data = images.random_bytes(30 * MiB + 7)
    digest = images.sha256(data)
    sent: dict = {}
    body = SizedStream(killing_at(sw, data, 12 * MiB, sent), len(data))
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
    if mode == "post":
        outcome = run_cut(lambda: reg.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest},
                                           data=body, headers=headers, timeout=120))
    else:
        loc = reg.upload_url(repo)
        outcome = run_cut(lambda: reg.put(loc, params={"digest": digest}, data=body, headers=headers, timeout=120))
    assert sent["bytes"] >= 12 * MiB and outcome
    assert srv.alive() and srv.pid == pid

    sw.start()
    assert reg.head_blob(repo, digest).status_code == 404
    assert not [k for k in sw.keys(bucket) if digest[7:] in k], "a cut push left an object under its digest"
    assert reg.get_manifest(repo, "before").content == before.data
    assert reg.push_blob(repo, data, mode="post" if mode == "post" else "monolithic").status_code == 201
    assert reg.pull_stream_digest(repo, digest) == (digest, len(data))
    assert_bucket_intact(sw, bucket, expected=[digest, before.digest])
    assert srv.pid == pid


@pytest.mark.parametrize("framing", ["chunked-encoding", "content-range"])
def test_a_chunked_push_spanning_the_outage_resumes_from_what_the_server_holds(make_server, private_seaweedfs, framing):
    """Chunks acknowledged before (a tail only, then one crossing a part boundary), a chunk the
    store dies under, the session asked after the store is back: it holds at least what was
    acknowledged, the client sends the rest from there, and the committed blob is exactly
    the bytes sent, all without restarting Pier."""
    sw = private_seaweedfs
    bucket = sw.new_bucket()
    srv = make_server("pier", config=s3_storage(sw, bucket, redirect=False))
    pid = srv.pid
    reg = Registry(srv.url)
    repo = "s3/span"
    data = images.random_bytes(3 * MiB + 4 * MiB + 20 * MiB + 3 * MiB + 5)
    digest = images.sha256(data)

    loc = reg.upload_url(repo)
    for start, end in ((0, 3 * MiB), (3 * MiB, 7 * MiB)):
        r = reg.patch_chunk(loc, data[start:end], start)
        assert r.status_code == 202 and r.headers["Range"] == f"0-{end - 1}"
        loc = r.headers["Location"]
    acked = 7 * MiB

    chunk = data[acked:acked + 20 * MiB]
    sent: dict = {}
    pieces = killing_at(sw, chunk, 8 * MiB, sent)
    if framing == "chunked-encoding":
        outcome = run_cut(lambda: reg.patch(loc, data=pieces, headers={"Content-Type": "application/octet-stream"},
                                            timeout=120))
    else:
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(chunk)),
                   "Content-Range": f"{acked}-{acked + len(chunk) - 1}"}
        outcome = run_cut(lambda: reg.patch(loc, data=SizedStream(pieces, len(chunk)), headers=headers, timeout=120))
    assert outcome
    # While down, the session's status is a clean 503 too, and Pier stays up.
    assert_unavailable(reg.get(loc, timeout=60), "GET upload status")
    assert srv.alive() and srv.pid == pid

    sw.start()
    held, loc = upload_range(reg, loc)
    assert acked <= held <= acked + sent["bytes"] + MiB, (acked, held, sent)
    for start in range(held, len(data), 6 * MiB):
        piece = data[start:start + 6 * MiB]
        r = reg.patch_chunk(loc, piece, start)
        assert r.status_code == 202, (start, r.status_code, r.text)
        assert r.headers["Range"] == f"0-{start + len(piece) - 1}"
        loc = r.headers["Location"]
    assert reg.finish_upload(loc, digest).status_code == 201
    assert reg.pull_stream_digest(repo, digest) == (digest, len(data))
    assert_bucket_intact(sw, bucket, finished_sessions=[session_id(loc)], expected=[digest])
    assert srv.pid == pid


# ---- pulls cut by the outage ----------------------------------------------------------------


def test_a_ranged_pull_cut_by_the_outage_resumes_from_the_cut_once_the_store_is_back(make_server, private_seaweedfs):
    """A client pulling a range (as containerd resumes layers) whose store dies mid-body gets a
    body cut short of its Content-Length, never other bytes; new pulls meanwhile are clean 503s
    (not 404: the blob is not unknown); once the store is back it resumes from the byte it
    got to and the whole blob hashes to its digest, from the same Pier."""
    sw = private_seaweedfs
    bucket = sw.new_bucket()
    srv = make_server("pier", config=s3_storage(sw, bucket, redirect=False))
    pid = srv.pid
    reg = Registry(srv.url)
    repo = "s3/pull-cut"
    # Far more than socket buffers hold (receive buffers here grow to 32 MiB), so the body
    # cannot have arrived whole before the store is killed.
    data = images.random_bytes(128 * MiB + 3)
    digest = images.sha256(data)
    img = images.image(layers=[images.Blob(data, images.OCI_LAYER)])
    assert reg.push(repo, "v1", img).status_code == 201
    path = f"/v2/{repo}/blobs/{digest}"

    offset = MiB + 1
    r = reg.get(path, headers={"Range": f"bytes={offset}-"}, stream=True, timeout=60)
    assert r.status_code == 206 and int(r.headers["Content-Length"]) == len(data) - offset
    received = bytearray(r.raw.read(2 * MiB))
    sw.kill()
    try:
        while piece := r.raw.read(MiB):
            received += piece
    except Exception:  # noqa: BLE001 - a reset or an incomplete read are both a cut body
        pass
    assert len(received) < len(data) - offset, "the body was completed while the store was down"
    assert bytes(received) == data[offset:offset + len(received)], "a cut body carried foreign bytes"

    assert_unavailable(reg.get(path, timeout=60), "GET blob while down")
    assert_unavailable(reg.get(path, headers={"Range": "bytes=0-99"}, timeout=60), "ranged GET while down")
    assert_unavailable_or(reg.get_manifest(repo, "v1"), "GET manifest while down",
                          lambda m: m.status_code == 200 and m.content == img.data)
    assert srv.alive() and srv.pid == pid

    sw.start()
    resume_at = offset + len(received)
    rest = reg.get(path, headers={"Range": f"bytes={resume_at}-"}, timeout=120)
    assert rest.status_code == 206
    assert rest.headers["Content-Range"] == f"bytes {resume_at}-{len(data) - 1}/{len(data)}"
    assert images.sha256(data[:offset] + bytes(received) + rest.content) == digest
    assert reg.pull_stream_digest(repo, digest) == (digest, len(data))
    assert_bucket_intact(sw, bucket, expected=[digest, img.digest])
    assert srv.pid == pid
