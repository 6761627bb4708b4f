"""Three stateless Pier instances on one SeaweedFS bucket, alone and behind nginx
round-robin: any instance continues any upload, concurrent pushes of one tag end with
one tag, every instance lists the same catalog and tags, and every read after a write
through another instance sees the write at once."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time

import pytest

from harness import Registry, images
from harness.client import assert_error
from harness.nginx import Nginx, nginx_bin
from harness.server import free_port
from harness.tools import in_ci, require_tool, run

pytestmark = pytest.mark.pier_only

MiB = 1024 * 1024


@pytest.fixture
def cluster(make_server, seaweedfs, tmp_path):
    """(instances, nginx Registry): three Pier on one bucket and nginx in front."""
    if nginx_bin() is None:
        if in_ci():
            pytest.fail("nginx not installed")
        pytest.skip("nginx not installed")
    bucket = seaweedfs.new_bucket()
    # http.secret shared as a distribution deployment would; Pier keeps sessions in the
    # bucket, so it needs none, but must accept the setting.
    config = {"storage": {"s3": seaweedfs.s3_config(bucket), "redirect": {"disable": True}},
              "http": {"secret": "a-secret-shared-by-every-instance"}}
    instances = [make_server("pier", config=config) for _ in range(3)]
    port = free_port()
    upstreams = "\n".join(f"        server {srv.host};" for srv in instances)
    nginx = Nginx(tmp_path / "nginx", f"""
    upstream pier {{
{upstreams}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 0;
        location / {{
            proxy_pass http://pier;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 300;
        }}
    }}
""", [port]).start()
    yield instances, Registry(f"http://127.0.0.1:{port}"), f"127.0.0.1:{port}"
    nginx.stop()


def on(srv, location: str) -> str:
    """The same upload URL, addressed to another instance."""
    path = location.split("://", 1)[-1].split("/", 1)[1]
    return f"{srv.url}/{path}"


def test_each_request_of_a_chunked_upload_may_land_on_another_instance(cluster):
    instances, _, _ = cluster
    a, b, c = (Registry(srv.url) for srv in instances)
    data = images.random_bytes(6 * MiB + 1 * MiB + 3 * MiB + 12345)
    cuts = [0, 6 * MiB, 7 * MiB, 10 * MiB, len(data)]
    loc = a.upload_url("scale/chunked")
    for i, target in enumerate([b, c, a, b]):
        start, end = cuts[i], cuts[i + 1]
        r = target.patch_chunk(on(instances[[a, b, c].index(target)], loc), data[start:end], start)
        assert r.status_code == 202, r.text
        assert r.headers["Range"] == f"0-{end - 1}"
        loc = r.headers["Location"]
        # Every instance reports the same progress.
        for other in (a, b, c):
            status = other.get(on(instances[[a, b, c].index(other)], loc))
            assert status.status_code == 204 and status.headers["Range"] == f"0-{end - 1}"
    # A chunk out of order is refused wherever it arrives.
    assert c.patch_chunk(on(instances[2], loc), b"x", 5).status_code == 416
    final = c.finish_upload(on(instances[2], loc), images.sha256(data))
    assert final.status_code == 201, final.text
    for reg in (a, b, c):
        assert reg.get_blob("scale/chunked", images.sha256(data)).content == data


def begin_patch(srv, location: str, data: bytes) -> socket.socket:
    """A PATCH of `data` at offset 0 sent to `srv` but for its last byte."""
    host, port = srv.host.rsplit(":", 1)
    conn = socket.create_connection((host, int(port)), timeout=60)
    path = "/" + location.split("://", 1)[-1].split("/", 1)[1]
    head = (f"PATCH {path} HTTP/1.1\r\nHost: {srv.host}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Range: 0-{len(data) - 1}\r\nContent-Length: {len(data)}\r\n\r\n")
    conn.sendall(head.encode() + data[:-1])
    return conn


def end_patch(conn: socket.socket, data: bytes) -> bytes:
    """Sends the last byte; the response's status line."""
    conn.sendall(data[-1:])
    answer = b""
    while b"\r\n" not in answer:
        answer += conn.recv(4096)
    conn.close()
    return answer.split(b"\r\n", 1)[0]


def test_two_instances_writing_one_offset_never_put_the_wrong_bytes_under_a_digest(cluster):
    """Two PATCHes of one session at one offset reach two instances at once: the session keeps
    the bytes saved last, and the instance whose bytes were replaced no longer trusts the hash
    it kept, so completing with that hash's digest is refused and nothing is stored under a
    digest its bytes do not have (else anyone could plant bytes under a base layer's digest)."""
    instances, _, _ = cluster
    a = Registry(instances[0].url)
    x, y = images.random_bytes(200_000), images.random_bytes(200_000)
    loc = a.upload_url("scale/race")
    first = begin_patch(instances[0], loc, x)
    second = begin_patch(instances[1], loc, y)
    time.sleep(3.0)  # both instances have opened the session at size 0
    assert end_patch(first, x).startswith(b"HTTP/1.1 202")
    assert end_patch(second, y).startswith(b"HTTP/1.1 202")
    r = a.finish_upload(on(instances[0], loc), images.sha256(x))
    assert_error(r, 400, "DIGEST_INVALID")
    for srv in instances:
        assert Registry(srv.url).get_blob("scale/race", images.sha256(x)).status_code == 404
    # The real bytes pushed later are stored as they are.
    assert a.push_blob("scale/race", x).status_code == 201
    assert Registry(instances[1].url).get_blob("scale/race", images.sha256(x)).content == x


