"""The pull-through mirror: upstreams by namespace prefix (and distribution's `proxy`),
cached content that outlives the upstream, one upstream fetch per object, eviction that
never breaks a shared layer. Upstreams are real: distribution 2.8.2 (plain and with
htpasswd) and a second Pier with its token server."""

import base64
import hashlib
import http.server
import json
import re
import socket
import threading
import time

import pytest
import requests

from harness.client import Registry, assert_error, error_codes
from harness.images import Blob, artifact, image, index, random_layer
from harness.server import free_port, scripted_http_server
from harness.tools import require_tool, run

pytestmark = pytest.mark.usefixtures("need_pier")


def skopeo(*args, timeout=300):
    require_tool("skopeo")
    return run(["skopeo", *args], timeout=timeout)


def mirror_config(upstream_url: str, **extra) -> dict:
    entry = {"prefix": "hub", "remoteurl": upstream_url, **extra}
    return {"mirrors": [entry], "storage": {"delete": {"enabled": True}}}


def upstream_gets(upstream, path_part: str) -> int:
    """GETs of `path_part` the upstream answered, counted in its access log."""
    log = upstream.log_path.read_text(errors="replace")
    return sum(
        1 for line in log.splitlines()
        if '"GET ' in line and path_part in line and "response completed" not in line
    )


def until_upstream_answers(request, within: float = 15.0):
    """`request()` once the mirror tries its upstream again: after a failure it leaves the
    upstream alone for a few seconds (answering from the cache meanwhile)."""
    deadline = time.monotonic() + within
    while True:
        r = request()
        if (r.status_code != 503 and "Warning" not in r.headers) or time.monotonic() > deadline:
            return r
        time.sleep(0.5)


@pytest.fixture
def upstream(make_server):
    return make_server("distribution")


def test_skopeo_pulls_through_a_prefix_while_other_namespaces_stay_local(make_server, upstream, tmp_path):
    up = Registry(upstream.url)
    img = image(layers=2, layer_size=64 * 1024)
    up.push("library/app", "v1", img)
    pier = make_server("pier", config=mirror_config(upstream.url))
    skopeo("copy", "--src-tls-verify=false", f"docker://{pier.host}/hub/library/app:v1", f"oci:{tmp_path}/out:v1")
    out = json.loads((tmp_path / "out" / "index.json").read_text())
    assert out["manifests"][0]["digest"] == img.digest
    # Served from the cache now: the upstream may go.
    upstream.stop()
    reg = Registry(pier.url)
    r = reg.get_manifest("hub/library/app", img.digest)
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == img.digest.split(":")[1]
    for blob in img.blobs:
        assert reg.get_blob("hub/library/app", blob.digest).content == blob.data
    # A local namespace beside it takes pushes; the mirrored one refuses them.
    reg.push("team/own", "v1", image())
    r = reg.start_upload("hub/library/app")
    assert_error(r, 405, "UNSUPPORTED")
    assert r.headers["Allow"] == "OPTIONS"  # RFC 9110: every 405 names what the endpoint takes
    assert_error(reg.put_manifest("hub/library/app", "v2", img), 405, "UNSUPPORTED")
    assert_error(reg.delete(f"/v2/hub/library/app/manifests/{img.digest}"), 405, "UNSUPPORTED")


def metrics_text(debug_port: int) -> str:
    return requests.get(f"http://127.0.0.1:{debug_port}/metrics", timeout=10).text


def sample(text: str, name: str, **labels) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def with_metrics(config: dict, port: int) -> dict:
    config.setdefault("http", {})["debug"] = {"addr": f"127.0.0.1:{port}", "prometheus": {"enabled": True}}
    return config


