#!/usr/bin/env python3
"""A soak of Pier under mixed load, not run in CI: pushes, pulls, tag listings, deletes and
catalog pages from several workers for a set time, with the access log on, sampling the
server's resident memory, open files and threads. It passes when no request failed and
none of the three grew between the first sampled window after warm-up and the last.

    Tests/EndToEnd/.venv/bin/python scripts/soak.py --minutes 30 [--pier .build/release/pier]

Results go to bench/results/soak-<time>.json; docs/reliability.md records the last run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "EndToEnd"))

from harness import Registry, Server  # noqa: E402
from harness.images import image, random_layer  # noqa: E402


def proc_sample(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "t": time.monotonic(),
        "rss_mib": int(fields["VmRSS"].split()[0]) / 1024,
        # The heap and stacks, where a leak shows, apart from the binary's own pages
        # (code and constant data the kernel pages in as more paths run, and may drop).
        "rss_anon_mib": int(fields["RssAnon"].split()[0]) / 1024,
        "rss_file_mib": int(fields["RssFile"].split()[0]) / 1024,
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


class Worker(threading.Thread):
    """One client: each step picks an operation, as a CI fleet mixes them."""

    def __init__(self, index: int, url: str, stop: threading.Event, counts: dict, failures: list, lock: threading.Lock,
                 pause: float = 0.0):
        super().__init__(daemon=True)
        self.pause = pause
        self.reg = Registry(url, timeout=120)
        self.rng = random.Random(index)
        self.repo = f"soak/worker{index}"
        self.stop = stop
        self.counts, self.failures, self.lock = counts, failures, lock
        self.pushed: list = []  # (tag, manifest digest, [(blob digest, size)]) still present: digests only, not bytes
        self.serial = 0

    def record(self, kind: str, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if not ok:
                self.failures.append(f"{kind}: {detail}"[:300])

    def push(self) -> None:
        size = self.rng.choice([10_000, 100_000, 1_000_000, 2_000_000])
        img = image(layers=[random_layer(size)])
        # Tags from a pool of 100 per worker, moved again and again: the working set stays
        # bounded, so the registry's caches fill once and any growth after is a leak.
        self.serial += 1
        tag = f"t{self.serial % 100}"
        self.pushed = [p for p in self.pushed if p[0] != tag]
        try:
            self.reg.push(self.repo, tag, img)
            self.pushed.append((tag, img.digest, [(b.digest, b.size) for b in img.blobs]))
            self.record("push", True)
        except AssertionError as e:
            self.record("push", False, str(e))

    def pull(self) -> None:
        if not self.pushed:
            return self.push()
        tag, digest, blobs = self.rng.choice(self.pushed)
        r = self.reg.get_manifest(self.repo, tag)
        ok = r.status_code == 200 and "sha256:" + hashlib.sha256(r.content).hexdigest() == digest
        for blob_digest, size in blobs:
            b = self.reg.get_blob(self.repo, blob_digest)
            ok = ok and b.status_code == 200 and len(b.content) == size and \
                "sha256:" + hashlib.sha256(b.content).hexdigest() == blob_digest
        self.record("pull", ok, f"{r.status_code} {tag}")

    def tags(self) -> None:
        r = self.reg.get(f"/v2/{self.repo}/tags/list?n=50")
        self.record("tags", r.status_code in (200, 404), str(r.status_code))

    def delete(self) -> None:
        if len(self.pushed) < 5:
            return self.push()
        tag, digest, _ = self.pushed.pop(self.rng.randrange(len(self.pushed)))
        r = self.reg.delete(f"/v2/{self.repo}/manifests/{digest}")
        ok = r.status_code == 202 and self.reg.get_manifest(self.repo, tag).status_code == 404
        self.record("delete", ok, f"{r.status_code} {tag}")

    def catalog(self) -> None:
        r = self.reg.get("/v2/_catalog?n=100")
        self.record("catalog", r.status_code == 200, str(r.status_code))

    def run(self) -> None:
        steps = [self.push] * 3 + [self.pull] * 8 + [self.tags] * 3 + [self.delete] + [self.catalog]
        while not self.stop.is_set():
            try:
                self.rng.choice(steps)()
            except Exception as e:  # noqa: BLE001 - every failure is counted, none ends the soak
                self.record("error", False, repr(e))
            if self.pause:
                self.stop.wait(self.pause)


def window(samples: list[dict], start: float, end: float, key: str) -> float:
    values = [s[key] for s in samples if start <= s["t"] < end]
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds each worker waits between operations (0: as fast as the server answers)")
    parser.add_argument("--pier", default=str(ROOT / ".build" / "release" / "pier"))
    parser.add_argument("--workdir", default="/tmp/pier-soak")
    args = parser.parse_args()
    os.environ["PIER_BIN"] = args.pier
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    # The collector runs every few minutes, as a long-lived registry's would, so the store
    # stays bounded too (deleted and replaced images are freed).
    server = Server("pier", work / f"run-{int(time.time())}", config={
        "log": {"level": "info", "accesslog": {"disabled": False}},
        "storage": {"delete": {"enabled": True}},
        "gc": {"interval": "3m", "grace": "1m", "untagged": {"delete": True, "age": "1m"}},
    }).start()
    stop = threading.Event()
    counts: dict = {}
    failures: list = []
    lock = threading.Lock()
    workers = [Worker(i, server.url, stop, counts, failures, lock, args.pause) for i in range(args.workers)]
    samples = [proc_sample(server.pid)]
    started = time.monotonic()
    for w in workers:
        w.start()
    duration = args.minutes * 60
    try:
        while time.monotonic() - started < duration:
            time.sleep(10)
            samples.append(proc_sample(server.pid))
            s = samples[-1]
            print(f"{(s['t'] - started) / 60:5.1f} min  rss {s['rss_mib']:7.1f} MiB (anon {s['rss_anon_mib']:6.1f}, "
                  f"file {s['rss_file_mib']:5.1f})  fds {s['fds']:5d}  "
                  f"threads {s['threads']:3d}  requests {sum(counts.values()):7d}  failures {len(failures)}", flush=True)
    finally:
        stop.set()
        for w in workers:
            w.join(120)
        alive = server.alive()
        server.stop()
    # Warm-up is the first sixth; "flat" compares the window after it with the last one.
    sixth = duration / 6
    early = (started + sixth, started + 2 * sixth)
    late = (started + duration - sixth, started + duration + 1)
    result = {
        "minutes": args.minutes, "workers": args.workers, "pause": args.pause, "binary": args.pier,
        # Whether the collector kept up: a store it never finishes collecting grows, and
        # the caches of its content with it.
        "collections_finished": sum(line.count("garbage collection finished")
                                    for line in server.log_path.read_text(errors="replace").splitlines()),
        "requests": counts, "failures": failures[:50], "failure_count": len(failures), "server_alive": alive,
        "samples": samples,
    }
    verdicts = {}
    for key, slack in (("rss_mib", 1.10), ("rss_anon_mib", 1.10), ("fds", 1.10), ("threads", 1.0)):
        a, b = window(samples, *early, key), window(samples, *late, key)
        result[f"{key}_early"], result[f"{key}_late"] = a, b
        verdicts[key] = b <= a * slack + (4 if key.startswith("rss") else 2)
    result["rss_file_mib_early"] = window(samples, *early, "rss_file_mib")
    result["rss_file_mib_late"] = window(samples, *late, "rss_file_mib")
    # Collections start every 3 minutes: at least one per 6 minutes on average, or the
    # store (and what is cached of it) outgrows the soak.
    verdicts["collector"] = result["collections_finished"] >= max(1, int(args.minutes // 6))
    result["flat"] = verdicts
    result["passed"] = alive and not failures and all(verdicts.values())
    out = ROOT / "bench" / "results" / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    print(f"results: {out}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
