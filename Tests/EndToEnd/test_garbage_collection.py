"""Garbage collection: `pier gc` as distribution's `garbage-collect`, the collector inside a
serving Pier, and a stress test of the collector against concurrent pushes, deletes, mounts,
indexes and referrers (pier-only)."""

from __future__ import annotations

import os
import random
import shutil
import re
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml

from harness import Registry, images
from harness.index_api import api, eventually
from harness.server import distribution_bin, free_port, pier_bin
from test_interop import push_all, sample

pytestmark = pytest.mark.pier_only


def pier_gc(config: Path, *flags: str) -> str:
    done = subprocess.run([pier_bin(), "gc", *flags, str(config)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def eligible_blobs(output: str) -> set[str]:
    return set(re.findall(r"blob (?:eligible for deletion|deleted): (sha256:[0-9a-f]{64})", output))


def blob_files(root: Path) -> set[str]:
    base = root / "docker/registry/v2/blobs/sha256"
    return {"sha256:" + p.parent.name for p in base.glob("*/*/data")}


def garbage(reg: Registry, repo: str) -> tuple[images.Manifest, bytes]:
    """An image whose manifest is then deleted, and a blob no manifest names."""
    doomed = images.image(2)
    reg.push(repo, "doomed", doomed)
    assert reg.delete(f"/v2/{repo}/manifests/{doomed.digest}").status_code == 202
    orphan = images.random_bytes(5000)
    assert reg.push_blob(repo, orphan).status_code == 201
    return doomed, orphan


def verify_tags(reg: Registry, content: dict) -> None:
    """Every tag of `content` serves its manifest, its children and its blobs, digests checked."""
    for tag, (repo, m) in content.items():
        r = reg.get_manifest(repo, tag)
        assert r.status_code == 200 and r.content == m.data, (repo, tag, r.status_code)
        for child in m.children:
            assert reg.get_manifest(repo, child.digest).content == child.data
        for b in m.all_blobs():
            got = reg.get_blob(repo, b.digest)
            assert got.status_code == 200 and images.sha256(got.content) == b.digest, (repo, tag, b.digest)


def test_pier_gc_lists_then_removes_what_nothing_references_and_distribution_agrees(make_server, tmp_path):
    root = tmp_path / "root"
    pier = make_server("pier", root=root)
    reg = Registry(pier.url)
    content = sample()
    chunked = push_all(reg, content)
    doomed, orphan = garbage(reg, "interop/garbage")
    pier.stop()
    # The blob pushed alone and mounted (no manifest names it) goes too, as with distribution.
    dead = {b.digest for b in doomed.blobs} | {doomed.digest, images.sha256(orphan), images.sha256(chunked)}
    before = blob_files(root)

    dry = pier_gc(pier.config_path, "--dry-run")
    assert eligible_blobs(dry) == dead, dry
    assert "would remove 0 tags, 0 manifests and 6 blobs" in dry
    assert blob_files(root) == before

    real = pier_gc(pier.config_path)
    assert eligible_blobs(real) == dead
    assert blob_files(root) == before - dead
    freed = sum(len(b.data) for b in doomed.blobs) + len(doomed.data) + len(orphan) + len(chunked)
    assert f"{freed} bytes" in real
    assert eligible_blobs(pier_gc(pier.config_path, "--dry-run")) == set()

    # distribution's own collector, over the same directory, finds nothing more to delete,
    # and distribution serves every remaining tag.
    dist = make_server("distribution", root=root, start=False)
    dist.config_path.write_text(yaml.safe_dump(dist.config, sort_keys=False))
    theirs = subprocess.run([distribution_bin(), "garbage-collect", "--dry-run", str(dist.config_path)],
                            capture_output=True, text=True, timeout=300)
    assert theirs.returncode == 0, theirs.stderr
    assert "blob eligible for deletion" not in theirs.stdout + theirs.stderr, theirs.stdout
    dist.start()
    verify_tags(Registry(dist.url), content)
    for digest in dead:
        assert Registry(dist.url).get_blob("interop/garbage", digest).status_code == 404
    assert Registry(dist.url).get_blob("interop/blobs", images.sha256(chunked)).status_code == 404


def test_delete_untagged_removes_untagged_manifests_but_keeps_index_children_and_referrers(make_server, tmp_path):
    root = tmp_path / "root"
    pier = make_server("pier", root=root)
    reg = Registry(pier.url)
    repo = "gc/untagged"
    multi = images.index([images.image(1, arch="amd64"), images.image(1, arch="arm64")])
    reg.push(repo, "multi", multi)
    signature = images.artifact("application/vnd.pier.test.signature", [images.Blob(b"sig", "text/plain")], subject=multi.children[0])
    reg.push(repo, None, signature)
    untagged = images.image(1)
    reg.push(repo, None, untagged)
    retagged = images.image(1)
    reg.push(repo, "moving", retagged)
    reg.push(repo, "moving", images.image(1))  # the tag moves on: the old image is untagged
    pier.stop()

    out = pier_gc(pier.config_path, "--delete-untagged")
    assert set(re.findall(r"manifest deleted: (\S+)", out)) == {f"{repo}@{untagged.digest}", f"{repo}@{retagged.digest}"}
    assert {b.digest for b in untagged.blobs} | {b.digest for b in retagged.blobs} <= eligible_blobs(out)

    pier.start()
    for ref in ("multi", multi.children[0].digest, multi.children[1].digest, signature.digest):
        assert reg.get_manifest(repo, ref).status_code == 200, ref
    referrers = reg.get(f"/v2/{repo}/referrers/{multi.children[0].digest}").json()["manifests"]
    assert [d["digest"] for d in referrers] == [signature.digest]
    assert reg.get_manifest(repo, untagged.digest).status_code == 404


def test_the_server_collects_while_it_serves_and_reports_it_in_metrics(make_server, tmp_path):
    debug = f"127.0.0.1:{free_port()}"
    pier = make_server("pier", config={
        # Grace long enough that a collection starting between a blob's upload and its
        # manifest's PUT (the pushes below) leaves the blob: 0s is safe only when idle.
        "gc": {"interval": "200ms", "grace": "2s"},
        "http": {"debug": {"addr": debug, "prometheus": {"enabled": True}}},
    })
    reg = Registry(pier.url)
    kept = images.image(1)
    reg.push("gc/online", "kept", kept)
    doomed, orphan = garbage(reg, "gc/online")
    dead = {b.digest for b in doomed.blobs} | {doomed.digest, images.sha256(orphan)}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and blob_files(pier.root) & dead:
        time.sleep(0.2)
    assert not blob_files(pier.root) & dead
    for blob in kept.all_blobs():
        assert reg.get_blob("gc/online", blob.digest).status_code == 200
    # The files go when the sweep moves them aside; the run records its counts once it has
    # deleted them and released its lease, a moment later.
    def recorded() -> str | None:
        metrics = requests.get(f"http://{debug}/metrics", timeout=10).text
        swept = re.search(r"^pier_gc_swept_blobs_total (\S+)$", metrics, re.M)
        return metrics if swept and float(swept.group(1)) >= 1 else None
    metrics = eventually(recorded, 15)
    assert metrics, "the sweep's blobs were never counted in the metrics"
    assert re.search(r'pier_gc_runs_total\{result="success"\} [1-9]', metrics), metrics
    assert re.search(r"pier_gc_freed_bytes_total [1-9]", metrics)
    assert "garbage collection finished" in pier.log
    # Restarted, the instance says when the store was last collected before it collects
    # itself (0 made an alert on the age fire after every restart).
    pier.stop()
    pier.config["gc"]["interval"] = "24h"
    pier.start()
    text = requests.get(f"http://{debug}/metrics", timeout=10).text
    found = re.search(r"pier_gc_last_success_timestamp_seconds ([0-9.e+]+)", text)
    assert found and float(found.group(1)) > time.time() - 600, text


def test_a_registry_with_collection_or_deletes_off_never_collects(make_server, tmp_path):
    for config in ({"gc": {"enabled": False, "interval": "100ms", "grace": "0s"}},
                   {"storage": {"delete": {"enabled": False}}, "gc": {"interval": "100ms", "grace": "0s"}}):
        pier = make_server("pier", config=config)
        reg = Registry(pier.url)
        orphan = images.random_bytes(100)
        assert reg.push_blob("gc/off", orphan).status_code == 201
        time.sleep(1.5)
        assert images.sha256(orphan) in blob_files(pier.root)
        assert "garbage collection" not in pier.log
        pier.stop()


def test_pier_gc_refuses_a_bad_grace_and_says_why(make_server, tmp_path):
    pier = make_server("pier", start=False)
    pier.config_path.write_text(yaml.safe_dump(pier.config))
    done = subprocess.run([pier_bin(), "gc", "--grace", "soon", str(pier.config_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "--grace" in done.stderr


def test_gc_refuses_pull_based_retention_when_the_index_cannot_be_opened(make_server, tmp_path):
    """keep.within keeps a tag pulled within its duration, by the index's pull times: an
    index that does not open (here: a schema newer than this build) stops `pier gc` with
    exit 1 and deletes nothing, where it used to judge by pushes alone and list a tag pulled
    seconds ago. With the index disabled on purpose, pushes alone count."""
    root = tmp_path / "root"
    database = tmp_path / "index.db"
    # Its own filesystem and SQLite index whatever --storage and --index say: the test ages
    # the tag's files and edits the database.
    pier = make_server("pier", root=root, config={
        "storage": {"filesystem": {"rootdirectory": str(root)}},
        "index": {"database": f"sqlite://{database}"},
        "gc": {"enabled": False},
        "retention": [{"repositories": ["alice/**"], "keep": {"within": "1h"}}],
    })
    reg = Registry(pier.url)
    reg.push("alice/app", "v0", images.image(1))
    reg.push("alice/app", "v1", images.image(1))
    assert reg.get_manifest("alice/app", "v1").status_code == 200
    assert eventually(lambda: any(t["name"] == "v1" and t.get("last_pulled_at")
                                  for t in api(pier, "/api/v1/repositories/alice/app/tags").json().get("results", [])))
    pier.stop()
    # Both pushed three days ago; v1 pulled just now, v0 never.
    days_ago = time.time() - 3 * 24 * 3600
    repository = root / "docker/registry/v2/repositories/alice/app"
    for path in [repository, *repository.rglob("*")]:
        os.utime(path, (days_ago, days_ago))

    dry = pier_gc(pier.config_path, "--dry-run")
    assert "tag eligible for deletion: alice/app:v0" in dry and "alice/app:v1" not in dry, dry

    db = sqlite3.connect(database)
    with db:
        db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (1000000, 0)")
    db.close()
    for flags in (["--dry-run"], []):
        done = subprocess.run([pier_bin(), "gc", *flags, str(pier.config_path)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, (flags, done.stdout, done.stderr)
        assert "keep.within" in done.stderr and "newer than this build" in done.stderr, done.stderr
        assert "alice/app:v1" not in done.stdout, done.stdout
    for tag in ("v0", "v1"):
        assert (repository / "_manifests/tags" / tag / "current/link").exists(), tag

    # Asked for explicitly, the index off: no pull is counted, and both tags are past an hour.
    done = subprocess.run([pier_bin(), "gc", "--dry-run", str(pier.config_path)], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, REGISTRY_INDEX_DISABLED="true"))
    assert done.returncode == 0, done.stderr
    assert "alice/app:v0" in done.stdout and "alice/app:v1" in done.stdout, done.stdout


# ---- the stress test ------------------------------------------------------------------------

class Writer(threading.Thread):
    """Pushes, deletes, re-pushes, mounts, pushes indexes and referrers in its own
    repositories, sharing one base layer with every other writer; records what each tag
    must be at the end. A manifest refused for a blob the collector took is pushed again
    with its blobs uploaded again, as a client does."""

    def __init__(self, url: str, number: int, base: images.Blob, operations: int, peers: list["Writer"]):
        super().__init__(daemon=True)
        self.reg = Registry(url)
        self.number = number
        self.base = base
        self.operations = operations
        self.peers = peers
        self.rng = random.Random(number)
        self.tags: dict[tuple[str, str], images.Manifest | None] = {}
        self.history: list[tuple[str, str, images.Manifest]] = []
        self.retries = 0
        self.error: BaseException | None = None

    def repo(self) -> str:
        return f"stress/w{self.number}/r{self.rng.randrange(3)}"

    def push(self, repo: str, ref: str | None, manifest: images.Manifest) -> None:
        for child in manifest.children:
            self.push(repo, None, child)
        for attempt in range(10):
            for blob in manifest.blobs:
                if self.reg.head_blob(repo, blob.digest).status_code != 200:
                    r = self.reg.push_blob(repo, blob)
                    assert r.status_code == 201, f"blob push: {r.status_code} {r.text}"
            r = self.reg.put_manifest(repo, ref or manifest.digest, manifest)
            if r.status_code == 201:
                return
            assert r.status_code == 400 and "MANIFEST_BLOB_UNKNOWN" in r.text, f"manifest push: {r.status_code} {r.text}"
            self.retries += 1
            # An index whose child went: push the children again.
            for child in manifest.children:
                self.push(repo, None, child)
        raise AssertionError(f"manifest {manifest.digest} refused ten times")

    def image(self) -> images.Manifest:
        return images.image([self.base, images.random_layer(self.rng.randrange(200, 4000))])

    def step(self, i: int) -> None:
        kind = self.rng.choice(["push", "push", "delete", "repush", "mount", "index", "referrer", "delete_digest"])
        repo = self.repo()
        if kind == "push" or not self.history:
            m = self.image()
            tag = f"t{i}"
            self.push(repo, tag, m)
            self.tags[(repo, tag)] = m
            self.history.append((repo, tag, m))
        elif kind == "delete":
            live = [k for k, v in self.tags.items() if v is not None]
            if live:
                repo, tag = self.rng.choice(live)
                assert self.reg.delete(f"/v2/{repo}/manifests/{tag}").status_code == 202
                self.tags[(repo, tag)] = None
        elif kind == "delete_digest":
            live = [k for k, v in self.tags.items() if v is not None and not v.children]
            if live:
                repo, tag = self.rng.choice(live)
                m = self.tags[(repo, tag)]
                r = self.reg.delete(f"/v2/{repo}/manifests/{m.digest}")
                assert r.status_code == 202, r.text
                # Every tag of this repository on that manifest goes with it.
                for key, value in self.tags.items():
                    if key[0] == repo and value is not None and value.digest == m.digest:
                        self.tags[key] = None
        elif kind == "repush":
            repo, tag, m = self.rng.choice(self.history)
            self.push(repo, tag, m)
            self.tags[(repo, tag)] = m
        elif kind == "mount":
            peer = self.rng.choice(self.peers)
            if peer.history:
                source, _, m = peer.history[self.rng.randrange(len(peer.history))]
                for blob in m.blobs:
                    r = self.reg.start_upload(repo, mount=blob.digest, **{"from": source})
                    assert r.status_code in (201, 202), r.text
                    if r.status_code == 202:
                        self.reg.delete(r.headers["Location"])
                tag = f"m{i}"
                self.push(repo, tag, m)
                self.tags[(repo, tag)] = m
                self.history.append((repo, tag, m))
        elif kind == "index":
            m = images.index([images.image([self.base], arch="amd64"), images.image([self.base], arch="arm64")])
            tag = f"i{i}"
            self.push(repo, tag, m)
            self.tags[(repo, tag)] = m
        elif kind == "referrer":
            repo, tag, subject = self.rng.choice(self.history)
            if self.tags.get((repo, tag)) is subject:
                sig = images.artifact("application/vnd.pier.test.signature", [images.Blob(images.random_bytes(64), "text/plain")], subject=subject)
                self.push(repo, None, sig)

    def run(self) -> None:
        try:
            for i in range(self.operations):
                self.step(i)
        except BaseException as e:  # reported by the test
            self.error = e


def run_stress(make_server, tmp_path, config: dict, writers: int, operations: int, collections: int) -> None:
    debug = f"127.0.0.1:{free_port()}"
    config = {**config, "gc": {"interval": "50ms", "grace": "2s"},
              "http": {"debug": {"addr": debug, "prometheus": {"enabled": True}}}}
    pier = make_server("pier", config=config)
    base = images.random_layer(20_000)
    team: list[Writer] = []
    team.extend(Writer(pier.url, n, base, operations, team) for n in range(writers))
    for w in team:
        w.start()
    for w in team:
        w.join(timeout=1200)
    for w in team:
        assert w.error is None, f"writer {w.number}: {w.error!r}"

    metrics = requests.get(f"http://{debug}/metrics", timeout=10).text
    def metric(name: str) -> int:
        found = re.search(rf"^{name} (\S+)$", metrics, re.M)
        return int(float(found.group(1))) if found else 0

    runs = metric('pier_gc_runs_total\\{result="success"\\}')
    interleaved = metric("pier_gc_concurrent_writes_total")
    print(f"\nstress: {writers} writers x {operations} operations; {runs} collections, which saw "
          f"{interleaved} writes relying on blobs while they ran; {metric('pier_gc_swept_blobs_total')} blobs "
          f"swept, {metric('pier_gc_revived_total')} put back for a write; "
          f"{sum(w.retries for w in team)} manifests pushed again after a blob unknown")
    assert runs >= collections and interleaved >= 100, "the collector hardly ran during the writes"

    # Every tag is what its writer last made it, and pulls whole, every digest verified
    # (four tags at a time: on S3 each blob is a store round trip).
    def verify(repo: str, tag: str, m) -> None:
        client = Registry(pier.url)
        if m is None:
            assert client.get_manifest(repo, tag).status_code == 404, (repo, tag)
        else:
            verify_tags(client, {tag: (repo, m)})

    with ThreadPoolExecutor(4) as pool:
        checks = [pool.submit(verify, repo, tag, m) for w in team for (repo, tag), m in w.tags.items()]
        for check in checks:
            check.result()

    # Once the grace period has passed, the collector leaves nothing behind that no tag
    # (or kept manifest) reaches: the offline collector finds nothing more.
    deadline = time.monotonic() + 180
    left = None
    while time.monotonic() < deadline:
        done = subprocess.run([pier_bin(), "gc", "--dry-run", "--quiet", str(pier.config_path)], capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            left = done.stdout
            if "would remove 0 tags, 0 manifests and 0 blobs" in left:
                break
        time.sleep(0.5)
    assert left is not None and "would remove 0 tags, 0 manifests and 0 blobs" in left, left


def test_the_collector_never_takes_a_live_blob_under_concurrent_writes_on_the_filesystem(make_server, tmp_path):
    run_stress(make_server, tmp_path, {}, writers=4, operations=300, collections=10)


def test_the_collector_never_takes_a_live_blob_under_concurrent_writes_on_s3(make_server, tmp_path, seaweedfs):
    config = {"storage": {"s3": seaweedfs.s3_config(seaweedfs.new_bucket())}}
    run_stress(make_server, tmp_path, config, writers=3, operations=120, collections=3)


def quarantined(root: Path) -> list[Path]:
    return [p for p in (root / "docker/registry/v2/_pier/gc/quarantine").glob("*/*") if p.is_file() or p.is_dir()]


def plant_orphans(root: Path, count: int) -> None:
    """Writes `count` blobs no manifest names straight into the layout, as a push whose
    manifest never came would have left them: what a collection then sweeps, written in a
    fraction of the time that pushing each would take."""
    base = root / "docker/registry/v2/blobs/sha256"
    for _ in range(count):
        data = images.random_bytes(64)
        hexdigest = images.sha256(data).removeprefix("sha256:")
        folder = base / hexdigest[:2] / hexdigest
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "data").write_bytes(data)


def caught_mid_sweep(pier, within: float = 60.0) -> bool:
    """Waits until the collector has blobs moved aside (a batch in hand)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if quarantined(pier.root):
            return True
        time.sleep(0.002)
    return False


def test_a_stop_in_the_middle_of_a_sweep_finishes_the_batch_and_a_kill_is_put_right_at_start(make_server):
    """A server stopped while a batch of blobs is moved aside finishes the batch (deleted or
    put back, nothing left aside); one killed there puts the batch back as it starts, not an
    interval later, so no blob a push needs stays missing."""
    pier = make_server("pier", config={"gc": {"interval": "1h", "grace": "0s"}})
    reg = Registry(pier.url)
    kept = images.image(1)
    reg.push("gc/stop", "kept", kept)

    for stop in ("terminate", "kill"):
        for attempt in range(5):
            # Garbage piled up while no collection runs, then one collection of it all.
            pier.stop()
            plant_orphans(pier.root, 1500)
            pier.config["gc"]["interval"] = "200ms"
            pier.start()
            assert caught_mid_sweep(pier), "the collection was never seen with a batch in hand"
            if stop == "terminate":
                pier.stop()
                assert quarantined(pier.root) == [], "a stopped collection left blobs aside"
                pier.start()
                break
            pier.kill()
            if quarantined(pier.root):
                break
            pier.start()  # the batch ended between the look and the kill: again
        else:
            pytest.fail("no kill landed while a batch was aside")
        if stop == "kill":
            # No collection is due for an hour: only the start puts the batch back.
            pier.config["gc"]["interval"] = "1h"
            pier.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and quarantined(pier.root):
                time.sleep(0.1)
            assert quarantined(pier.root) == [], "a killed collection's batch stayed aside after a start"
        for blob in kept.all_blobs():
            assert reg.get_blob("gc/stop", blob.digest).status_code == 200


def test_a_blob_a_push_reuses_is_kept_for_the_whole_grace_period_not_only_the_journals_window(make_server, tmp_path):
    """A push that mounts an old unreferenced layer, or uploads bytes already stored, keeps
    the stored copy: that copy is young again, so a collection with a grace period keeps
    it however long the push takes to send its manifest (the journal entry protects it
    ten minutes only, stood for here by deleting the journal)."""
    root = tmp_path / "root"
    pier = make_server("pier", root=root, config={"gc": {"enabled": False}})
    reg = Registry(pier.url)
    old = images.image(3)
    reg.push("gc/old", "v1", old)
    assert reg.delete(f"/v2/gc/old/manifests/{old.digest}").status_code == 202
    hours_ago = time.time() - 2 * 3600
    for path in (root / "docker/registry/v2/blobs").rglob("data"):
        os.utime(path, (hours_ago, hours_ago))
    mounted, uploaded, control = old.blobs[0], old.blobs[1], old.blobs[2]
    r = reg.post("/v2/gc/new/blobs/uploads/", params={"mount": mounted.digest, "from": "gc/old"})
    assert r.status_code == 201, r.text
    assert reg.push_blob("gc/new", uploaded.data).status_code == 201
    shutil.rmtree(root / "docker/registry/v2/_pier/gc/references")
    removed = eligible_blobs(pier_gc(pier.config_path, "--grace", "1h"))
    assert control.digest in removed and not {mounted.digest, uploaded.digest} & removed, removed
    # The rest of the push: its manifest names what it reused.
    new = images.image([mounted, uploaded])
    assert reg.push("gc/new", "v1", new).status_code == 201
    for blob in (mounted, uploaded):
        assert reg.get_blob("gc/new", blob.digest).status_code == 200
