"""SIGKILL in the middle of concurrent pushes, restart on the same root
(pier-only): nothing acknowledged is lost, nothing unacknowledged is served
partially, interrupted upload sessions resume or are cleanly unknown."""

import random
import threading
import time
from dataclasses import dataclass

import pytest

from harness import Registry, error_codes, images

pytestmark = pytest.mark.pier_only

KiB, MiB = 1024, 1024 * 1024
CHUNK = 256 * KiB


@dataclass
class Pushed:
    """One blob or manifest push: acked once its 201 arrived."""
    repo: str
    data: bytes
    tag: str | None = None  # manifests only
    media_type: str | None = None
    acked: bool = False

    @property
    def digest(self) -> str:
        return images.sha256(self.data)


@dataclass
class Session:
    """A chunked upload: what was acknowledged and what was put on the wire."""
    repo: str
    data: bytes
    location: str = ""
    acked: int = 0
    sent: int = 0
    finished: bool = False


class Workload:
    def __init__(self, url: str):
        self.url = url
        self.blobs: list[Pushed] = []
        self.manifests: list[Pushed] = []
        self.sessions: list[Session] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def acked_count(self) -> int:
        with self.lock:
            return sum(p.acked for p in self.blobs + self.manifests)

    def session_in_flight(self) -> bool:
        with self.lock:
            return any(s.acked > 0 and not s.finished for s in self.sessions)

    def _record(self, lst, item):
        with self.lock:
            lst.append(item)
        return item

    def monolithic(self, n: int) -> None:
        reg = Registry(self.url, timeout=20)
        for i in range(10_000):
            if self.stop.is_set():
                return
            repo = f"crash/mono{n}"
            img = images.image(1, layer_size=random.randint(100 * KiB, 2 * MiB))
            for b in img.blobs:
                p = self._record(self.blobs, Pushed(repo, b.data))
                p.acked = reg.push_blob(repo, b.data, mode="monolithic").status_code == 201
                if not p.acked:
                    return
            m = self._record(self.manifests, Pushed(repo, img.data, f"m{n}-{i}", img.media_type))
            m.acked = reg.put_manifest(repo, m.tag, img).status_code == 201

    def chunked(self, n: int) -> None:
        reg = Registry(self.url, timeout=20)
        while not self.stop.is_set():
            repo = f"crash/chunked{n}"
            s = Session(repo, images.random_bytes(random.randint(2 * MiB, 5 * MiB)))
            blob = self._record(self.blobs, Pushed(repo, s.data))
            s.location = reg.upload_url(repo)
            self._record(self.sessions, s)
            for off in range(0, len(s.data), CHUNK):
                piece = s.data[off : off + CHUNK]
                s.sent = off + len(piece)
                r = reg.patch_chunk(s.location, piece, off)
                if r.status_code != 202:
                    return
                s.location, s.acked = r.headers["Location"], off + len(piece)
            r = reg.finish_upload(s.location, blob.digest)
            s.finished = blob.acked = r.status_code == 201

    def streamed(self) -> None:
        reg = Registry(self.url, timeout=20)
        while not self.stop.is_set():
            data = images.random_bytes(4 * MiB)
            # This thread's own record: the list's last entry may be another thread's by now.
            blob = self._record(self.blobs, Pushed("crash/streamed", data))

            def slow():
                for off in range(0, len(data), 64 * KiB):
                    time.sleep(0.005)
                    yield data[off : off + 64 * KiB]

            loc = reg.upload_url("crash/streamed")
            r = reg.patch(loc, data=slow(), headers={"Content-Type": "application/octet-stream"})
            if r.status_code != 202:
                return
            blob.acked = reg.finish_upload(r.headers["Location"], images.sha256(data)).status_code == 201

    def run(self, fn, *args) -> threading.Thread:
        def guarded():
            try:
                fn(*args)
            except Exception:  # the server was killed under us: expected
                pass

        t = threading.Thread(target=guarded, daemon=True)
        t.start()
        return t


def resume(reg: Registry, s: Session) -> None:
    """Finish an interrupted session from the offset the server reports, or
    accept that the server forgot it (404 BLOB_UPLOAD_UNKNOWN)."""
    st = reg.get(s.location)
    if st.status_code == 404:
        assert "BLOB_UPLOAD_UNKNOWN" in error_codes(st), st.text
        return
    assert st.status_code == 204, st.text
    end = int(st.headers["Range"].split("-")[1])
    print(f"session acked={s.acked} sent={s.sent} -> server Range {st.headers['Range']}")
    loc = st.headers.get("Location", s.location)
    # "0-0" means either nothing or one byte: try 0, then 1.
    for offset in ([0, 1] if end == 0 else [end + 1]):
        assert offset <= s.sent, f"server claims {offset} bytes but only {s.sent} were sent"
        if offset == len(s.data):
            break
        r = reg.patch_chunk(loc, s.data[offset:], offset)
        if r.status_code == 416 and end == 0 and offset == 0:
            continue
        assert r.status_code == 202, r.text
        loc = r.headers["Location"]
        break
    r = reg.finish_upload(loc, images.sha256(s.data))
    assert r.status_code == 201, r.text
    assert reg.get_blob(s.repo, images.sha256(s.data)).content == s.data


