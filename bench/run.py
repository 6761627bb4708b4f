#!/usr/bin/env python3
"""Benchmark Pier against the reference registry (CNCF distribution 2.8, Debian's
`docker-registry`) and against the machine's ceilings (openssl SHA-256, nginx).

    bench/run.py [--quick] [--rounds N] [--scenarios a,b] [--write-doc]

See bench/README.md for what is measured and how; `bench/run.py --help` for every option.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
VENV_PY = REPO_ROOT / "Tests" / "EndToEnd" / ".venv" / "bin" / "python"


def _bootstrap_python() -> None:
    """Run under the end-to-end suite's venv (requests, PyYAML, boto3 and SeaweedFS's `weed`
    for the S3 rows); create it if missing."""
    if Path(sys.prefix).resolve() == VENV_PY.parent.parent.resolve():
        return
    if os.environ.get("PIER_BENCH_REEXEC"):
        sys.exit(f"bench/run.py: re-executed under {VENV_PY}, but sys.prefix is {sys.prefix} (PYTHONHOME set?)")
    if not VENV_PY.exists():
        import subprocess

        print("==> python3 -m venv Tests/EndToEnd/.venv", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV_PY.parent.parent)], check=True)
        subprocess.run([str(VENV_PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        str(REPO_ROOT / "Tests" / "EndToEnd" / "requirements.txt")], check=True)
    os.environ["PIER_BENCH_REEXEC"] = "1"
    os.execv(str(VENV_PY), [str(VENV_PY), str(Path(__file__).resolve()), *sys.argv[1:]])


_bootstrap_python()

# ---------------------------------------------------------------------------------------------

import argparse  # noqa: E402
import atexit  # noqa: E402
import concurrent.futures  # noqa: E402
import dataclasses  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import requests  # noqa: E402

sys.path.insert(0, str(BENCH_DIR))

from lib import plan as planlib  # noqa: E402
from lib import procstat, report, storage  # noqa: E402
from lib.machine import (  # noqa: E402
    disk_durable_write_mb_per_s, openssl_sha256_mb_per_s, read_through, warm_memory,
)
from lib.client import BenchRunner, FakeRunner, Invocation, page_weight, timed_window  # noqa: E402
from lib.servers import (  # noqa: E402
    BENCH_PASSWORD, BENCH_USER, FRONT, KINDS, LABEL, BenchServer, Nginx, NginxFront, ServerStartError, TLSFiles,
    make_htpasswd, server_config,
)

GiB = planlib.GiB
IDLE_RSS_STARTS = 3  # fresh starts per server for the idle RSS median (1 with --quick)
# pier-bench scenarios that write to the servers' disks.
WRITE_SCENARIOS = {"push-monolith", "push-chunked", "push-stream", "mixed", "fleet", "push"}
APT_PACKAGES = ["docker-registry", "nginx", "apache2-utils", "openssl", "golang-go", "curl"]
DOC_PATH = REPO_ROOT / "docs" / "performance.md"
RESULTS_DIR = BENCH_DIR / "results"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- setup

def ensure_packages(packages: list[str]) -> None:
    """apt-get install the Debian packages the run needs (only the missing ones), as scripts/test.sh does."""
    missing = []
    for pkg in packages:
        p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        if "install ok installed" not in p.stdout:
            missing.append(pkg)
    if not missing:
        return
    log(f"==> apt-get install {' '.join(missing)}")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "update", "-q"], check=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], check=True, env=env)


def swift_build(products: list[str]) -> Path:
    for product in products:
        # Pier is measured as it is deployed: with the Swift runtime linked in statically,
        # which starts faster and keeps fewer shared-library pages resident.
        extra = ["--static-swift-stdlib"] if product == "pier" else []
        log(f"==> swift build -c release --product {product} {' '.join(extra)}".rstrip())
        subprocess.run(["swift", "build", "-c", "release", "--product", product, *extra], cwd=REPO_ROOT, check=True)
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO_ROOT, check=True,
                         capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def go_build() -> Path:
    """pier-bench-go (bench/goclient), Go's standard library only, built beside Swift's products."""
    out = REPO_ROOT / ".build" / "pier-bench-go"
    out.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("GOCACHE", str(REPO_ROOT / ".build" / "go-cache"))
    log("==> go build bench/goclient")
    subprocess.run(["go", "build", "-o", str(out), "."], cwd=BENCH_DIR / "goclient", env=env, check=True)
    return out


def executable(path: Path | str | None) -> bool:
    return path is not None and os.path.isfile(path) and os.access(path, os.X_OK)


def command_output(argv: list[str]) -> str:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        text = p.stdout.strip() or p.stderr.strip()
        return text.splitlines()[0] if text else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict:
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    os_name = ""
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {
        "nproc": int(command_output(["nproc"]) or os.cpu_count() or 0),
        "cpu_model": model,
        "memory_gib": round(mem_kib / (1 << 20), 1),
        "kernel": platform.release(),
        "os": os_name,
        "clk_tck": procstat.CLK_TCK,
    }


def git_revision() -> str:
    rev = command_output(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return rev + ("-dirty" if dirty else "") if rev else "unknown"


# --------------------------------------------------------------------------- the run

def group_kinds(group) -> tuple[str, ...]:
    """The servers a group has: both, Pier alone for what only Pier serves, or with TLS
    also nginx terminating it in front of the reference."""
    if group.pier_only:
        return ("pier",)
    return KINDS + (FRONT,) if group.tls else KINDS


def round_kinds(kinds: tuple[str, ...], round_no: int) -> list[str]:
    """The order the servers of a group are measured in a round: rotated each round, so
    none always runs first (with two servers: Pier first in odd rounds)."""
    shift = (round_no - 1) % len(kinds)
    return list(kinds[shift:] + kinds[:shift])


class Run:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.plan = planlib.build_plan(args.quick, args.rounds)
        self.scenarios = planlib.select(self.plan, args.scenarios)
        self.pier_htpasswd = planlib.PIER_SUPPORTS_HTPASSWD or args.pier_htpasswd
        self.workdir: Path | None = None
        self.servers: dict[tuple[str, str], BenchServer] = {}  # (group, kind) -> server
        self.nginx: Nginx | None = None
        self.runner: BenchRunner | None = None
        self.go_runner: BenchRunner | None = None
        self.measurements: list[dict] = []
        self.ceilings: list[dict] = []
        self.events: list[str] = []
        self.idle_rss: dict[str, float] = {}
        self.idle_rss_readings: dict[str, list[float]] = {}
        self.idle_rss_after_setup: dict[str, float] = {}
        self.image: dict = {}
        self.populated: dict[str, dict] = {}
        self.problems = 0  # invocations without a result, servers that died
        self.started_at = dt.datetime.now(dt.timezone.utc)
        self.pier_bin = ""
        self.bench_bin = ""
        self.go_bin = ""  # pier-bench-go, for the rows read as Go clients and curl read
        self.seaweed = None  # one SeaweedFS for every S3 group, started on demand
        self.buckets: dict[tuple[str, str], str] = {}  # (group, kind) -> bucket
        self.postgres = None  # one PostgreSQL for every group whose index lives there
        self.tls: TLSFiles | None = None  # the certificate every TLS server presents

    # ---- helpers ---------------------------------------------------------
    def event(self, msg: str) -> None:
        self.events.append(f"{time.strftime('%H:%M:%S')} {msg}")
        log(f"!! {msg}")

    def na_reason(self, scenario) -> str | None:
        if scenario.auth and not self.pier_htpasswd:
            return "n/a (auth not implemented)"
        return None

    def ceilings_to_measure(self) -> list:
        return [] if self.args.no_ceiling else self.plan.ceilings

    def needs_tls(self) -> bool:
        return any(self.plan.groups[g].tls for g in self.needed_groups()) or \
            any(c.tls for c in self.ceilings_to_measure())

    def needed_groups(self) -> list[str]:
        groups = ["main"]
        for s in self.scenarios:
            if s.group not in groups:
                groups.append(s.group)
        return groups

    # ---- preparation -----------------------------------------------------
    def resolve_binaries(self) -> None:
        a = self.args
        if a.no_build:
            bin_dir = REPO_ROOT / ".build" / "release"
        else:
            bin_dir = swift_build(["pier"] + ([] if a.dry_run else ["pier-bench"]))
        self.pier_bin = str(Path(a.pier_bin).resolve()) if a.pier_bin else str(bin_dir / "pier")
        self.bench_bin = str(Path(a.bench_bin).resolve()) if a.bench_bin else str(bin_dir / "pier-bench")
        if not executable(self.pier_bin):
            raise SystemExit(f"Pier binary not found at {self.pier_bin} (build it, or pass --pier-bin)")
        if not a.dry_run and not executable(self.bench_bin):
            raise SystemExit(f"pier-bench not found at {self.bench_bin} (build it, pass --bench-bin, or use --dry-run)")
        os.environ["PIER_BIN"] = self.pier_bin  # what the harness starts
        if not a.dry_run and (any(s.client != "pier-bench" for s in self.scenarios)
                              or any(c.client != "pier-bench" for c in self.ceilings_to_measure())):
            self.go_bin = str(go_build())

    def start_seaweed(self) -> None:
        """One SeaweedFS for the S3 groups, each server with a bucket of its own."""
        from harness.seaweed import SeaweedFS, missing_weed

        reason = missing_weed()
        if reason:
            raise SystemExit(f"S3 scenarios need SeaweedFS: {reason}")
        self.seaweed = SeaweedFS(self.workdir / "seaweedfs").start()
        log(f"==> SeaweedFS S3 on {self.seaweed.endpoint} ({self.seaweed.log_path})")
        for g in self.needed_groups():
            if self.plan.groups[g].s3:
                for kind in KINDS:
                    bucket = self.seaweed.create_bucket(f"bench-{g}-{kind}")
                    # SeaweedFS grows a bucket's first volume on its first write (about a
                    # second); that belongs to neither server's measurement.
                    client = self.seaweed.client()
                    client.put_object(Bucket=bucket, Key="warm-up", Body=b"x" * 1024)
                    client.delete_object(Bucket=bucket, Key="warm-up")
                    self.buckets[(g, kind)] = bucket

    def start_postgres(self) -> None:
        """One PostgreSQL for the groups whose index lives there, a database each."""
        from harness.postgres import PostgreSQL, missing_postgres

        reason = missing_postgres()
        if reason:
            raise SystemExit(f"PostgreSQL scenarios need PostgreSQL: {reason}")
        self.postgres = PostgreSQL(self.workdir / "postgres").start()
        log(f"==> PostgreSQL on {self.postgres.url('postgres')}")

    def prepare_roots(self) -> None:
        if self.needs_tls():
            self.tls = TLSFiles.make(self.workdir / "tls")
        if any(self.plan.groups[g].s3 for g in self.needed_groups()):
            self.start_seaweed()
        if any(self.plan.groups[g].postgres for g in self.needed_groups()):
            self.start_postgres()
        jobs = []
        for g in self.needed_groups():
            group = self.plan.groups[g]
            for kind in group_kinds(group):
                root = self.workdir / f"{g}-{kind}" / "root"
                root.mkdir(parents=True, exist_ok=True)
                if group.gc_repos:
                    t0 = time.monotonic()
                    if group.s3:
                        populated = storage.populate_gc_s3(self.seaweed.client(), self.buckets[(g, kind)],
                                                           group.gc_repos, group.gc_blobs)
                    else:
                        populated = storage.populate_gc(root, group.gc_repos, group.gc_blobs)
                    self.populated[f"{g}/{kind}"] = populated
                    log(f"==> populated {g}/{kind} ({group.gc_repos:,} repos, {populated['blobs']:,} blobs, "
                        f"{populated['garbage']:,} unreferenced) in {time.monotonic() - t0:.1f} s")
                    continue
                if group.catalog_repos and group.s3:
                    t0 = time.monotonic()
                    self.populated[f"{g}/{kind}"] = storage.populate_catalog_s3(
                        self.seaweed.client(), self.buckets[(g, kind)], group.catalog_repos)
                    log(f"==> populated {g}/{kind} ({group.catalog_repos:,} repos in a bucket) "
                        f"in {time.monotonic() - t0:.1f} s")
                elif group.catalog_repos:
                    jobs.append((g, kind, root, group.catalog_repos, group.tags_per_repo))
        if not jobs:
            return
        t0 = time.monotonic()
        log(f"==> populating {', '.join(f'{g}/{k} ({n:,} repos)' for g, k, _, n, _ in jobs)}")
        # each server gets its own root with identical content, written in parallel
        with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
            futures = {pool.submit(storage.populate_catalog, root, n, 1, tags): (g, kind) for g, kind, root, n, tags in jobs}
            for f, (g, kind) in futures.items():
                self.populated[f"{g}/{kind}"] = f.result()
        log(f"    done in {time.monotonic() - t0:.1f} s")

    def start_servers(self) -> None:
        htpasswd_path = None
        if "htpasswd" in self.needed_groups():
            htpasswd_path = self.workdir / "htpasswd"
            make_htpasswd(htpasswd_path)
        for g in self.needed_groups():
            group = self.plan.groups[g]
            # A mirror's upstream (the reference) starts first: Pier's config names it.
            for kind in sorted(group_kinds(group), key=lambda k: k != "distribution") if group.mirror else group_kinds(group):
                if group.htpasswd and kind == "pier" and not self.pier_htpasswd:
                    continue
                wd = self.workdir / f"{g}-{kind}"
                if kind == FRONT:
                    server = NginxFront(wd, wd / "root", g, self.tls)
                    log(f"==> starting {server.label} on {server.url} (reference on {server.upstream.url})")
                    server.start(timeout=60)
                    self.servers[(g, kind)] = server
                    continue
                config = server_config(kind, htpasswd_path if group.htpasswd else None)
                tls = {}
                if group.tls:
                    config.setdefault("http", {}).update(self.tls.http_config())
                    tls = {"scheme": "https", "verify": self.tls.ca}
                if group.s3:
                    s3 = self.seaweed.s3_config(self.buckets[(g, kind)])
                    s3.pop("chunksize", None)  # both at distribution's default part size (10 MiB)
                    config["storage"]["s3"] = s3
                    config["storage"]["redirect"] = {"disable": True}
                if group.index_off and kind == "pier":
                    config["index"] = {"disabled": True}
                if group.mirror and kind == "pier":
                    upstream = self.servers[(g, "distribution")]
                    config["mirrors"] = [{"prefix": "up", "remoteurl": upstream.url}]
                if group.gc_busy and kind == "pier":
                    config["gc"] = {"interval": "100ms", "grace": "24h"}
                if group.postgres and kind == "pier":
                    config["index"] = {"database": self.postgres.new_database()}
                server = BenchServer(
                    kind, wd, root=wd / "root", group=g,
                    config=config,
                    auth=(BENCH_USER, BENCH_PASSWORD) if group.htpasswd else None,
                    **tls,
                )
                log(f"==> starting {server.label} on {server.url}")
                server.start(timeout=60)
                self.servers[(g, kind)] = server
        self.sanity_checks()
        # context only: the main servers have served the sanity checks by now
        self.idle_rss_after_setup = {k: round(self.servers[("main", k)].idle_rss_mib(), 2)
                                     for k in KINDS if ("main", k) in self.servers}
        self.measure_idle_rss(htpasswd_path if self.plan.groups["main"].htpasswd else None,
                              starts=1 if self.args.quick else IDLE_RSS_STARTS)

    def measure_image(self) -> None:
        """Pier's OCI image built by deploy/image/build.sh from the binary measured: its
        compressed size (config and layers, as a client pulls it) against distribution's
        binary, the size issue 24 holds it to."""
        if self.args.dry_run or not self.pier_bin:
            return
        reference = shutil.which("docker-registry")
        self.image = {"reference_binary_bytes": os.path.getsize(os.path.realpath(reference)) if reference else None}
        layout = self.workdir / "image"
        env = dict(os.environ, PIER_BINARY=str(self.pier_bin))
        if self.args.quick:
            # The smoke run's image is of a debug binary and its size means nothing: gzip's
            # fastest level makes it in seconds instead of most of a minute.
            env["PIER_IMAGE_GZIP_LEVEL"] = "1"
        try:
            done = subprocess.run(["bash", str(REPO_ROOT / "deploy" / "image" / "build.sh"), str(layout), "bench"],
                                  capture_output=True, text=True, timeout=600, env=env)
        except subprocess.TimeoutExpired:
            self.image["error"] = "build.sh did not finish"
            return
        if done.returncode != 0:
            self.image["error"] = f"build.sh: {(done.stderr or done.stdout).strip()[-300:]}"
            self.event(self.image["error"])
            return
        blobs = layout / "blobs" / "sha256"
        index = json.loads((layout / "index.json").read_text())
        manifest = json.loads((blobs / index["manifests"][0]["digest"].split(":")[1]).read_text())
        self.image["pier_image_bytes"] = manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])
        stripped = self.workdir / "pier-stripped"
        subprocess.run(["strip", "--strip-all", "-o", str(stripped), str(self.pier_bin)], capture_output=True)
        self.image["pier_binary_bytes"] = stripped.stat().st_size if stripped.exists() else None
        log(f"==> image: {self.image['pier_image_bytes'] / 1e6:.1f} MB compressed")
        shutil.rmtree(layout, ignore_errors=True)

    def measure_idle_rss(self, htpasswd_path: Path | None, starts: int = IDLE_RSS_STARTS) -> None:
        """Idle RSS as the target means it, after start-up and one ping, from fresh instances:
        the median of `starts` per server, started in alternating order. One reading moved by
        1-2 MiB between runs, as much as the servers differ."""
        readings: dict[str, list[float]] = {k: [] for k in KINDS}
        for i in range(starts):
            for kind in (KINDS if i % 2 == 0 else KINDS[::-1]):
                wd = self.workdir / f"idle-{kind}-{i}"
                server = BenchServer(kind, wd, root=wd / "root", group="idle",
                                     config=server_config(kind, htpasswd_path))
                server.start(timeout=60)
                try:
                    readings[kind].append(round(server.idle_rss_mib(), 2))
                finally:
                    server.stop(timeout=20)
                    shutil.rmtree(wd, ignore_errors=True)
        self.idle_rss_readings = readings
        self.idle_rss = {k: round(statistics.median(v), 2) for k, v in readings.items()}
        log("    idle RSS (median of fresh starts): "
            + ", ".join(f"{LABEL[k]} {self.idle_rss[k]:.1f} MiB {readings[k]}" for k in KINDS)
            + "; after the sanity checks: "
            + ", ".join(f"{LABEL[k]} {v:.1f} MiB" for k, v in self.idle_rss_after_setup.items()))

    def sanity_checks(self) -> None:
        """Both servers of each catalog group list the populated repositories and serve their manifest."""
        accept = "application/vnd.oci.image.manifest.v1+json"
        for (g, kind), server in self.servers.items():
            n = self.plan.groups[g].catalog_repos
            if n:
                r = requests.get(server.url + "/v2/_catalog?n=1000", timeout=60)
                repos = r.json().get("repositories", []) if r.status_code == 200 else []
                want = min(n, 1000)
                if len(repos) != want or storage.repo_name(1) not in repos:
                    raise SystemExit(f"{server.label}: _catalog?n=1000 gave HTTP {r.status_code} with {len(repos)} "
                                     f"repositories, expected {want} starting with {storage.repo_name(1)}")
                m = requests.get(f"{server.url}/v2/{storage.repo_name(n)}/manifests/latest",
                                 headers={"Accept": accept}, timeout=30)
                digest = self.populated[f"{g}/{kind}"]["manifest_digest"]
                if m.status_code != 200 or m.headers.get("Docker-Content-Digest") != digest:
                    raise SystemExit(f"{server.label}: GET manifest of {storage.repo_name(n)} gave HTTP {m.status_code} "
                                     f"digest {m.headers.get('Docker-Content-Digest')}, expected {digest}")
            if self.plan.groups[g].tags_per_repo > 1 and kind == "pier":
                self.wait_for_index(server, n, self.plan.groups[g].tags_per_repo)
            if server.auth:
                code = requests.get(server.url + "/v2/", timeout=10).status_code
                if code != 401:
                    raise SystemExit(f"{server.label}: GET /v2/ without credentials answered {code}, expected 401")

    def wait_for_index(self, server: BenchServer, repos: int, tags: int, timeout: float = 900) -> None:
        """Until Pier's index has read every repository and tag from storage (it does at
        first start, in the background): the index rows measure the index, not its build."""
        t0 = time.monotonic()
        last = storage.repo_name(repos)
        while time.monotonic() - t0 < timeout:
            r = requests.get(f"{server.url}/api/v1/repositories/{last}", timeout=30)
            if r.status_code == 200 and r.json().get("tag_count") == tags:
                count = requests.get(f"{server.url}/api/v1/search?page_size=1", timeout=30).json().get("count")
                if count == repos:
                    log(f"    {server.label}: index holds {repos:,} repositories, {repos * tags:,} tags "
                        f"after {time.monotonic() - t0:.1f} s")
                    return
            time.sleep(1)
        raise SystemExit(f"{server.label}: the index did not read {repos:,} repositories in {timeout:.0f} s")

    # ---- measuring -------------------------------------------------------
    def measure(self, server: BenchServer, s, round_no: int, order: int) -> dict:
        rec: dict = {"round": round_no, "scenario": s.id, "server": server.kind, "group": s.group, "order": order,
                     "bench": None, "error": None}
        try:
            rec["server_restarted_before"] = server.ensure_running()
            if rec["server_restarted_before"]:
                self.problems += 1
                self.event(f"{server.label} was not running before {s.id} (round {round_no}); restarted")
        except ServerStartError as e:
            rec["error"] = f"server could not be restarted: {e}"
            self.problems += 1
            self.event(rec["error"][:300])
            return rec
        if s.bench == "gc":
            return self.measure_collection(server, s, rec)
        if s.mirror:
            try:
                s = dataclasses.replace(s, path=self.prepare_mirror_pull(server, s))
            except (requests.RequestException, AssertionError) as e:
                rec["error"] = f"mirror setup: {e}"
                self.problems += 1
                self.event(f"{s.id} on {server.label}: {rec['error'][:300]}")
                return rec
        if s.bench in WRITE_SCENARIOS or s.mirror:
            # Start every write measurement with the disk's queue empty, so the write-back
            # one server (or nginx) left behind is not billed to the next one measured.
            os.sync()
        args = s.bench_args()
        if s.bench in WRITE_SCENARIOS and s.client == "pier-bench":
            args += self.warm_args()
        runner = self.runner
        if s.client != "pier-bench":
            runner = self.go_runner
            # The Go client writes each blob to a file as containerd does, in memory (tmpfs):
            # on disk the row would measure the disk's write-back, not the registry.
            shm = Path("/dev/shm")
            args += ["--tmpdir", str(shm if shm.is_dir() and os.access(shm, os.W_OK) else self.workdir)]
        if self.plan.groups[s.group].tls:
            args += ["--cacert", self.tls.ca]
        pid = server.pids
        rec["peak_reset"] = procstat.reset_peak(pid)
        cpu0 = procstat.cpu_seconds(pid)
        sampler = procstat.Sampler(pid).start()
        name = f"r{round_no}-{s.id}-{server.kind}"
        inv: Invocation = runner.run(server.url, args, s.timeout(), name,
                                          auth=server.auth if s.auth else None, target=server.kind)
        sampler.stop()
        rec["argv"] = inv.argv
        rec["wall_s"] = round(inv.wall_s, 3)
        rec["bench_stderr"] = inv.log
        if server.alive():
            rec["server_peak_rss_mib"] = round(procstat.peak_rss_mib(pid), 2)
            cpu1 = procstat.cpu_seconds(pid)
            rec["server_cpu_s_total"] = round(cpu1 - cpu0, 3)
            rec["server_died"] = False
        else:
            rec["server_died"] = True
            rec["server_peak_rss_mib"] = sampler.max_rss_between(inv.started, inv.ended)
            self.problems += 1
            self.event(f"{server.label} died during {s.id} (round {round_no}), exit {server.proc.returncode}; "
                       f"log tail:\n{server.log[-2000:]}")
            try:
                server.ensure_running()
                self.event(f"{server.label} restarted")
            except ServerStartError as e:
                self.event(f"{server.label} could not be restarted: {str(e)[:300]}")
        if not inv.ok:
            rec["error"] = inv.error
            self.problems += 1
            self.event(f"{s.id} on {server.label} (round {round_no}): {inv.error}")
            return rec
        res = inv.result
        rec["bench"] = res
        # the CPU samples of the timed phase alone, interpolated (see client.timed_window)
        seconds = max(float(res["seconds"]), 0.0)
        window_start, window_end = timed_window(inv.started, inv.ended, res)
        timed_cpu = sampler.cpu_between(window_start, window_end)
        rec["server_cpu_s_timed"] = None if timed_cpu is None else round(timed_cpu, 3)
        rec["server_max_rss_sampled_mib"] = sampler.max_rss_between(inv.started, inv.ended)
        # VmRSS sampled every 50 ms in the timed phase only (VmHWM above includes the setup)
        rec["server_max_rss_timed_mib"] = sampler.max_rss_between(window_start, window_end)
        if timed_cpu is not None and seconds > 0:
            rec["server_cpu_pct"] = round(100.0 * timed_cpu / seconds, 1)
        if timed_cpu is not None and res["bytes"] > 0 and s.moves_bytes:
            rec["server_cpu_s_per_gib"] = round(timed_cpu / (res["bytes"] / GiB), 3)
        if s.id.startswith("web-") and s.path:
            # What a visitor's browser fetches for the page: its HTML and assets.
            try:
                rec["page_bytes"] = page_weight(server.url, s.path)
            except requests.RequestException as e:
                self.event(f"{s.id}: page weight not measured: {e}")
        return rec

    def prepare_mirror_pull(self, server: BenchServer, s) -> str:
        """Puts a fresh blob of the row's size on the mirror's upstream (the group's
        reference), untimed, and answers the path the row pulls: through Pier's mirror
        (first warming its cache for a "cached" row), or straight from the upstream."""
        upstream = self.servers[(s.group, "distribution")]
        digest = storage.push_random_blob(upstream.url, "bench/mirror", s.size)
        # A cold pull through the mirror writes the blob: resident free memory first, as
        # pier-bench --warm-memory gives every write row (MemoryWarmer.swift says why),
        # on both sides alike.
        storage.warm_memory(self.plan.warm_bytes)
        if server.kind != "pier":
            return f"/v2/bench/mirror/blobs/{digest}"
        path = f"/v2/up/bench/mirror/blobs/{digest}"
        if s.mirror == "cached":
            with requests.get(server.url + path, stream=True, timeout=600) as r:
                assert r.status_code == 200, f"warming the cache: {r.status_code}"
                for _ in r.iter_content(1 << 20):
                    pass
            # The last bytes reach the client a moment before the cache commits them; a
            # ranged read waits for the commit.
            r = requests.get(server.url + path, headers={"Range": "bytes=0-0"}, timeout=120)
            assert r.status_code == 206, f"the cached blob: {r.status_code}"
        return path

    def measure_collection(self, server: BenchServer, s, rec: dict) -> dict:
        """One dry-run collection over the group's storage by the server's own collector
        (`pier gc`, `docker-registry garbage-collect`), both offline commands; its rate is the
        blobs examined per second, and it must find exactly the unreferenced ones."""
        group = self.plan.groups[s.group]
        if server.kind == "pier":
            argv = [self.pier_bin, "gc", "--dry-run", "--quiet", str(server.config_path)]
        else:
            argv = ["docker-registry", "garbage-collect", "--dry-run", str(server.config_path)]
        env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=3600, env=env)
        except subprocess.TimeoutExpired:
            rec["error"] = "the collection did not finish in an hour"
            return rec
        seconds = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        rec["argv"] = argv
        rec["wall_s"] = round(seconds, 3)
        if done.returncode != 0:
            rec["error"] = f"exit {done.returncode}: {(done.stderr or done.stdout)[-500:]}"
            self.problems += 1
            self.event(f"{s.id} on {server.label}: {rec['error']}")
            return rec
        if server.kind == "pier":
            found = re.search(r"would remove \d+ tags, \d+ manifests and (\d+) blobs", done.stdout)
            found = int(found.group(1)) if found else -1
        else:
            found = (done.stdout + done.stderr).count("blob eligible for deletion")
        expected = self.populated[f"{s.group}/{server.kind}"]["garbage"]
        blobs = group.gc_repos * group.gc_blobs
        rec["bench"] = {"req_per_s": round(blobs / seconds, 1), "mb_per_s": 0.0, "p50_ms": seconds * 1000,
                        "p90_ms": seconds * 1000, "p99_ms": seconds * 1000, "client_cpu_pct": 0.0,
                        "errors": 0 if found == expected else 1, "requests": blobs, "seconds": seconds, "bytes": 0,
                        "first_error": None if found == expected else f"found {found} unreferenced blobs, expected {expected}"}
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        rec["collector_cpu_s"] = round(cpu, 3)
        rec["server_cpu_pct"] = round(100 * cpu / seconds, 1)
        return rec

    def progress(self, rec: dict, label: str) -> None:
        b = rec.get("bench")
        if not b:
            log(f"   [r{rec['round']}] {rec['scenario']:<24} {label:<10} FAILED: {rec.get('error')}")
            return
        rss = rec.get("server_peak_rss_mib")
        log(f"   [r{rec['round']}] {rec['scenario']:<24} {label:<10} {b['req_per_s']:>10.1f} req/s {b['mb_per_s']:>9.1f} MB/s"
            f"  p99 {b['p99_ms']:>8.2f} ms  peak {rss if rss is not None else float('nan'):>7.1f} MiB"
            f"  errors {b['errors']}  client {b['client_cpu_pct']:.0f}%  ({rec.get('wall_s', 0):.1f} s)")

    def warm_args(self) -> list[str]:
        """pier-bench's arguments for a timed write: resident memory for the page cache first
        (bench/Sources/pier-bench/MemoryWarmer.swift says why), for every server alike."""
        return ["--warm-memory", str(self.plan.warm_bytes)] if self.plan.warm_bytes else []

    def measure_ceilings(self, round_no: int) -> None:
        for c in self.ceilings_to_measure():
            rec: dict = {"round": round_no, "id": c.id, "title": c.title, "value": None, "bench": None}
            if c.kind == "disk":
                rec["unit"] = "MB/s"
                try:
                    # Dirty pages other measurements left behind would share the disk with it.
                    os.sync()
                    warm_memory(self.plan.warm_bytes)
                    rec["value"] = round(disk_durable_write_mb_per_s(self.workdir, c.size or (1 << 30)), 1)
                except OSError as e:
                    rec["error"] = str(e)
                    self.event(f"disk ceiling failed: {e}")
            elif c.kind == "openssl":
                rec["unit"] = "MB/s"
                value, err = openssl_sha256_mb_per_s(self.plan.openssl_seconds)
                rec["value"] = None if value is None else round(value, 1)
                if err:
                    rec["error"] = err
                    self.event(f"openssl speed output not understood: {err}")
            else:
                rec["unit"] = "req/s" if c.metric == "req_per_s" else "MB/s"
                if not self.nginx.alive():
                    self.event("nginx was not running; restarting")
                    self.nginx.start()
                args = c.bench_args()
                if c.bench == "put-url":
                    os.sync()
                    args += self.warm_args()
                elif c.bench == "get-url" and c.size:
                    # The registries' pulls read blobs their setup has just written, so from the
                    # page cache; nginx's file has been idle since the run began, and this machine
                    # pages idle page cache out after about a minute.
                    read_through(self.nginx.www / c.path.lstrip("/"))
                url, runner = self.nginx.url, self.runner
                if c.tls:
                    url = self.nginx.tls_url
                    args += ["--cacert", self.tls.ca]
                if c.client != "pier-bench":
                    runner = self.go_runner
                    args += ["--tmpdir", str(self.workdir)]
                inv = runner.run(url, args, c.timeout(), f"r{round_no}-{c.id}", target="nginx")
                rec["argv"] = inv.argv
                if inv.ok:
                    rec["bench"] = inv.result
                    rec["value"] = round(inv.result[c.metric], 2)
                else:
                    rec["error"] = inv.error
                    self.problems += 1
                    self.event(f"{c.id}: {inv.error}")
                if c.bench == "put-url":
                    self.nginx.clear_uploads()
            self.ceilings.append(rec)
            v = rec["value"]
            log(f"   [r{round_no}] ceiling {c.id:<16} {'–' if v is None else f'{v:,.1f}'} {rec['unit']}")

    def execute(self) -> None:
        a = self.args
        base = Path(a.workdir) if a.workdir else Path(tempfile.gettempdir())
        base.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="pier-bench-", dir=base))
        log(f"==> work directory {self.workdir}")
        self.check_disk()
        self.runner = FakeRunner(self.workdir / "bench-logs") if a.dry_run else \
            BenchRunner(self.bench_bin, self.workdir / "bench-logs", extra_args=a.bench_arg)
        # pier-bench-go takes no pier-bench options (--bench-arg)
        self.go_runner = self.runner if a.dry_run else BenchRunner(self.go_bin, self.workdir / "bench-logs")
        self.prepare_roots()
        self.measure_image()
        self.start_servers()
        if not a.no_ceiling:
            self.nginx = Nginx(self.workdir / "nginx", self.plan.nginx_big_size, tls=self.tls)
            log(f"==> starting nginx on {self.nginx.url}")
            self.nginx.start()
        for round_no in range(1, self.plan.rounds + 1):
            log(f"==> round {round_no}/{self.plan.rounds}")
            self.hold_background(None)
            if not a.no_ceiling:
                self.measure_ceilings(round_no)
            order = planlib.round_order(self.scenarios, round_no)
            last = planlib.last_rows(order)
            for index, s in enumerate(order):
                for i, kind in enumerate(round_kinds(KINDS + (FRONT,), round_no)):
                    if kind == "pier" and self.na_reason(s) or kind not in group_kinds(self.plan.groups[s.group]):
                        continue
                    self.hold_background((s.group, kind))
                    server = self.servers[(s.group, kind)]
                    rec = self.measure(server, s, round_no, i)
                    self.measurements.append(rec)
                    self.progress(rec, LABEL[kind])
                if round_no == self.plan.rounds and index in last:
                    self.retire(s.group)

    def hold_background(self, measuring: tuple[str, str] | None) -> None:
        """Keeps the servers of groups that work unasked (`gc-busy`'s collector runs every
        100 ms) paused except while they themselves are measured: not through another
        group's rows, the ceilings, or the reference's run of the same row. Running from the
        start, that collector took 25–50% of a core through every other row and every
        ceiling of a full run, which read as a slow machine."""
        for key, server in self.servers.items():
            if isinstance(server, BenchServer) and self.plan.groups[key[0]].gc_busy:
                server.resume() if key == measuring else server.pause()

    def retire(self, group: str) -> None:
        """Stops a group's servers after its last row of the last round and removes their
        stored blobs (logs stay): one round of the full plan pushes ~70 GiB, more than this
        machine's disk has free, while the groups' blobs never need to be held all at once.
        An S3 group's blobs stay in SeaweedFS. With --keep-work everything stays."""
        if self.args.keep_work:
            return
        for key in [k for k in self.servers if k[0] == group]:
            server = self.servers.pop(key)
            try:
                server.stop(timeout=20)
            except Exception as e:  # noqa: BLE001 - the run goes on
                log(f"stopping {server.label}: {e}")
                server.kill()
            shutil.rmtree(server.upstream.root if isinstance(server, NginxFront) else server.root, ignore_errors=True)
        log(f"==> group {group} done: its servers stopped, their storage removed "
            f"({shutil.disk_usage(self.workdir).free / GiB:.1f} GiB free)")

    def check_disk(self) -> None:
        """Refuse a run the disk cannot hold: it would fail late, in round 3's S3 rows."""
        need = planlib.disk_bytes_needed(self.plan, self.scenarios, retiring=not self.args.keep_work)
        free = shutil.disk_usage(self.workdir).free
        if free < need:
            msg = f"only {free / GiB:.1f} GiB free under {self.workdir}, the run may hold ~{need / GiB:.1f} GiB at once"
            if not self.args.ignore_disk_space:
                raise RuntimeError(msg + " (free space, pass --workdir, fewer --rounds or --scenarios, "
                                   "or --ignore-disk-space)")
            self.event(msg)

    # ---- cleanup ---------------------------------------------------------
    def cleanup(self, save_logs_to: Path | None = None) -> None:
        for server in list(self.servers.values()):
            try:
                server.stop(timeout=20)
            except Exception as e:  # noqa: BLE001 - cleanup must go on
                log(f"stopping {server.label}: {e}")
                server.kill()
        if self.nginx:
            self.nginx.stop()
        if self.seaweed:
            self.seaweed.kill()
            self.seaweed = None
        if self.postgres:
            self.postgres.stop()
            self.postgres = None
        if self.workdir and self.workdir.exists():
            if save_logs_to is not None and not self.args.keep_work:
                self.save_logs(save_logs_to)
            if self.args.keep_work:
                log(f"==> kept {self.workdir}")
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def save_logs(self, dest: Path) -> None:
        """Keep the server, nginx and pier-bench logs of a run that had problems (not the roots)."""
        # A full disk is one reason a run has problems: losing its logs must not lose the
        # results, which are written after this.
        try:
            dest.mkdir(parents=True, exist_ok=True)
            for path in self.workdir.glob("*/*.log"):
                shutil.copy2(path, dest / f"{path.parent.name}-{path.name}")
            for path in (self.workdir / "nginx").glob("*.log"):
                shutil.copy2(path, dest / f"nginx-{path.name}")
            if (self.workdir / "bench-logs").is_dir():
                shutil.copytree(self.workdir / "bench-logs", dest / "bench-logs", dirs_exist_ok=True)
        except OSError as e:
            log(f"!! could not keep the logs in {dest}: {e}")
            return
        log(f"==> logs of this run kept in {dest}")

    # ---- results ---------------------------------------------------------
    def results(self, complete: bool) -> dict:
        na = {s.id: self.na_reason(s) for s in self.scenarios if self.na_reason(s)}
        summary = report.summarize(self.scenarios, self.measurements, self.ceilings, self.idle_rss, na, self.image)
        return {
            "complete": complete,
            "dry_run": self.args.dry_run,
            "quick": self.args.quick,
            "command": self.command_line(),
            "started": self.started_at.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "git": git_revision(),
            "machine": machine_info(),
            "versions": {
                "pier": command_output([self.pier_bin, "--version"]) if self.pier_bin else "",
                "docker-registry": command_output(["docker-registry", "--version"]),
                "nginx": Nginx.version() if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx") else "",
                "openssl": command_output(["openssl", "version"]),
            },
            "binaries": {"pier": self.pier_bin, "pier-bench": "(fake)" if self.args.dry_run else self.bench_bin},
            "rounds": self.plan.rounds,
            "scenarios": [dataclasses.asdict(s) | {"bench_args": s.bench_args()} for s in self.scenarios],
            "pier_htpasswd": self.pier_htpasswd,
            "populated": self.populated,
            "idle_rss_mib": self.idle_rss,
            "idle_rss_readings_mib": self.idle_rss_readings,
            "idle_rss_after_setup_mib": self.idle_rss_after_setup,
            "image": self.image,
            "events": self.events,
            "ceilings": self.ceilings,
            "measurements": self.measurements,
            "summary": summary,
        }

    def command_line(self) -> str:
        return "bench/run.py" + ("" if len(sys.argv) <= 1 else " " + shlex.join(sys.argv[1:]))

    def doc_body(self, data: dict) -> str:
        m = data["machine"]
        v = data["versions"]
        lines = [
            f"Measured {data['started'][:16].replace('T', ' ')} UTC with `{data['command']}`"
            f" at commit `{data['git']}`{' — a quick run: tiny sizes, 0.5 s durations, not representative' if data['quick'] else ''}."
            f" Raw results: `bench/results/{data['results_file']}` (not committed).",
            "",
            f"- Machine: {m['nproc']} cores (`nproc`), {m['cpu_model']}, {m['memory_gib']} GiB memory, "
            f"Linux {m['kernel']} ({m['os']}); client and servers share these cores.",
            f"- Servers: Pier `{v['pier']}` (release build); reference `{v['docker-registry']}`; {v['nginx']}; {v['openssl']}.",
            f"- {data['rounds']} round(s), Pier and reference interleaved, first server alternating per round; "
            "every number is the median over rounds (peak RSS target: the maximum).",
            "",
            report.render_report(data["summary"], self.scenarios, markdown=True),
        ]
        if data["events"]:
            lines += ["", "Events during the run:", ""] + [f"- {e.splitlines()[0]}" for e in data["events"]]
        return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Benchmark Pier against distribution 2.8 (docker-registry), nginx and openssl on this machine.",
    )
    p.add_argument("--quick", action="store_true", help="1 round, tiny sizes and 0.5 s durations (a smoke test, ~3 min on 2 cores)")
    p.add_argument("--rounds", type=int, help="rounds per scenario and server (default 3, --quick 1)")
    p.add_argument("--scenarios", help="comma-separated ids, globs (push-*) or pier-bench names (catalog); default all")
    p.add_argument("--list", action="store_true", help="list the scenarios of the plan and exit")
    doc = p.add_mutually_exclusive_group()
    doc.add_argument("--write-doc", action="store_true", help="rewrite the results section of docs/performance.md")
    doc.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md (the default)")
    p.add_argument("--no-build", action="store_true", help="use the existing binaries in .build/release")
    p.add_argument("--pier-bin", help="Pier binary to benchmark (default: the release build)")
    p.add_argument("--bench-bin", help="pier-bench binary (default: the release build)")
    p.add_argument("--bench-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for every pier-bench call, e.g. --bench-arg=--threads=2 (repeatable)")
    p.add_argument("--no-ceiling", action="store_true", help="skip the openssl and nginx measurements")
    p.add_argument("--pier-htpasswd", action="store_true",
                   help="also measure Pier with htpasswd (the default: Pier has auth.htpasswd)")
    p.add_argument("--ignore-disk-space", action="store_true",
                   help="run even when the work directory's disk looks too small for the plan")
    p.add_argument("--dry-run", action="store_true",
                   help="fake pier-bench (everything else is real); results are not representative")
    p.add_argument("--workdir", help="where storage roots and logs go (default: $TMPDIR); removed afterwards")
    p.add_argument("--keep-work", action="store_true", help="keep the work directory (server logs, roots)")
    p.add_argument("--results", help="write the JSON here instead of bench/results/<timestamp>.json")
    args = p.parse_args(argv)
    if args.write_doc and args.dry_run:
        p.error("--write-doc with --dry-run would put fake numbers in docs/performance.md")
    if args.rounds is not None and args.rounds < 1:
        p.error("--rounds must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        plan = planlib.build_plan(args.quick, args.rounds)
        for s in planlib.select(plan, args.scenarios):
            print(f"{s.id:<24} [{s.group}] {s.title}")
        return 0

    run = Run(args)  # checks --scenarios before anything is installed or started
    ensure_packages(APT_PACKAGES)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    atexit.register(run.cleanup)  # also on an unexpected exit; cleanup is idempotent

    complete = False
    stamp = run.started_at.strftime("%Y%m%d-%H%M%S")
    suffix = ("-dry-run" if args.dry_run else "") + ("-quick" if args.quick else "")
    path = Path(args.results) if args.results else RESULTS_DIR / f"{stamp}{suffix}.json"
    try:
        run.resolve_binaries()
        run.execute()
        complete = True
    except KeyboardInterrupt:
        log("interrupted")
    except (ServerStartError, RuntimeError, OSError, subprocess.SubprocessError) as e:
        log(f"bench/run.py: {e}")
    finally:
        troubled = not complete or run.problems > 0
        run.cleanup(save_logs_to=path.with_suffix(".logs") if troubled else None)
        run.servers.clear()
        run.nginx = None
        if run.measurements or run.ceilings:
            data = run.results(complete)
            data["results_file"] = path.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, indent=1, default=str) + "\n")
            print(report.render_report(data["summary"], run.scenarios))
            print(f"\nraw results: {path}")
            if args.write_doc:
                if complete:
                    report.write_doc(DOC_PATH, run.doc_body(data))
                    print(f"results section of {DOC_PATH.relative_to(REPO_ROOT)} rewritten")
                else:
                    print("run incomplete: docs/performance.md left as it was")
    if not complete:
        return 1
    if run.problems:
        log(f"{run.problems} problem(s) during the run (see events above and in the JSON)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