def test_a_chunked_upload_through_the_round_robin_completes(cluster):
    instances, front, _ = cluster
    data = images.random_bytes(23 * MiB + 7)
    # Nine requests (POST, seven PATCHes, PUT) spread over three instances by nginx.
    r = front.push_blob("scale/front", data, mode="chunked", chunk=3 * MiB + 1)
    assert r.status_code == 201, r.text
    logs = [srv.log for srv in instances]
    assert all("PATCH /v2/scale/front/blobs/uploads/" in log for log in logs), "nginx spread the PATCHes"
    for srv in instances:
        assert Registry(srv.url).get_blob("scale/front", images.sha256(data)).content == data


def test_clients_push_through_the_round_robin_and_pull_from_every_instance(cluster, tmp_path):
    require_tool("skopeo")
    instances, _, front = cluster
    img = images.image(3, layer_size=6 * MiB)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{tmp_path}/src:v1", f"docker://{front}/scale/skopeo:v1"])
    for i, srv in enumerate(instances):
        assert Registry(srv.url).get_manifest("scale/skopeo", "v1").content == img.data
        run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{srv.host}/scale/skopeo:v1", f"oci:{tmp_path}/out{i}:v1"])
        assert images.oci_layout_descriptor(tmp_path / f"out{i}", "v1")["digest"] == img.digest
    # The scenario: skopeo deletes through one instance, and inspect through each
    # of the others, right after, finds nothing; a push of a new `latest` through one is
    # what the others serve at once.
    a, b, c = instances
    run(["skopeo", "delete", "--tls-verify=false", f"docker://{a.host}/scale/skopeo:v1"])
    for srv in (b, c):
        gone = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{srv.host}/scale/skopeo:v1"],
                              capture_output=True, text=True, timeout=120)
        assert gone.returncode != 0 and "manifest unknown" in gone.stderr.lower(), gone.stderr
    for i, srv in enumerate((a, b)):
        latest = images.image(1)
        images.write_oci_layout(tmp_path / f"latest{i}", latest, "latest")
        run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{tmp_path}/latest{i}:latest", f"docker://{srv.host}/scale/skopeo:latest"])
        for other in instances:
            raw = run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{other.host}/scale/skopeo:latest"])
            assert raw.encode().rstrip(b"\n") == latest.data