def verify(reg: Registry, work: Workload) -> None:
    """Every acked push pulls whole; nothing unacked is served partially."""
    for b in work.blobs:
        r = reg.get_blob(b.repo, b.digest)
        if b.acked:
            assert r.status_code == 200 and r.content == b.data, f"acked blob {b.repo}@{b.digest} lost: {r.status_code}"
        else:
            assert r.status_code == 404 or images.sha256(r.content) == b.digest, f"partial blob served: {b.digest}"
    for m in work.manifests:
        for ref in (m.tag, m.digest):
            r = reg.get_manifest(m.repo, ref)
            if m.acked:
                assert r.status_code == 200 and r.content == m.data, f"acked manifest {m.repo}:{ref} lost"
            else:
                assert r.status_code == 404 or r.content == m.data, f"partial manifest {m.repo}:{ref}"


@pytest.mark.timeout(300)
def test_sigkill_during_concurrent_pushes_keeps_acked_content_and_serves_nothing_partial(make_server, server_kind):
    # http.secret only matters for distribution (signed session URLs across restarts).
    srv = make_server(server_kind, config={"http": {"secret": "e2e-crash"}} if server_kind == "distribution" else None)
    work = Workload(srv.url)
    threads = [work.run(work.monolithic, n) for n in range(3)]
    threads += [work.run(work.chunked, n) for n in range(2)]
    threads.append(work.run(work.streamed))

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (work.acked_count() >= 8 and work.session_in_flight()):
        time.sleep(0.02)
    assert work.acked_count() > 0, f"no push completed before the kill\n{srv.log[-3000:]}"
    srv.kill()
    work.stop.set()
    for t in threads:
        t.join(30)

    srv.start()
    reg = Registry(srv.url)
    verify(reg, work)
    interrupted = [s for s in work.sessions if not s.finished]
    for s in interrupted:
        resume(reg, s)
    # And the registry still takes new pushes.
    reg.push("crash/after", "ok", images.image(1))
    assert srv.answers()


class MountingWorkload(Workload):
    """Adds cross-repository mounts: a blob pushed to one repository, then mounted into
    another (acked by its 201)."""

    def mounting(self, n: int) -> None:
        reg = Registry(self.url, timeout=20)
        while not self.stop.is_set():
            data = images.random_bytes(random.randint(64 * KiB, 1 * MiB))
            source = self._record(self.blobs, Pushed(f"crash/source{n}", data))
            source.acked = reg.push_blob(source.repo, data, mode="monolithic").status_code == 201
            if not source.acked:
                return
            target = self._record(self.blobs, Pushed(f"crash/target{n}", data))
            r = reg.post(f"/v2/{target.repo}/blobs/uploads/", params={"mount": source.digest, "from": source.repo})
            target.acked = r.status_code == 201
            if not target.acked:
                return


@pytest.mark.timeout(400)
def test_repeated_sigkills_at_random_moments_lose_no_acked_push_or_mount(make_server, server_kind):
    """Five kills, each at a random moment of monolithic, chunked and streamed pushes and
    cross-repository mounts running together, on the same storage; after every restart all
    that was ever acknowledged pulls whole and nothing else is served partially."""
    srv = make_server(server_kind, config={"http": {"secret": "e2e-crash"}} if server_kind == "distribution" else None)
    rng = random.Random(2026)
    everything = MountingWorkload(srv.url)
    for cycle in range(5):
        work = MountingWorkload(srv.url)
        threads = [work.run(work.monolithic, 10 * cycle + n) for n in range(2)]
        threads += [work.run(work.chunked, 10 * cycle + n) for n in range(2)]
        threads += [work.run(work.mounting, 10 * cycle + n) for n in range(2)]
        threads.append(work.run(work.streamed))
        time.sleep(rng.uniform(0.3, 2.5))
        srv.kill()
        work.stop.set()
        for t in threads:
            t.join(30)
        srv.start()
        everything.blobs += work.blobs
        everything.manifests += work.manifests
        verify(Registry(srv.url), everything)
    acked_mounts = sum(p.acked for p in everything.blobs if p.repo.startswith("crash/target"))
    assert acked_mounts > 0, "no mount was acknowledged before a kill: the workload did not run"
    Registry(srv.url).push("crash/after", "ok", images.image(1))
