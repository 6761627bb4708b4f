"""What hurts registries in production, on purpose: a full disk, clients that hold
connections open or send hostile requests. Pier must answer with the spec's errors, lose
nothing it acknowledged, show nothing half-written and recover without a restart."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from harness.client import Registry, assert_error
from harness.images import image, random_layer
from harness.tools import eventually

pytestmark = [pytest.mark.pier_only, pytest.mark.usefixtures("need_pier")]


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MiB filesystem of the test's own (tmpfs), unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        from harness.tools import in_ci
        if in_ci():
            pytest.fail(f"cannot mount a small filesystem under CI: {done.stderr}")
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(path: Path, leave: int) -> Path:
    """A file that takes all but `leave` bytes of the filesystem under `path`."""
    filler = path / "filler"
    free = shutil.disk_usage(path).free
    # Unbuffered: with a buffer, the bytes a full disk refused stayed in it, and closing the
    # file tried them again and raised ENOSPC out of the `with` (when the server wrote to
    # the same disk while it filled).
    with open(filler, "wb", buffering=0) as f:
        f.truncate(0)
        block = b"\0" * (1 << 20)
        remaining = max(free - leave, 0)
        while remaining > 0:
            n = min(len(block), remaining)
            try:
                written = f.write(block[:n]) or 0
            except OSError:
                break
            if written == 0:
                break
            remaining -= written
    return filler


@pytest.mark.parametrize("index", ["index on the same disk", "index off"])
def test_a_full_disk_fails_pushes_cleanly_keeps_pulls_and_recovers_without_a_restart(make_server, small_disk, index):
    config = {"index": {"disabled": True}} if index == "index off" else {"index": {"database": f"sqlite://{small_disk}/index.db"}}
    pier = make_server("pier", root=small_disk / "data", config=config)
    reg = Registry(pier.url)
    first = image(layers=1, layer_size=64 * 1024)
    reg.push("team/app", "v1", first)
    filler = fill(small_disk, leave=512 * 1024)

    big = random_layer(4 * 1024 * 1024)
    for mode in ("monolithic", "chunked", "stream"):
        if mode == "stream":
            location = reg.upload_url("team/app")
            r = reg.patch(location, data=iter([big.data[i:i + 65536] for i in range(0, big.size, 65536)]),
                          headers={"Content-Type": "application/octet-stream"}, timeout=120)
        elif mode == "chunked":
            location = reg.start_upload("team/app").headers["Location"]
            for start in range(0, big.size, 1024 * 1024):
                r = reg.patch_chunk(location, big.data[start:start + 1024 * 1024], start)
                if r.status_code != 202:
                    break
                location = r.headers["Location"]
        else:
            r = reg.push_blob("team/app", big, mode=mode)
        # 507 Insufficient Storage, in the spec's error shape.
        assert r.status_code == 507, (mode, r.status_code, r.text[:300])
        assert r.headers.get("Content-Type", "").startswith("application/json"), (mode, r.headers)
        assert r.json()["errors"][0]["code"], r.text
        # Nothing half-written is visible.
        assert reg.head_blob("team/app", big.digest).status_code == 404, mode
    # A manifest push fails as cleanly and leaves the tag where it was.
    second = image(layers=[big])
    r = reg.put_manifest("team/app", "v1", second)
    assert r.status_code in (400, 404) or 500 <= r.status_code < 600, r.text
    assert reg.get_manifest("team/app", "v1").headers["Docker-Content-Digest"] == first.digest
    # Pulls keep working.
    for blob in first.blobs:
        assert reg.get_blob("team/app", blob.digest).content == blob.data
    assert pier.alive()

    filler.unlink()
    reg.push("team/app", "v2", second)
    assert reg.get_manifest("team/app", "v2").headers["Docker-Content-Digest"] == second.digest
    assert reg.get_blob("team/app", big.digest).content == big.data
    # The failed sessions' bytes are not left to fill the disk again.
    leftovers = [p for p in (small_disk / "data").rglob("_uploads/*/data") if p.stat().st_size > 0]
    assert not leftovers, leftovers


def test_a_full_disk_fails_the_storage_check_and_a_refused_tag_is_never_listed(make_server, small_disk):
    """The storage check writes what a push writes (an empty file needs no block, and passed
    on a full disk); /debug/health, which readiness probes read, stays 200 without `health`
    checks, as distribution's, so pulls go on; a tag push refused at any amount of space left
    leaves no tag behind that the tag list would show and nothing could pull or delete."""
    from harness.server import free_port

    port = free_port()
    pier = make_server("pier", root=small_disk / "data",
                       config={"index": {"disabled": True}, "http": {"debug": {"addr": f"127.0.0.1:{port}"}}})
    storage = f"http://127.0.0.1:{port}/debug/health/storage"
    health = f"http://127.0.0.1:{port}/debug/health"
    reg = Registry(pier.url)
    first = image(layers=1, layer_size=1024)
    reg.push("team/app", "v1", first)
    assert requests.get(storage, timeout=10).status_code == 200
    pushed = {"v1"}
    for leave in range(0, 40 * 1024, 2048):
        filler = fill(small_disk, leave=leave)
        if leave == 0:
            assert requests.get(storage, timeout=10).status_code == 503
            assert requests.get(health, timeout=10).status_code == 200
            assert reg.get_manifest("team/app", "v1").content == first.data
        if reg.put_manifest("team/app", f"t{leave}", first).status_code == 201:
            pushed.add(f"t{leave}")
        filler.unlink()
    assert requests.get(storage, timeout=10).status_code == 200
    pier.stop()
    pier.start()
    listed = set(reg.tags("team/app"))
    assert listed == pushed, sorted(listed ^ pushed)
    for tag in listed:
        assert reg.get_manifest("team/app", tag).status_code == 200, tag


def test_pushes_the_index_could_not_record_on_a_full_disk_are_indexed_once_it_can(make_server, small_disk, tmp_path):
    """The registry's storage has room, the index database's disk does not: the pushes are
    acknowledged, and the index catches up from storage once it can write again, without
    a restart (it stayed without them until one)."""
    from harness.index_api import api, eventually

    pier = make_server("pier", root=tmp_path / "data", config={"index": {"database": f"sqlite://{small_disk}/index.db"}})
    reg = Registry(pier.url)
    reg.push("team/app", "v1", image(layers=1, layer_size=1024))
    assert eventually(lambda: api(pier, "/api/v1/repositories/team/app/tags").status_code == 200)
    filler = fill(small_disk, leave=0)
    for tag in ("full1", "full2"):
        assert reg.push("team/app", tag, image(layers=1, layer_size=1024)).status_code == 201
    assert reg.push("team/other", "v1", image(layers=1, layer_size=1024)).status_code == 201
    # The index did miss them (else this test proves nothing).
    assert eventually(lambda: "could not catch up from storage" in pier.log, timeout=30), pier.log[-2000:]
    filler.unlink()

    def indexed() -> set[str]:
        r = api(pier, "/api/v1/repositories/team/app/tags")
        return {t["name"] for t in r.json()["results"]} if r.status_code == 200 else set()

    assert eventually(lambda: indexed() == {"v1", "full1", "full2"}, timeout=60), indexed()
    assert eventually(lambda: api(pier, "/api/v1/repositories/team/other").status_code == 200, timeout=30)


def test_the_collector_frees_space_on_a_full_disk_without_a_restart(make_server, small_disk):
    """Deleted images must free their space most when the disk is full: the collector's
    lease is a new file, which a full disk refused at every run, so nothing was freed."""
    pier = make_server("pier", root=small_disk / "data",
                       config={"index": {"disabled": True}, "gc": {"interval": "4s", "grace": "1s"}})
    reg = Registry(pier.url)
    doomed = image(layers=[random_layer(2 * 1024 * 1024)])
    reg.push("team/old", "v1", doomed)
    # The collector takes its reserve as it starts.
    reserve = small_disk / "data/docker/registry/v2/_pier/gc/reserve"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not reserve.exists():
        time.sleep(0.1)
    assert reserve.exists()
    # Deleted, then the disk fills before the next collection (the delete's own freed
    # blocks taken too).
    assert reg.delete(f"/v2/team/old/manifests/{doomed.digest}").status_code == 202
    filler = fill(small_disk, leave=0)
    layer = doomed.blobs[-1] if doomed.blobs[-1].size > 1024 * 1024 else doomed.blobs[0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and reg.head_blob("team/old", layer.digest).status_code == 200:
        time.sleep(0.5)
    assert reg.head_blob("team/old", layer.digest).status_code == 404, pier.log[-2000:]
    # The layer's 2 MiB freed; the reserve taken again once the collection finished.
    # (The blob answers 404 once moved aside; its blocks come back at the delete after.)
    assert eventually(lambda: shutil.disk_usage(small_disk).free >= 2 * 1024 * 1024 - 256 * 1024 - 64 * 1024, 15)
    # The space is there for pushes again.
    assert reg.push("team/new", "v1", image(layers=[random_layer(1024 * 1024)])).status_code == 201
    filler.unlink()


# ---- slow and hostile clients -------------------------------------------------------------

import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402


def connect(server, timeout: float = 10) -> socket.socket:
    host, port = server.host.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=timeout)


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes `sock` within `within` seconds (reading what it sends)."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def rss_mib(server) -> float:
    return server.proc_status("VmRSS") / 1024


@pytest.fixture
def guarded(make_server):
    """Pier with short limits, so the tests see them act: heads and first bytes within 2 s,
    idle 3 s, 2,000 connections."""
    return make_server("pier", config={"http": {"timeouts": {"header": "2s", "idle": "3s"}, "maxconnections": 2000}})


def until(condition, within: float = 15.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def test_a_slowloris_trickling_header_bytes_is_cut_off_while_others_are_served(make_server):
    # The idle timeout (30 s here) must not be what cuts it: the head timeout (2 s) is.
    guarded = make_server("pier", config={"http": {"timeouts": {"header": "2s", "idle": "30s"}}})
    slow = connect(guarded)
    slow.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {guarded.host}\r\n".encode())
    started = time.monotonic()
    cut = False
    for i in range(40):  # a header line every quarter second: never idle, never finished
        try:
            slow.sendall(f"X-Slow-{i}: a\r\n".encode())
        except OSError:
            cut = True
            break
        assert Registry(guarded.url).get("/v2/").status_code == 200
        time.sleep(0.25)
    cut = cut or closed_by_server(slow, within=2)
    assert cut, "the slow head was never cut off"
    assert time.monotonic() - started < 12  # the head timeout (2 s), well before the idle one (30 s)


def test_a_thousand_silent_connections_are_closed_and_cost_little_memory(make_server):
    # Long enough for a loaded machine to open all thousand before the first is closed.
    guarded = make_server("pier", config={"http": {"timeouts": {"header": "8s", "idle": "30s"}, "maxconnections": 2000}})
    fds = lambda: len(os.listdir(f"/proc/{guarded.pid}/fd"))  # noqa: E731
    baseline = fds()
    before = rss_mib(guarded)
    idle = [connect(guarded) for _ in range(1000)]
    # Held together for a moment (the silence limit, 8 s here, then closes them).
    peak_fds, peak_rss = 0, 0.0
    for _ in range(15):
        peak_fds, peak_rss = max(peak_fds, fds()), max(peak_rss, rss_mib(guarded))
        time.sleep(0.1)
    assert peak_fds >= baseline + 800, f"Pier held only {peak_fds - baseline} of the connections at once"
    # Served meanwhile.
    assert Registry(guarded.url).get("/v2/").status_code == 200
    grown = peak_rss - before
    assert grown < 64, f"1,000 idle connections cost {grown:.1f} MiB"
    deadline = time.monotonic() + 30
    open_ = idle
    while open_ and time.monotonic() < deadline:
        open_ = [s for s in open_ if not closed_by_server(s, within=0.01)]
        time.sleep(0.5)
    assert not open_, f"{len(open_)} idle connections were never closed"
    for s in idle:
        s.close()


def test_connections_beyond_the_limit_are_closed_at_once_and_the_rest_served(make_server):
    """And an operator is told: refusals were neither logged nor counted."""
    from harness.server import free_port

    debug = free_port()
    pier = make_server("pier", config={"http": {"maxconnections": 50, "debug": {
        "addr": f"127.0.0.1:{debug}", "prometheus": {"enabled": True}}}})
    held = [connect(pier) for _ in range(50)]
    # Once Pier has taken the fifty, the next connection it takes is closed at once.
    extras = []
    for _ in range(10):
        extras.append(connect(pier))
        if closed_by_server(extras[-1], within=3):
            break
    else:
        pytest.fail("no connection over the limit was closed")
    for s in held[:5]:
        s.close()

    def served() -> bool:
        try:
            return Registry(pier.url, timeout=5).get("/v2/").status_code == 200
        except requests.RequestException:
            return False

    assert until(served), "a freed place under the limit was not given to the next client"
    assert "connection limit reached" in pier.log and "limit=50" in pier.log, pier.log[-2000:]
    metrics = requests.get(f"http://127.0.0.1:{debug}/metrics", timeout=10).text
    refused = [line for line in metrics.splitlines() if line.startswith('pier_http_connections_refused_total{listeners="registry"}')]
    assert refused and float(refused[0].split()[-1]) >= 1, metrics
    assert 'pier_http_connections_open{listeners="registry"}' in metrics, metrics
    for s in held[5:] + extras:
        s.close()


def test_idle_and_dripping_connections_to_the_debug_port_do_not_keep_its_probes_out(make_server):
    """300 connections to the debug listener that send nothing, or trickle a request head a
    byte at a time, took its 256 places for the registry's 30 s header timeout, and every
    health probe and scrape was refused meanwhile. The debug listener cuts them within 5 s (a
    probe sends its request at once) and allows more of them: the probes keep answering."""
    from harness.server import free_port

    debug = free_port()
    make_server("pier", config={"http": {"debug": {"addr": f"127.0.0.1:{debug}", "prometheus": {"enabled": True}}}})
    base = f"http://127.0.0.1:{debug}"
    idle = [socket.create_connection(("127.0.0.1", debug), timeout=10) for _ in range(150)]
    dripping = [socket.create_connection(("127.0.0.1", debug), timeout=10) for _ in range(150)]
    for s in dripping:
        s.sendall(b"GET /metrics HTTP/1.1\r\nX-A: ")
    started = time.monotonic()
    stop = threading.Event()

    def drip() -> None:
        while not stop.wait(1):
            for s in dripping:
                try:
                    s.send(b"a")
                except OSError:
                    pass

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()

    def probed() -> bool:
        try:
            return requests.get(base + "/debug/health", timeout=3).status_code == 200
        except requests.RequestException:
            return False

    try:
        assert until(probed, within=10), "/debug/health did not answer beside 300 slow connections"
        assert requests.get(base + "/metrics", timeout=10).status_code == 200
        open_ = idle + dripping
        while open_ and time.monotonic() - started < 15:
            open_ = [s for s in open_ if not closed_by_server(s, within=0.01)]
            time.sleep(0.5)
        assert not open_, f"{len(open_)} slow connections to the debug port were still open after 15 s"
    finally:
        stop.set()
        dripper.join()
        for s in idle + dripping:
            s.close()


def test_the_listen_queue_is_as_long_as_the_kernel_allows(server):
    """A burst of connections (a CI fleet starting its pulls at once) waits in the kernel's
    queue rather than being dropped and retried a second later: the listener asks for as
    long a queue as `net.core.somaxconn` allows, as distribution (Go) does."""
    from harness.tools import require_tool

    require_tool("ss")
    port = server.host.rsplit(":", 1)[1]
    lines = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout.split("\n")
    queues = {int(line.split()[2]) for line in lines if line.strip()}
    allowed = min(int(Path("/proc/sys/net/core/somaxconn").read_text()), 65535)
    assert queues == {allowed}, lines


def test_oversized_headers_are_refused_without_harm(guarded):
    s = connect(guarded)
    s.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {guarded.host}\r\nX-Big: {'a' * (1 << 20)}\r\n\r\n".encode())
    s.settimeout(10)
    try:
        answer = s.recv(65536)
    except (ConnectionResetError, BrokenPipeError):
        answer = b""
    assert answer == b"" or answer.split(b" ")[1][:1] == b"4", answer[:200]
    assert Registry(guarded.url).get("/v2/").status_code == 200


@pytest.mark.parametrize("head", [
    "POST /v2/smuggle/blobs/uploads/ HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
    "POST /v2/smuggle/blobs/uploads/ HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\n",
    "POST /v2/smuggle/blobs/uploads/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
], ids=["content-length-and-chunked", "two-content-lengths", "two-transfer-encodings"])
def test_request_smuggling_shapes_never_become_a_second_request(guarded, head):
    s = connect(guarded)
    # What a front proxy reading the other framing would take for the next request.
    smuggled = f"0\r\n\r\nDELETE /v2/smuggle/manifests/latest HTTP/1.1\r\nHost: h\r\n\r\n"
    s.sendall((head + smuggled).encode())
    s.settimeout(5)
    received = b""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            received += data
    except (socket.timeout, ConnectionResetError):
        pass
    statuses = [line.split(b" ")[1] for line in received.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
    # Refused as a bad request (or closed), and never a second answer for the smuggled one.
    assert len(statuses) <= 1, received[:500]
    assert not statuses or statuses[0].startswith(b"4"), received[:300]
    assert Registry(guarded.url).get("/v2/").status_code == 200


def server_holds(server, sock: socket.socket) -> bool:
    """Whether the server's end of `sock` is still an open TCP connection (its row in
    /proc/net/tcp: the server's port, the client's port as the remote one)."""
    server_port = int(server.host.rsplit(":", 1)[1])
    client_port = sock.getsockname()[1]
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.readlines()[1:]:
                local, remote, state = row.split()[1:4]
                if int(local.rsplit(":", 1)[1], 16) == server_port and int(remote.rsplit(":", 1)[1], 16) == client_port \
                        and state not in ("07", "0A"):  # not CLOSE or LISTEN
                    return True
    return False


def test_a_client_that_stops_reading_a_1gib_pull_holds_no_memory_and_is_dropped_after_the_write_timeout(make_server):
    # The write timeout (4 s) drops the stalled pull, well before the idle timeout (60 s)
    # could; the idle timeout does not run while a response is written anyway.
    pier = make_server("pier", config={"http": {"timeouts": {"header": "2s", "idle": "60s", "write": "4s"}}})
    reg = Registry(pier.url, timeout=600)
    block = os.urandom(1 << 20)
    digest, _, pushed = reg.push_stream("team/big", (block for _ in range(1024)))
    assert pushed.status_code == 201
    before = rss_mib(pier)
    s = connect(pier)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.sendall(f"GET /v2/team/big/blobs/{digest} HTTP/1.1\r\nHost: {pier.host}\r\n\r\n".encode())
    assert s.recv(65536).startswith(b"HTTP/1.1 200")  # the head and a little: then nothing more is read
    time.sleep(1)
    assert server_holds(pier, s), "the pull was dropped before its write timeout"
    assert Registry(pier.url).get("/v2/").status_code == 200
    assert rss_mib(pier) - before < 64
    # Past the write timeout: the connection is gone on the server's side, and nothing grew.
    assert until(lambda: not server_holds(pier, s), within=30), "the stalled pull was never dropped"
    assert closed_by_server(s, within=10)
    assert Registry(pier.url).get("/v2/").status_code == 200
    assert rss_mib(pier) - before < 64
    s.close()


def test_a_slow_pull_that_keeps_reading_outlives_the_write_timeout(make_server):
    """The write timeout bounds a stall, not a transfer: a pull read slowly for longer than
    it (8 MiB at about 1 MiB/s, 3 s limit) arrives whole."""
    pier = make_server("pier", config={"http": {"timeouts": {"write": "3s"}}})
    reg = Registry(pier.url)
    block = os.urandom(1 << 20)
    digest, _, pushed = reg.push_stream("team/slow", (block for _ in range(8)))
    assert pushed.status_code == 201
    s = connect(pier)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.sendall(f"GET /v2/team/slow/blobs/{digest} HTTP/1.1\r\nHost: {pier.host}\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        piece = s.recv(65536)
        assert piece, f"the connection closed before the head: {received[:200]!r}"
        received += piece
    head, body = received.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    started = time.monotonic()
    sha = hashlib.sha256(body)
    size = len(body)
    while size < len(block) * 8:
        piece = s.recv(65536)
        assert piece, f"the slow pull was cut after {size} bytes"
        sha.update(piece)
        size += len(piece)
        time.sleep(len(piece) / (1 << 20))  # about 1 MiB/s
    assert time.monotonic() - started > 4, "the pull was not slower than the write timeout"
    assert "sha256:" + sha.hexdigest() == digest
    s.close()