def test_concurrent_pushes_of_one_tag_from_different_instances_end_with_one_tag(cluster):
    instances, _, _ = cluster
    regs = [Registry(srv.url) for srv in instances]
    for round_ in range(3):
        pushed = [images.image(1) for _ in regs]
        for reg, img in zip(regs, pushed):
            for blob in img.blobs:
                assert reg.push_blob("scale/race", blob).status_code == 201
        barrier = threading.Barrier(len(regs))
        results = []

        def put(reg, img):
            barrier.wait()
            results.append(reg.put_manifest("scale/race", "latest", img).status_code)

        threads = [threading.Thread(target=put, args=pair) for pair in zip(regs, pushed)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert results == [201, 201, 201]
        digests = {reg.head_manifest("scale/race", "latest").headers["Docker-Content-Digest"] for reg in regs}
        assert len(digests) == 1, f"round {round_}: instances disagree: {digests}"
        assert digests <= {img.digest for img in pushed}
        winner = digests.pop()
        for reg in regs:
            assert reg.tags("scale/race") == ["latest"]
            assert images.sha256(reg.get_manifest("scale/race", "latest").content) == winner


def test_catalog_and_tags_are_the_same_on_every_instance(cluster):
    instances, front, _ = cluster
    regs = [Registry(srv.url) for srv in instances]
    # Every instance has built its catalog before the others write.
    for reg in regs:
        assert reg.catalog() == []
    names = [f"scale/cat/r{i:02d}" for i in range(12)] + ["scale/deep/a/b/c"]
    for i, name in enumerate(names):
        assert regs[i % 3].push(name, f"t{i}", images.image(1)).status_code == 201
        assert front.push(name, "shared", images.image(1)).status_code == 201
    # Listed everywhere at once: each instance reads the others' catalog journal.
    assert [reg.catalog() for reg in regs] == [sorted(names)] * 3
    # Paged the same way everywhere.
    pages = [reg.paginate("/v2/_catalog", "repositories", n=5)[1] for reg in regs]
    assert pages[0] == pages[1] == pages[2] and len(pages[0]) == 3
    for i, name in enumerate(names):
        for reg in regs:
            assert reg.tags(name) == sorted([f"t{i}", "shared"])
    # A tag deleted on one instance is gone from every instance's list.
    digest = regs[0].head_manifest(names[0], f"t0").headers["Docker-Content-Digest"]
    assert regs[1].delete(f"/v2/{names[0]}/manifests/{digest}").status_code == 202
    for reg in regs:
        assert reg.tags(names[0]) == ["shared"]


def test_every_read_after_a_write_through_another_instance_sees_the_write(cluster):
    """No trusted lifetime on shared storage: the next request after a 201 or 202, on any
    instance, sees the change (tags, moves, tag lists, deletes and the catalog)."""
    instances, _, _ = cluster
    a, b, c = (Registry(srv.url) for srv in instances)
    # Every instance has read (and would cache) the state before each write.
    for reg in (a, b, c):
        assert reg.catalog() == []
    first, second = images.image(1), images.image(1)
    assert a.push("fresh/app", "v1", first).status_code == 201
    for reg in (b, c):
        assert reg.catalog() == ["fresh/app"]
        assert reg.head_manifest("fresh/app", "v1").headers["Docker-Content-Digest"] == first.digest
        assert reg.tags("fresh/app") == ["v1"]
    # A tag moved on one instance is seen moved on the others.
    assert b.push("fresh/app", "v1", second).status_code == 201
    for reg in (a, c):
        assert reg.head_manifest("fresh/app", "v1").headers["Docker-Content-Digest"] == second.digest
        assert reg.get_manifest("fresh/app", "v1").content == second.data
    # A new tag is listed everywhere at once.
    assert c.put_manifest("fresh/app", "v2", first).status_code == 201
    for reg in (a, b):
        assert reg.tags("fresh/app") == ["v1", "v2"]
    # A tag deleted on one instance is gone from the others.
    assert a.delete("/v2/fresh/app/manifests/v2").status_code == 202
    for reg in (b, c):
        assert reg.head_manifest("fresh/app", "v2").status_code == 404
        assert reg.tags("fresh/app") == ["v1"]
    # A manifest deleted by digest is gone, by digest and by every tag, everywhere.
    assert b.delete(f"/v2/fresh/app/manifests/{second.digest}").status_code == 202
    for reg in (a, c):
        assert reg.head_manifest("fresh/app", second.digest).status_code == 404
        assert reg.head_manifest("fresh/app", "v1").status_code == 404
    # A second new repository, created through a mount, is listed at once too.
    assert c.start_upload("fresh/other", mount=first.blobs[0].digest, **{"from": "fresh/app"}).status_code == 201
    for reg in (a, b):
        assert reg.catalog() == ["fresh/app", "fresh/other"]


def test_buildah_pushes_through_the_round_robin_and_podman_pulls_from_every_instance(cluster, tmp_path):
    """The client scenario set of test_clients.py through three instances: buildah pushes
    through nginx (its blobs and manifest land on different instances), podman pulls the
    same image, by the same digest, from each instance, and pushes it back through the
    round robin under a new name."""
    from test_clients import _RUNROOTS, buildah, podman
    request_cleanup = list(_RUNROOTS)  # podman's run roots made here are removed at the end
    require_tool("buildah")
    require_tool("podman")
    instances, front_registry, front = cluster
    base = tmp_path / "buildah"
    (tmp_path / "hello.txt").write_text("hello from the round robin\n")
    ctr = buildah(base, "from", "scratch")
    buildah(base, "copy", ctr, str(tmp_path / "hello.txt"), "/hello.txt")
    image_id = buildah(base, "commit", "--format", "oci", "--quiet", ctr, "localhost/e2e/rr:latest").splitlines()[-1]
    buildah(base, "push", "--tls-verify=false", "--digestfile", str(tmp_path / "digest"),
            "localhost/e2e/rr:latest", f"docker://{front}/scale/rr:v1")
    pushed = (tmp_path / "digest").read_text().strip()
    for i, srv in enumerate(instances):
        pbase = tmp_path / f"podman{i}"
        podman(pbase, "pull", "--tls-verify=false", f"{srv.host}/scale/rr:v1")
        info = json.loads(podman(pbase, "image", "inspect", f"{srv.host}/scale/rr:v1"))[0]
        assert info["Id"] == image_id and info["Digest"] == pushed
    podman(tmp_path / "podman0", "push", "--tls-verify=false", f"{instances[0].host}/scale/rr:v1", f"docker://{front}/scale/rr-copy:v1")
    for srv in instances:
        got = Registry(srv.url).get_manifest("scale/rr-copy", "v1")
        assert got.status_code == 200 and got.json()["config"]["digest"] == "sha256:" + image_id
    import shutil
    for key in [k for k in _RUNROOTS if k not in request_cleanup]:
        shutil.rmtree(_RUNROOTS.pop(key), ignore_errors=True)