def test_one_upstream_transfer_serves_eight_concurrent_pulls_of_a_large_layer(make_server, upstream):
    up = Registry(upstream.url)
    big = random_layer(256 * 1024 * 1024)
    img = image(layers=[big])
    up.push("library/big", "v1", img)
    pier = make_server("pier", config=mirror_config(upstream.url))
    reg = Registry(pier.url, timeout=300)
    assert reg.get_manifest("hub/library/big", "v1").status_code == 200
    results: list = [None] * 8

    def pull(i: int) -> None:
        try:
            results[i] = reg.pull_stream_digest("hub/library/big", big.digest)
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = e

    threads = [threading.Thread(target=pull, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert all(r == (big.digest, big.size) for r in results), results
    assert upstream_gets(upstream, f"/blobs/{big.digest}") == 1, upstream.log[-3000:]
    # Later pulls are the cache's.
    assert reg.pull_stream_digest("hub/library/big", big.digest) == (big.digest, big.size)
    assert upstream_gets(upstream, f"/blobs/{big.digest}") == 1


def test_cached_tags_outlive_an_upstream_outage_and_fresh_tags_return_with_it(make_server, upstream):
    up = Registry(upstream.url)
    first = image(layers=1)
    up.push("library/app", "v1", first)
    up.push("library/other", "v1", image(layers=1))
    debug = free_port()
    pier = make_server("pier", config=with_metrics(mirror_config(upstream.url), debug))
    reg = Registry(pier.url)
    r = reg.get_manifest("hub/library/app", "v1")
    assert r.status_code == 200 and "Warning" not in r.headers
    for blob in first.blobs:
        assert reg.get_blob("hub/library/app", blob.digest).status_code == 200
    # A tag the upstream does not have is the client's miss, not an error of the mirror.
    assert_error(reg.get_manifest("hub/library/app", "nope"), 404, "MANIFEST_UNKNOWN")
    text = metrics_text(debug)
    assert sample(text, "pier_mirror_requests_total", result="not_found") >= 1
    assert sample(text, "pier_mirror_requests_total", result="error") == 0

    upstream.stop()
    r = reg.get_manifest("hub/library/app", "v1")
    assert r.status_code == 200 and r.headers["Docker-Content-Digest"] == first.digest
    assert "stale" in r.headers.get("Warning", "").lower(), r.headers
    assert reg.head_manifest("hub/library/app", "v1").status_code == 200
    for blob in first.blobs:
        assert reg.get_blob("hub/library/app", blob.digest).content == blob.data
    assert sample(metrics_text(debug), "pier_mirror_requests_total", result="stale") >= 2
    # What was never cached fails clearly, naming the upstream.
    missing = reg.get_manifest("hub/library/other", "v1")
    assert_error(missing, 503, "UNAVAILABLE")
    assert upstream.host in missing.text
    assert_error(reg.get_blob("hub/library/other", "sha256:" + "0" * 64), 503, "UNAVAILABLE")

    upstream.start()
    second = image(layers=1)
    up.push("library/app", "v1", second)
    r = until_upstream_answers(lambda: reg.get_manifest("hub/library/app", "v1"))
    assert r.status_code == 200 and r.headers["Docker-Content-Digest"] == second.digest
    assert "Warning" not in r.headers
    assert reg.get_manifest("hub/library/other", "v1").status_code == 200
    assert sample(metrics_text(debug), "pier_mirror_requests_total", result="miss") >= 3
    assert sample(metrics_text(debug), "pier_mirror_upstream_bytes_total") > 0


def test_an_upstream_that_refuses_connections_is_an_outage_at_once_not_after_the_connect_timeout(make_server):
    """Nothing listens at the upstream's port: the connection is refused at once, and so is
    the pull (503), instead of the client waiting out the 5 s connect timeout while the
    connection is retried."""
    pier = make_server("pier", config=mirror_config(f"http://127.0.0.1:{free_port()}"))
    reg = Registry(pier.url)
    for _ in range(2):
        started = time.monotonic()
        r = reg.get_manifest("hub/library/app", "v1")
        assert r.status_code == 503, r.text
        assert time.monotonic() - started < 2.5
        # Past the mirror's pause after a failure, so the second pull tries the upstream too.
        time.sleep(3.5)


def test_a_manifest_trickled_slower_than_the_timeout_is_an_outage_and_a_cached_tag_is_served_stale(make_server):
    """An upstream that sends a manifest a few bytes a second never trips the read timeout:
    the request and its body share one deadline (`timeout`), past which the upstream is
    down, so a cached tag answers stale at once and one never cached answers 503."""
    first = image(layers=1, layer_size=64)
    moved = image(layers=1, layer_size=64)
    trickling = threading.Event()

    class Upstream(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, body: bool):
            if not re.fullmatch(r"/v2/library/(app|other)/manifests/v1", self.path):
                self.send_error(404)
                return
            img = moved if trickling.is_set() else first
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Docker-Content-Digest", img.digest)
            self.send_header("Content-Length", str(len(img.data)))
            self.end_headers()
            if not body:
                return
            if not trickling.is_set():
                self.wfile.write(img.data)
                return
            try:
                for i in range(0, len(img.data), 6):
                    self.wfile.write(img.data[i:i + 6])
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass  # the mirror gave up and closed the connection

        def do_GET(self):
            self.answer(True)

        def do_HEAD(self):
            self.answer(False)

    with scripted_http_server(Upstream) as url:
        pier = make_server("pier", config=mirror_config(url, timeout="2s"))
        reg = Registry(pier.url)
        assert reg.get_manifest("hub/library/app", "v1").content == first.data
        trickling.set()  # the tag moves upstream, and its new manifest trickles
        started = time.monotonic()
        r = reg.get_manifest("hub/library/app", "v1")
        assert time.monotonic() - started < 10
        assert r.status_code == 200 and r.content == first.data, r.text
        assert r.headers.get("Warning", "").startswith('299 - "Response is Stale'), r.headers
        time.sleep(3.5)  # past the mirror's pause after a failure
        started = time.monotonic()
        r = reg.get_manifest("hub/library/other", "v1")
        assert time.monotonic() - started < 10
        assert_error(r, 503, "UNAVAILABLE")


def mirrored_blob(make_server, upstream, repo: str, size: int):
    """A layer of `size` bytes held upstream under `repo`, a mirror in front of it, and the
    layer's URL through the mirror."""
    layer = random_layer(size)
    Registry(upstream.url).push(repo, "v1", image(layers=[layer]))
    pier = make_server("pier", config=mirror_config(upstream.url))
    return layer, pier, f"{pier.url}/v2/hub/{repo}/blobs/{layer.digest}"


def test_the_first_pull_of_a_blob_relayed_from_the_upstream_is_a_pull_event_as_later_ones_are(make_server, upstream):
    """The client a blob is relayed to as it arrives read it from the relay, not the store,
    and no pull event was sent for it: notification receivers counting pulls missed the
    first of every blob."""
    from harness.receiver import Receiver

    receiver = Receiver().start()
    layer = random_layer(256 * 1024)
    Registry(upstream.url).push("library/counted", "v1", image(layers=[layer]))
    endpoint = {"name": "pulls", "url": receiver.url("/events"), "timeout": "2s", "backoff": "200ms"}
    pier = make_server("pier", config={**mirror_config(upstream.url), "notifications": {"endpoints": [endpoint]}})
    url = f"{pier.url}/v2/hub/library/counted/blobs/{layer.digest}"
    for _ in range(2):
        r = requests.get(url, timeout=60)
        assert r.status_code == 200 and r.content == layer.data

    def blob_pulls(requests_: list[dict]) -> list[dict]:
        return [e for r in requests_ for e in r["json"]["events"]
                if e["action"] == "pull" and e["target"]["digest"] == layer.digest]

    pulls = receiver.wait_for(lambda got: len(blob_pulls(got)) >= 2 and blob_pulls(got), timeout=30)
    time.sleep(0.5)
    pulls = blob_pulls(receiver.accepted())
    receiver.stop()
    assert len(pulls) == 2, pulls
    assert all(p["target"]["repository"] == "hub/library/counted" and p["target"]["size"] == len(layer.data) for p in pulls)


def test_an_upstream_killed_in_the_middle_of_a_blob_leaves_nothing_cached(make_server, upstream):
    big, pier, url = mirrored_blob(make_server, upstream, "library/cut", 128 * 1024 * 1024)
    response = requests.get(url, stream=True, timeout=60)
    assert response.status_code == 200 and int(response.headers["Content-Length"]) == big.size
    stream = response.raw
    received = len(stream.read(1024 * 1024))
    # The client stops reading: the transfer waits for it a few MiB ahead, then the upstream
    # dies. Soon: after 2 s of a client that does not read, the transfer reads on without it,
    # and 128 MiB take a fraction of a second, so a late kill would find the blob whole.
    time.sleep(0.2)
    upstream.kill()
    with pytest.raises(Exception):
        while True:
            chunk = stream.read(1024 * 1024)
            if not chunk:
                break
            received += len(chunk)
        if received != big.size:
            raise IOError(f"short body: {received} of {big.size}")
    response.close()
    hex_digest = big.digest.split(":")[1]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        partial = [p for p in pier.root.rglob("*") if p.is_file() and (hex_digest in str(p) or p.parent.name.endswith("_uploads"))]
        blobs = list(pier.root.rglob(f"blobs/sha256/{hex_digest[:2]}/{hex_digest}/data"))
        if not blobs:
            break
        time.sleep(0.2)
    assert not blobs, "a cut transfer left a blob in the cache"
    assert not [p for p in pier.root.rglob("_uploads/*/data") if p.stat().st_size > 0], "an upload session was left behind"
    r = requests.get(url, timeout=30)
    assert r.status_code == 503
    upstream.start()
    reg = Registry(pier.url, timeout=300)
    until_upstream_answers(lambda: reg.head_blob("hub/library/cut", big.digest))
    assert reg.pull_stream_digest("hub/library/cut", big.digest) == (big.digest, big.size)


def test_a_range_asked_first_is_answered_and_the_whole_blob_is_still_cached(make_server, upstream):
    big, pier, url = mirrored_blob(make_server, upstream, "library/ranged", 8 * 1024 * 1024)
    # The first request for the blob is ranged (a resumed download): 206 with those bytes.
    r = requests.get(url, headers={"Range": "bytes=1000000-2999999"}, timeout=60)
    assert r.status_code == 206, r.text
    assert r.headers["Content-Range"] == f"bytes 1000000-2999999/{big.size}"
    assert r.content == big.data[1000000:3000000]
    # The transfer went on after the range was sent: the whole blob is cached and verified.
    reg = Registry(pier.url)
    deadline = time.monotonic() + 30
    while not list(pier.root.rglob(f"blobs/sha256/{big.digest.split(':')[1][:2]}/*/data")) and time.monotonic() < deadline:
        time.sleep(0.2)
    upstream.stop()
    assert reg.pull_stream_digest("hub/library/ranged", big.digest) == (big.digest, big.size)
    assert upstream_gets(upstream, big.digest) == 1


def test_a_slow_first_client_never_holds_back_the_transfer_another_client_waits_for(make_server, upstream):
    """A first client on a slow link (64 KiB a tenth of a second) is relayed what it can take,
    then detached: the upstream is read at its own rate, a second client gets the whole blob
    from the cache at once, and the first gets the rest of its answer from the cache too."""
    big, pier, url = mirrored_blob(make_server, upstream, "library/slowlink", 32 * 1024 * 1024)
    path = url.split(pier.url, 1)[1]
    host, port = pier.host.rsplit(":", 1)
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    slow.settimeout(120)
    slow.connect((host, int(port)))
    slow.sendall(f"GET {path} HTTP/1.1\r\nHost: {pier.host}\r\nConnection: close\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += slow.recv(4096)
    head, body = head.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200"), head
    received = hashlib.sha256(body)
    count = len(body)
    fast = threading.Event()
    done = threading.Event()

    def read_slowly():
        nonlocal count
        while True:
            chunk = slow.recv(64 * 1024)
            if not chunk:
                break
            received.update(chunk)
            count += len(chunk)
            if not fast.is_set():
                time.sleep(0.1)
        done.set()

    reader = threading.Thread(target=read_slowly, daemon=True)
    reader.start()
    try:
        # At the slow client's pace the blob would take close to a minute.
        r = requests.get(url, timeout=30)
        assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == big.digest.split(":")[1]
        assert count < big.size // 2, "the second client waited for the slow one"
    finally:
        fast.set()
        assert done.wait(120)
        slow.close()
    assert count == big.size and "sha256:" + received.hexdigest() == big.digest
    assert upstream_gets(upstream, f"/blobs/{big.digest}") == 1


def test_a_range_asked_first_is_sent_before_the_rest_of_the_blob_has_arrived(make_server):
    """An upstream that sends the first 2 MiB of a blob and then stalls: the range inside
    them is answered at once, and nothing of the unfinished blob is cached."""
    data = bytes(range(256)) * (16 * 1024)  # 4 MiB
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    release = threading.Event()

    class Stalling(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            if not self.path.endswith(f"/blobs/{digest}"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            self.wfile.write(data[:2 * 1024 * 1024])
            self.wfile.flush()
            release.wait(60)  # the rest never comes while the test runs

    with scripted_http_server(Stalling) as url:
        try:
            pier = make_server("pier", config=mirror_config(url))
            r = requests.get(f"{pier.url}/v2/hub/library/slow/blobs/{digest}",
                             headers={"Range": "bytes=1000000-1099999"}, timeout=20)
            assert r.status_code == 206, r.text
            assert r.headers["Content-Range"] == f"bytes 1000000-1099999/{len(data)}"
            assert r.content == data[1000000:1100000]
        finally:
            release.set()
    hex_digest = digest.split(":")[1]
    assert not list(pier.root.rglob(f"blobs/sha256/{hex_digest[:2]}/{hex_digest}/data"))


def test_a_suffix_or_unsatisfiable_range_asked_first_is_answered_as_for_a_cached_blob(make_server, upstream):
    blob, _, url = mirrored_blob(make_server, upstream, "library/edge", 300 * 1024)
    r = requests.get(url, headers={"Range": f"bytes={blob.size + 10}-"}, timeout=60)
    assert_error(r, 416, "RANGE_INVALID")
    assert r.headers["Content-Range"] == f"bytes */{blob.size}"
    r = requests.get(url, headers={"Range": "bytes=-100"}, timeout=60)
    assert r.status_code == 206 and r.content == blob.data[-100:]


def test_an_index_is_kept_byte_exact_while_only_the_pulled_platform_is_fetched(make_server, upstream, tmp_path):
    up = Registry(upstream.url)
    amd = image(layers=1, arch="amd64")
    arm = image(layers=1, arch="arm64")
    multi = index([amd, arm])
    up.push("library/multi", "v1", multi)
    pier = make_server("pier", config=mirror_config(upstream.url))
    skopeo("copy", "--src-tls-verify=false", "--override-arch=arm64", "--override-os=linux",
           f"docker://{pier.host}/hub/library/multi:v1", f"oci:{tmp_path}/arm:v1")
    reg = Registry(pier.url)
    r = reg.get_manifest("hub/library/multi", "v1")
    assert r.headers["Docker-Content-Digest"] == multi.digest and r.content == multi.data
    upstream.stop()
    # The pulled platform is cached whole; the other was never fetched.
    assert reg.get_manifest("hub/library/multi", arm.digest).status_code == 200
    for blob in arm.blobs:
        assert reg.get_blob("hub/library/multi", blob.digest).status_code == 200
    assert reg.get_manifest("hub/library/multi", amd.digest).status_code == 503
    assert reg.get_manifest("hub/library/multi", "v1").content == multi.data


def test_a_basic_auth_upstream_and_a_token_upstream_are_mirrored_side_by_side(make_server, htpasswd, tmp_path):
    from harness.auth import token_for, write_htpasswd

    # distribution 2.8.2 with htpasswd.
    basic_file = htpasswd({"mirror": "mirror-pw"})
    basic = make_server("distribution", config={
        "auth": {"htpasswd": {"realm": "basic", "path": str(basic_file)}},
    }, auth=("mirror", "mirror-pw"))
    basic_image = image(layers=1)
    Registry(basic.url, auth=("mirror", "mirror-pw")).push("team/tool", "v1", basic_image)

    # A second Pier with its own token server: only `bob` may pull private/**.
    work = tmp_path / "token-upstream"
    (work / "keys").mkdir(parents=True)
    write_htpasswd(work / "htpasswd", {"bob": "bob-pw"})
    port = free_port()
    token_upstream = make_server("pier", port=port, config={
        "auth": {"token": {"realm": f"http://127.0.0.1:{port}/token", "service": "upstream", "issuer": "upstream"}},
        "tokenserver": {"htpasswd": str(work / "htpasswd"), "key": str(work / "keys" / "token.key")},
        "access": {"rules": [{"repository": "private/**", "users": ["bob"], "actions": ["pull", "push"]}]},
    })
    token = token_for(f"http://127.0.0.1:{port}/token", "upstream", ["repository:private/app:pull,push"], auth=("bob", "bob-pw"))
    token_image = image(layers=1)
    Registry(token_upstream.url, auth=f"Bearer {token}").push("private/app", "v1", token_image)

    pier = make_server("pier", config={"mirrors": [
        {"prefix": "basic", "remoteurl": basic.url, "username": "mirror", "password": "mirror-pw"},
        {"prefix": "tokens", "remoteurl": token_upstream.url, "username": "bob", "password": "bob-pw"},
        {"prefix": "anonymous", "remoteurl": token_upstream.url},
    ]})
    skopeo("copy", "--src-tls-verify=false", f"docker://{pier.host}/basic/team/tool:v1", f"oci:{tmp_path}/basic:v1")
    skopeo("copy", "--src-tls-verify=false", f"docker://{pier.host}/tokens/private/app:v1", f"oci:{tmp_path}/token:v1")
    assert json.loads((tmp_path / "basic" / "index.json").read_text())["manifests"][0]["digest"] == basic_image.digest
    assert json.loads((tmp_path / "token" / "index.json").read_text())["manifests"][0]["digest"] == token_image.digest
    # Without credentials the upstream refuses the mirror, and the client hears why.
    refused = Registry(pier.url).get_manifest("anonymous/private/app", "v1")
    assert refused.status_code in (403, 404), refused.text
    assert refused.json()["errors"][0]["code"] in ("DENIED", "MANIFEST_UNKNOWN")


def stored(root, digest: str) -> bool:
    hex_digest = digest.split(":")[1]
    return (root / f"docker/registry/v2/blobs/sha256/{hex_digest[:2]}/{hex_digest}/data").exists()


def blob_bytes(root) -> int:
    return sum(p.stat().st_size for p in root.rglob("blobs/sha256/*/*/data"))


def test_a_layer_two_mirrored_repositories_share_is_downloaded_once(make_server, upstream):
    """The second repository's copy of a base layer is a HEAD to the upstream and a link to
    the bytes the first one brought, not a second download. Without the upstream's word a
    blob is never linked: a local blob stays unreadable through a mirrored name."""

    up = Registry(upstream.url)
    base = random_layer(4 * 1024 * 1024)
    a = image(layers=[base, random_layer(64 * 1024)])
    b = image(layers=[base, random_layer(64 * 1024)])
    up.push("library/a", "v1", a)
    up.push("library/b", "v1", b)
    debug = free_port()
    pier = make_server("pier", config=with_metrics(mirror_config(upstream.url), debug))
    reg = Registry(pier.url)
    assert reg.get_manifest("hub/library/a", "v1").status_code == 200
    for blob in a.blobs:
        assert reg.get_blob("hub/library/a", blob.digest).content == blob.data
    # The first client's bytes arrive a moment before the cache commits them.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not stored(pier.root, base.digest):
        time.sleep(0.1)
    assert reg.get_manifest("hub/library/b", "v1").status_code == 200
    for blob in b.blobs:
        assert reg.get_blob("hub/library/b", blob.digest).content == blob.data
    assert upstream_gets(upstream, f"/blobs/{base.digest}") == 1, upstream.log[-3000:]
    assert sample(metrics_text(debug), "pier_mirror_shared_blobs_total") == 1
    # A layer of a local repository is in the store too, but the upstream does not hold it
    # under the mirrored name: it stays unknown there.
    own = image(layers=[random_layer(64 * 1024)])
    reg.push("team/own", "v1", own)
    assert_error(reg.get_blob("hub/library/a", own.blobs[1].digest), 404, "BLOB_UNKNOWN")
    # Linked into b for good: served with the upstream gone.
    upstream.kill()
    assert reg.get_blob("hub/library/b", base.digest).content == base.data


def test_ttl_eviction_removes_an_unpulled_image_but_never_a_layer_another_image_shares(make_server, upstream):
    up = Registry(upstream.url)
    base = random_layer(1024 * 1024)
    a = image(layers=[base, random_layer(2 * 1024 * 1024)])
    b = image(layers=[base, random_layer(512 * 1024)])
    up.push("library/a", "v1", a)
    up.push("library/b", "v1", b)
    config = mirror_config(upstream.url, ttl="10s")
    config["gc"] = {"interval": "1s", "grace": "0s"}
    pier = make_server("pier", config=config)
    reg = Registry(pier.url)
    for name, img in (("hub/library/a", a), ("hub/library/b", b)):
        assert reg.get_manifest(name, "v1").status_code == 200
        for blob in img.blobs:
            assert reg.get_blob(name, blob.digest).content == blob.data
    # The last client's bytes arrive a moment before the cache commits them.
    everything = {blob.digest for blob in a.blobs + b.blobs} | {a.digest, b.digest}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(stored(pier.root, d) for d in everything):
        time.sleep(0.1)
    before = blob_bytes(pier.root)
    exclusive = a.blobs[0].size + a.blobs[2].size + a.size  # config, own layer, manifest
    a_layer = a.blobs[2].digest.split(":")[1]
    a_tag = pier.root / "docker/registry/v2/repositories/hub/library/a/_manifests/tags/v1"
    # b is pulled (HEAD by tag, as docker and containerd start a pull) while a is not.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert reg.head_manifest("hub/library/b", "v1").status_code == 200
        if not a_tag.exists() and not list(pier.root.rglob(f"blobs/sha256/{a_layer[:2]}/{a_layer}/data")):
            break
        time.sleep(0.5)
    assert not a_tag.exists(), "the unpulled image was not evicted"
    assert not list(pier.root.rglob(f"blobs/sha256/{a_layer[:2]}/{a_layer}/data"))
    # What is left is exactly b (the shared base layer included): the disk dropped by a's
    # own bytes, whenever the eviction ran.
    assert blob_bytes(pier.root) == sum(blob.size for blob in b.blobs) + b.size
    assert before in (blob_bytes(pier.root), blob_bytes(pier.root) + exclusive)
    # The shared base layer and everything of b stay, served without the upstream.
    upstream.kill()
    r = reg.get_manifest("hub/library/b", "v1")
    assert r.status_code == 200 and r.headers["Docker-Content-Digest"] == b.digest
    for blob in b.blobs:
        assert reg.get_blob("hub/library/b", blob.digest).content == blob.data


def test_podman_pulls_through_a_mirror_in_registries_conf(make_server, upstream, podman_factory, tmp_path):
    require_tool("podman")
    img = image(layers=1, docker=True)
    Registry(upstream.url).push("library/app", "v1", img)
    pier = make_server("pier", config=mirror_config(upstream.url))
    conf = tmp_path / "registries.conf"
    # The primary location cannot be reached: only the mirror can answer.
    conf.write_text(
        'unqualified-search-registries = []\n'
        '[[registry]]\nlocation = "upstream.invalid:5000"\ninsecure = true\n'
        f'[[registry.mirror]]\nlocation = "{pier.host}/hub"\ninsecure = true\n'
    )
    podman = podman_factory()
    env = {"REGISTRY_AUTH_FILE": podman.authfile, "CONTAINERS_REGISTRIES_CONF": str(conf)}
    run(podman.cmd("pull", "upstream.invalid:5000/library/app:v1"), env=env, timeout=300)
    inspected = json.loads(run(podman.cmd("image", "inspect", "upstream.invalid:5000/library/app:v1"), env=env))
    assert inspected[0]["Digest"] == img.digest
    assert (pier.root / "docker/registry/v2/repositories/hub/library/app/_manifests/tags/v1/current/link").exists()


def test_the_docker_engine_pulls_busybox_through_distributions_proxy_section_as_its_registry_mirror(make_server, upstream, tmp_path):
    from test_docker_client import DOCKER, Dockerd, DockerdStartError, dockerd_binary, unavailable

    busybox = image(layers=1, docker=True)
    Registry(upstream.url).push("library/busybox", "latest", busybox)
    pier = make_server("pier", config={"proxy": {"remoteurl": upstream.url}})

    class MirroredDockerd(Dockerd):
        def command(self) -> list[str]:
            return [*super().command(), f"--registry-mirror=http://{pier.host}"]

    binary = dockerd_binary()
    if binary is None:
        unavailable("the Docker engine is not installed (apt-get install docker.io; scripts/test.sh installs it)")
    daemon = MirroredDockerd(binary, tmp_path / "dockerd")
    try:
        daemon.start()
    except DockerdStartError as e:
        unavailable(f"dockerd cannot start here: {e}")
    try:
        docker = daemon.client(tmp_path / "docker-config")
        docker("pull", "busybox:latest", timeout=300)
        assert docker.image_id("busybox:latest") == busybox.blobs[0].digest
    finally:
        daemon.stop()
    # Cached under the name Docker asked for, as distribution's proxy stores it.
    assert (pier.root / "docker/registry/v2/repositories/library/busybox/_manifests/tags/latest/current/link").exists()
    # distribution's proxy mode takes no pushes.
    assert_error(Registry(pier.url).start_upload("library/busybox"), 405, "UNSUPPORTED")


def test_an_https_upstream_is_trusted_through_its_own_ca_and_refused_without_it(make_server, test_ca, tmp_path):
    ca_path = test_ca.write(tmp_path / "tls" / "ca.crt")
    cert, key = test_ca.server_cert().write(tmp_path / "tls", "server")
    secure = make_server("distribution", config={"http": {"tls": {"certificate": cert, "key": key}}},
                         scheme="https", verify=ca_path)
    img = image(layers=1)
    Registry(secure.url, verify=ca_path).push("team/app", "v1", img)
    pier = make_server("pier", config={"mirrors": [
        {"prefix": "trusted", "remoteurl": secure.url, "tls": {"ca": ca_path}},
        {"prefix": "untrusted", "remoteurl": secure.url},
    ]})
    reg = Registry(pier.url)
    assert reg.get_manifest("trusted/team/app", "v1").headers["Docker-Content-Digest"] == img.digest
    for blob in img.blobs:
        assert reg.get_blob("trusted/team/app", blob.digest).content == blob.data
    # A certificate the mirror cannot verify is an upstream it cannot reach: 503, naming it.
    refused = reg.get_manifest("untrusted/team/app", "v1")
    assert_error(refused, 503, "UNAVAILABLE")
    assert secure.host in refused.text


def test_referrers_of_a_mirrored_image_are_the_upstreams_and_an_upstream_without_the_api_leaves_the_tag_schema(make_server, upstream):
    # A Pier upstream has the referrers API: a signature attached after the image was
    # cached is listed through the mirror, filtered by artifact type as asked.
    pier_upstream = make_server("pier")
    up = Registry(pier_upstream.url)
    img = image(layers=1)
    up.push("team/app", "v1", img)
    pier = make_server("pier", config={"mirrors": [
        {"prefix": "hub", "remoteurl": upstream.url}, {"prefix": "own", "remoteurl": pier_upstream.url},
    ]})
    reg = Registry(pier.url)
    assert reg.get_manifest("own/team/app", "v1").status_code == 200
    sig_type, sbom_type = "application/vnd.pier.test.signature", "application/vnd.pier.test.sbom"
    sig = artifact(sig_type, blobs=[Blob(b"signed", "application/vnd.pier.test.blob")], subject=img)
    sbom = artifact(sbom_type, blobs=[Blob(b"sbom", "application/vnd.pier.test.blob")], subject=img)
    up.push("team/app", None, sig)
    up.push("team/app", None, sbom)
    r = reg.get(f"/v2/own/team/app/referrers/{img.digest}")
    assert r.status_code == 200, r.text
    assert {d["digest"] for d in r.json()["manifests"]} == {sig.digest, sbom.digest}
    r = reg.get(f"/v2/own/team/app/referrers/{img.digest}", params={"artifactType": sig_type})
    assert [d["digest"] for d in r.json()["manifests"]] == [sig.digest]
    assert r.headers.get("OCI-Filters-Applied") == "artifactType"
    # The signature pulls through the mirror, and once cached it is listed while the
    # upstream is down.
    assert reg.get_manifest("own/team/app", sig.digest).status_code == 200
    pier_upstream.stop()
    r = reg.get(f"/v2/own/team/app/referrers/{img.digest}")
    assert r.status_code == 200 and [d["digest"] for d in r.json()["manifests"]] == [sig.digest], r.text

    # distribution 2.8.2 has no referrers API: the mirrored name answers 404 without
    # NAME_UNKNOWN, which is what makes clients fall back to the tag schema, and the
    # fallback tag pulls through the mirror.
    old = Registry(upstream.url)
    old.push("team/app", "v1", img)
    fallback_tag = img.digest.replace(":", "-")
    fallback = index([sig])
    old.push("team/app", fallback_tag, fallback)
    assert reg.get_manifest("hub/team/app", "v1").status_code == 200
    r = reg.get(f"/v2/hub/team/app/referrers/{img.digest}")
    assert_error(r, 404, "UNSUPPORTED")
    r = reg.get_manifest("hub/team/app", fallback_tag)
    assert r.status_code == 200 and r.headers["Docker-Content-Digest"] == fallback.digest


def test_a_read_only_mirror_serves_what_it_holds_and_passes_what_it_misses_through_uncached(make_server, upstream):
    # storage.maintenance.readonly on a mirror: storage must not change (an operator is
    # collecting or copying it), yet every mirrored image still pulls. Cached content is
    # served from the cache; missed content comes from the upstream, whole or by range,
    # and nothing of it is stored.
    up = Registry(upstream.url)
    # Layers of 1 MiB of random bytes: several chunks each, so ranges are cut across them.
    cached, missing, moved = image(layers=1), image(layers=2, layer_size=1 << 20), image(layers=1)
    up.push("library/app", "cached", cached)
    up.push("library/app", "missing", missing)
    up.push("library/app", "moves", cached)
    pier = make_server("pier", config=mirror_config(upstream.url))
    reg = Registry(pier.url)
    assert reg.get_manifest("hub/library/app", "cached").content == cached.data
    assert reg.get_manifest("hub/library/app", "moves").content == cached.data
    for blob in cached.blobs:
        assert reg.get_blob("hub/library/app", blob.digest).content == blob.data
    pier.stop()
    pier.config["storage"]["maintenance"] = {"readonly": {"enabled": True}}
    pier.start()
    files_before = sorted(str(p) for p in pier.root.rglob("*") if p.is_file())
    # A tag moved upstream is answered with its new manifest, again and again: the cached
    # copy it passed by never comes back as fresh.
    up.push("library/app", "moves", moved)
    for _ in range(3):
        r = reg.get_manifest("hub/library/app", "moves")
        assert r.status_code == 200 and r.headers["Docker-Content-Digest"] == moved.digest
    assert reg.get_manifest("hub/library/app", cached.digest).content == cached.data
    for blob in cached.blobs:
        assert reg.get_blob("hub/library/app", blob.digest).content == blob.data
    for ref in ("missing", missing.digest):
        r = reg.get_manifest("hub/library/app", ref)
        assert r.status_code == 200, (r.status_code, r.text)
        assert r.content == missing.data and r.headers["Docker-Content-Digest"] == missing.digest
    for blob in missing.blobs:
        r = reg.get_blob("hub/library/app", blob.digest)
        assert r.status_code == 200 and r.content == blob.data
        assert int(r.headers["Content-Length"]) == len(blob.data)
        assert r.headers["Docker-Content-Digest"] == blob.digest
    layer = missing.blobs[-1]
    size = len(layer.data)
    assert size > 512 * 1024
    for spec, part, first, last in (
        ("bytes=10-99", layer.data[10:100], 10, 99),  # inside the first chunk
        ("bytes=100000-400000", layer.data[100000:400001], 100000, 400000),  # across chunks
        ("bytes=300000-", layer.data[300000:], 300000, size - 1),  # to the end: a resumed pull
        ("bytes=-5000", layer.data[-5000:], size - 5000, size - 1),  # a suffix
    ):
        r = reg.get(f"/v2/hub/library/app/blobs/{layer.digest}", headers={"Range": spec})
        assert r.status_code == 206 and r.content == part, spec
        assert r.headers["Content-Range"] == f"bytes {first}-{last}/{size}", spec
    assert_error(reg.get_blob("hub/library/app", "sha256:" + "0" * 64), 404, "BLOB_UNKNOWN")
    assert_error(reg.get_manifest("hub/library/app", "nope"), 404, "MANIFEST_UNKNOWN")
    files_after = sorted(str(p) for p in pier.root.rglob("*") if p.is_file())
    assert files_after == files_before, "a read-only mirror stored what it passed through"
    # The store is still read-only for the mirrored and the local names alike.
    assert_error(reg.start_upload("team/own"), 405, "UNSUPPORTED")


def test_a_read_only_mirror_never_completes_a_damaged_blob_and_refuses_one_of_unknown_length(make_server):
    """Passed through uncached, a blob is still verified: bytes that fail their digest end
    the client's body before its last chunk, and an upstream answer without a length is
    refused before the response begins, with the spec's error body."""
    data = bytes(range(256)) * (4 * 1024)  # 1 MiB
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    unsized = "sha256:" + hashlib.sha256(b"unsized").hexdigest()
    Damaging = damaging_upstream(data, digest, unsized=unsized)

    with scripted_http_server(Damaging) as url:
        config = mirror_config(url)
        config["storage"]["maintenance"] = {"readonly": {"enabled": True}}
        pier = make_server("pier", config=config)
        assert_damaged_blob_cut_short(pier, digest, data)
        r = requests.get(f"{pier.url}/v2/hub/library/app/blobs/{unsized}", timeout=20)
        assert_error(r, 502, "UNKNOWN")
        assert pier.answers(), "the mirror died"


def damaging_upstream(data: bytes, digest: str, unsized: str | None = None):
    """A handler serving `data` with its last byte changed under `digest` (and, under
    `unsized`, a blob answered without a length)."""
    damaged = data[:-1] + bytes([data[-1] ^ 0xFF])

    class Damaging(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.endswith(f"/blobs/{digest}"):
                self.send_response(200)
                self.send_header("Content-Length", str(len(damaged)))
                self.end_headers()
                self.wfile.write(damaged)
            elif unsized and self.path.endswith(f"/blobs/{unsized}"):
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"7\r\nunsized\r\n0\r\n\r\n")
            else:
                self.send_error(404)

    return Damaging


def assert_damaged_blob_cut_short(pier, digest: str, data: bytes) -> None:
    """Whole, and from an offset to its end (a resumed pull): each body is cut short at
    once (not a timeout), never completed with the damaged bytes."""
    for headers, expected in (({}, len(data)), ({"Range": "bytes=1000-"}, len(data) - 1000)):
        received = bytearray()
        started = time.monotonic()
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            with requests.get(f"{pier.url}/v2/hub/library/app/blobs/{digest}", headers=headers, stream=True, timeout=20) as r:
                assert r.status_code == (206 if headers else 200)
                assert int(r.headers["Content-Length"]) == expected
                for chunk in r.iter_content(64 * 1024):
                    received.extend(chunk)
        assert len(received) < expected, "a blob that fails its digest was sent whole"
        assert time.monotonic() - started < 10


def test_a_caching_mirror_never_completes_a_damaged_blob_nor_keeps_it(make_server):
    """The first client of a blob is relayed the bytes while they are stored: the last
    chunk waits for the digest's verdict, so bytes that fail it end the body short, and
    nothing is cached."""
    data = bytes(range(256)) * (4 * 1024)  # 1 MiB
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with scripted_http_server(damaging_upstream(data, digest)) as url:
        pier = make_server("pier", config=mirror_config(url))
        assert_damaged_blob_cut_short(pier, digest, data)
        assert not stored(pier.root, digest)
        assert pier.answers(), "the mirror died"


def test_tags_of_an_upstream_that_ignores_n_and_last_are_paged_to_the_end(make_server, upstream):
    """distribution 2.8.2 answers every tag, unsorted, whatever `n` and `last` say: the
    mirror pages them itself, so a client following `Link` sees each tag once and stops."""
    up = Registry(upstream.url)
    img = image(layers=1, layer_size=1024)
    names = ["e", "a", "d", "b", "c"]
    for tag in names:
        up.push("library/paged", tag, img)
    pier = make_server("pier", config=mirror_config(upstream.url))
    reg = Registry(pier.url)
    seen, path = [], "/v2/hub/library/paged/tags/list?n=2"
    for _ in range(10):
        r = reg.get(path)
        assert r.status_code == 200, r.text
        seen += r.json()["tags"]
        link = r.headers.get("Link")
        if not link:
            break
        path = link[link.index("<") + 1:link.index(">")]
    assert seen == sorted(names)


def test_every_tag_of_an_upstream_that_pages_by_default_is_listed_when_the_client_gives_no_n(make_server):
    """Quay and GitLab answer 50 tags a page when no `n` is given, the next page behind an
    opaque cursor in `Link`: a client that gave no `n` asked for every tag, so the mirror
    follows the upstream's links as given and lists all of them."""
    names = [f"t{i:03d}" for i in range(120)]
    pages = [names[i:i + 50] for i in range(0, len(names), 50)]
    asked = []

    class Upstream(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            path, _, query = self.path.partition("?")
            if path != "/v2/library/many/tags/list":
                self.send_error(404)
                return
            asked.append(self.path)
            # Only the cursor this upstream handed out moves on; `last` is not understood.
            cursor = re.search(r"next_page=([^&]+)", query)
            number = int(base64.urlsafe_b64decode(cursor.group(1)).decode().split(":")[1]) if cursor else 0
            body = json.dumps({"name": "library/many", "tags": pages[number]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if number + 1 < len(pages):
                token = base64.urlsafe_b64encode(f"page:{number + 1}".encode()).decode()
                self.send_header("Link", f'</v2/library/many/tags/list?next_page={token}>; rel="next"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with scripted_http_server(Upstream) as url:
        pier = make_server("pier", config=mirror_config(url))
        r = Registry(pier.url).get("/v2/hub/library/many/tags/list")
        assert r.status_code == 200, r.text
        assert r.json()["tags"] == names, (len(r.json()["tags"]), asked)
        assert "Link" not in r.headers
        assert len(asked) == len(pages), asked


def test_an_immutable_tag_rule_does_not_freeze_what_a_mirror_caches(make_server, upstream):
    up = Registry(upstream.url)
    first, second = image(layers=1, layer_size=1024), image(layers=1, layer_size=1024)
    up.push("library/moving", "v1", first)
    pier = make_server("pier", config={**mirror_config(upstream.url, ttl="0s"),
                                       "immutabletags": [{"repositories": ["**"], "tags": ["v*"]}]})
    reg = Registry(pier.url)
    assert reg.get_manifest("hub/library/moving", "v1").content == first.data
    up.push("library/moving", "v1", second)  # the upstream moves the tag
    r = until_upstream_answers(lambda: reg.get_manifest("hub/library/moving", "v1"))
    assert r.status_code == 200 and r.content == second.data, r.text


def test_a_redirect_target_that_fails_leaves_the_upstream_up_and_never_gets_its_credentials(make_server):
    """Blobs often live behind a CDN the upstream redirects to. A target that cannot be
    reached fails that blob alone (the next pull asks the upstream at once), and the
    upstream's credentials go only to the upstream's own origin."""
    good = b"a blob the CDN serves" * 100
    good_digest = "sha256:" + hashlib.sha256(good).hexdigest()
    lost_digest = "sha256:" + hashlib.sha256(b"a blob behind a dead CDN").hexdigest()
    seen_by_cdn = []

    class CDN(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            seen_by_cdn.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", str(len(good)))
            self.end_headers()
            self.wfile.write(good)

    with scripted_http_server(CDN) as cdn:
        dead = f"http://127.0.0.1:{free_port()}"

        class Upstream(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"bot:pw").decode():
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="up"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = {good_digest: cdn, lost_digest: dead}.get(self.path.rsplit("/", 1)[-1])
                if target is None:
                    self.send_error(404)
                    return
                self.send_response(307)
                self.send_header("Location", f"{target}/blob")
                self.send_header("Content-Length", "0")
                self.end_headers()

        with scripted_http_server(Upstream) as url:
            pier = make_server("pier", config=mirror_config(url, username="bot", password="pw"))
            r = requests.get(f"{pier.url}/v2/hub/library/app/blobs/{lost_digest}", timeout=30)
            assert r.status_code >= 500, r.text
            # At once, not after the upstream counted as down for a while.
            r = requests.get(f"{pier.url}/v2/hub/library/app/blobs/{good_digest}", timeout=30)
            assert r.status_code == 200 and r.content == good, r.text
            assert seen_by_cdn and all("Authorization" not in h for h in seen_by_cdn), seen_by_cdn


def test_a_challenge_from_where_a_redirect_led_never_sends_the_upstreams_credentials_to_its_realm(make_server):
    """A CDN the upstream redirects a blob to may answer 401 with a Bearer realm of its
    own: only the upstream's own challenge is answered, so the realm never hears from the
    mirror, and the blob fails instead of being fetched with the upstream's password."""
    digest = "sha256:" + hashlib.sha256(b"a blob behind a CDN that asks for a token").hexdigest()
    seen_by_realm = []

    class Realm(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            seen_by_realm.append((self.path, dict(self.headers)))
            body = json.dumps({"token": "cdn-token"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with scripted_http_server(Realm) as realm:

        class CDN(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(401)
                self.send_header("WWW-Authenticate", f'Bearer realm="{realm}/token",service="cdn"')
                self.send_header("Content-Length", "0")
                self.end_headers()

        with scripted_http_server(CDN) as cdn:

            class Upstream(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"

                def log_message(self, *args):
                    pass

                def do_GET(self):
                    if not self.path.endswith(f"/blobs/{digest}"):
                        self.send_error(404)
                        return
                    self.send_response(307)
                    self.send_header("Location", f"{cdn}/blob")
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            with scripted_http_server(Upstream) as url:
                pier = make_server("pier", config=mirror_config(url, username="bot", password="SECRETPW"))
                r = requests.get(f"{pier.url}/v2/hub/library/app/blobs/{digest}", timeout=30)
                assert r.status_code >= 400, r.text
                assert not seen_by_realm, seen_by_realm
                assert pier.answers(), "the mirror died"


def test_an_upstream_with_a_generic_type_and_only_an_etag_is_mirrored_with_one_head_per_pull(make_server):
    """Some registries answer manifests as `application/json` and say the digest only in
    `ETag`: the manifest's own media type decides, and a HEAD's ETag confirms a cached tag
    without a GET per pull."""
    img = image(layers=1, layer_size=64, docker=True)
    gets = []

    class Upstream(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, body: bool):
            if not self.path.endswith("/library/app/manifests/v1"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("ETag", f'"{img.digest}"')
            self.send_header("Content-Length", str(len(img.data)))
            self.end_headers()
            if body:
                gets.append(self.path)
                self.wfile.write(img.data)

        def do_GET(self):
            self.answer(True)

        def do_HEAD(self):
            self.answer(False)

    with scripted_http_server(Upstream) as url:
        pier = make_server("pier", config=mirror_config(url))
        reg = Registry(pier.url)
        for _ in range(3):
            r = reg.get_manifest("hub/library/app", "v1")
            assert r.status_code == 200 and r.content == img.data, r.text
            assert r.headers["Content-Type"] == "application/vnd.docker.distribution.manifest.v2+json"
        assert len(gets) == 1, gets


@pytest.mark.parametrize("head_status", [404, 400])
def test_an_upstream_whose_manifest_head_fails_while_its_get_works_is_mirrored_on_every_pull(make_server, head_status):
    """Some upstreams answer a manifest HEAD with 404 or 400 while the GET works: the
    HEAD says nothing then, the GET decides, and the tag stays cached and pullable
    (a HEAD's 404 uncached it, so pulls alternated 200 and 404; a 400 was a 502)."""
    img = image(layers=1, layer_size=64)

    class Upstream(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_HEAD(self):
            self.send_response(head_status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            if not self.path.endswith("/library/app/manifests/v1"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Docker-Content-Digest", img.digest)
            self.send_header("Content-Length", str(len(img.data)))
            self.end_headers()
            self.wfile.write(img.data)

    with scripted_http_server(Upstream) as url:
        pier = make_server("pier", config=mirror_config(url))
        reg = Registry(pier.url)
        for _ in range(4):
            r = reg.get_manifest("hub/library/app", "v1")
            assert r.status_code == 200 and r.content == img.data, (r.status_code, r.text)
            assert "Warning" not in r.headers


def test_a_tag_deleted_upstream_is_not_served_again_during_an_outage(make_server):
    upstream = make_server("distribution", config={"storage": {"delete": {"enabled": True}}})
    up = Registry(upstream.url)
    img = image(layers=1, layer_size=1024)
    up.push("library/gone", "v1", img)
    up.push("library/gone", "v2", image(layers=1, layer_size=1024))
    pier = make_server("pier", config=mirror_config(upstream.url))
    reg = Registry(pier.url)
    assert reg.get_manifest("hub/library/gone", "v1").status_code == 200
    assert reg.get_manifest("hub/library/gone", "v2").status_code == 200
    assert up.delete(f"/v2/library/gone/manifests/{img.digest}").status_code == 202
    assert reg.get_manifest("hub/library/gone", "v1").status_code == 404
    upstream.stop()
    # No longer cached: the outage's error, as for any tag never pulled, not the old image.
    r = reg.get_manifest("hub/library/gone", "v1")
    assert r.status_code == 503, (r.status_code, r.text)
    assert reg.get_manifest("hub/library/gone", "v2").status_code == 200  # served stale
    assert "v1" not in (reg.get("/v2/hub/library/gone/tags/list").json().get("tags") or [])
