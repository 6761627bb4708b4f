"""The scenario plan: what `bench/run.py` measures, with the full and the --quick sizes.

A `Scenario` is one row of the results table: a pier-bench scenario with fixed
parameters, run against one *server group* (a Pier and a reference instance with
the same configuration and the same pre-populated content, see `GROUPS`).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30

# Pier serves `auth.htpasswd`, so its htpasswd rows are measured like the reference's.
# (Kept as a switch so the orchestrator can still report "n/a" for a build without it.)
PIER_SUPPORTS_HTPASSWD = True


def sizing_args(duration=None, size=None, count=None, chunk=None) -> list[str]:
    """pier-bench options for the sizes a scenario or ceiling sets."""
    args: list[str] = []
    for flag, value in (("--duration", duration), ("--size", size), ("--count", count), ("--chunk", chunk)):
        if value is not None:
            args += [flag, f"{value:g}" if flag == "--duration" else str(value)]
    return args


@dataclass(frozen=True)
class Group:
    """Servers that share one configuration and one initial storage content.

    Every group has a Pier and a reference instance, each with its own storage
    root (the reference's root is a copy of Pier's, so both start identical).
    """

    name: str
    catalog_repos: int = 0  # repositories written directly on disk before start
    htpasswd: bool = False  # auth.htpasswd in both configs
    s3: bool = False  # storage.s3 on one SeaweedFS (a bucket per server) instead of a directory
    index_off: bool = False  # index.disabled in Pier's config: what the index costs the same rows
    tags_per_repo: int = 1  # tags each catalog repository has (all on one manifest)
    pier_only: bool = False  # what only Pier has (the index API): no reference server in the group
    postgres: bool = False  # Pier's index on a PostgreSQL the run starts, instead of its SQLite file
    # Pier and the reference serve TLS themselves (`http.tls`), and a third server joins
    # them: nginx terminating TLS in front of a plain reference (the seeds' setup).
    tls: bool = False
    # Repositories written for the collector rows (bench/lib/storage.py gc_objects), each
    # with its own image of `gc_blobs` blobs, every other one deleted.
    gc_repos: int = 0
    gc_blobs: int = 10
    # Pier collects garbage without pause while the rows run (gc.interval 100ms, a grace
    # period longer than the run so nothing measured is taken).
    gc_busy: bool = False
    # Pier is a pull-through mirror of the group's reference (`mirrors`, prefix `up`): the
    # mirror rows pull through Pier what the reference holds, and straight from it.
    mirror: bool = False

    @property
    def servers(self) -> int:
        """How many servers the group runs, each storing what its rows push: Pier alone,
        Pier and the reference, or with TLS also the reference nginx fronts."""
        return 1 if self.pier_only else 3 if self.tls else 2


@dataclass(frozen=True)
class Scenario:
    id: str  # row name, also what --scenarios selects
    bench: str  # pier-bench --scenario
    title: str  # human description of the parameters
    group: str = "main"
    concurrency: int = 8
    duration: float | None = None  # duration-based scenarios
    size: int | None = None
    count: int | None = None
    chunk: int | None = None
    metric: str = "req_per_s"  # the throughput the ratio is taken of: req_per_s | mb_per_s
    moves_bytes: bool = False  # report server CPU-seconds per GiB moved
    tags: tuple[str, ...] = field(default_factory=tuple)
    path: str | None = None  # get-url's path (rows of Pier's own API)
    # Who pulls: pier-bench, or pier-bench-go (bench/goclient) reading as Go's net/http
    # clients do ("go": docker, containerd, skopeo, podman) or driving curl ("curl").
    client: str = "pier-bench"
    http2: bool = False  # over TLS: HTTP/2 as Go clients speak it by default (else HTTP/1.1 only)
    # Mirror rows: "cold" pulls a blob the mirror has not seen (fetched from the upstream
    # while sent), "cached" one it holds; the reference's side pulls straight from it.
    mirror: str = ""

    @property
    def auth(self) -> bool:
        return self.group == "htpasswd"

    def bench_args(self) -> list[str]:
        args = ["--scenario", self.bench, "--concurrency", str(self.concurrency), "--repo", f"bench/{self.id}"]
        if self.client != "pier-bench":
            args += ["--client", self.client]
        if self.http2:
            args.append("--http2")
        if self.path is not None:
            args += ["--path", self.path]
        return args + sizing_args(self.duration, self.size, self.count, self.chunk)

    def timeout(self) -> float:
        """Upper bound for one pier-bench invocation (setup + timed phase)."""
        t = 120.0
        if self.duration is not None:
            t += self.duration
        if self.size is not None:
            # a floor of 10 MB/s over everything the invocation moves; pull and
            # mixed upload their content first (untimed), hence the factor 2
            n = self.count if self.count is not None else 64
            t += 2 * self.size * n / 10e6
        return t


@dataclass(frozen=True)
class Ceiling:
    """One measurement of what the machine can do without a registry."""

    id: str
    title: str
    kind: str  # openssl | nginx | disk
    bench: str | None = None  # pier-bench scenario for nginx rows
    path: str | None = None
    concurrency: int = 1
    duration: float | None = None
    size: int | None = None
    count: int | None = None
    metric: str = "mb_per_s"
    # Who measures: pier-bench, or curl through pier-bench-go (the TLS file, as the TLS
    # pull rows read theirs); tls: nginx's TLS listener instead of its plain one.
    client: str = "pier-bench"
    tls: bool = False

    def bench_args(self) -> list[str]:
        args = ["--scenario", self.bench, "--path", self.path, "--concurrency", str(self.concurrency)]
        if self.client != "pier-bench":
            args += ["--client", self.client]
        return args + sizing_args(self.duration, self.size, self.count)

    def timeout(self) -> float:
        t = 60.0 + (self.duration or 0)
        if self.size:
            t += self.size * (self.count or 1) / 10e6
        return t


CLIENT_TITLE = {"go": "Go net/http into SHA-256 and a file", "curl": "curl -o /dev/null"}


def size_label(n: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} B"


@dataclass(frozen=True)
class Plan:
    quick: bool
    rounds: int
    groups: dict[str, Group]
    scenarios: list[Scenario]
    ceilings: list[Ceiling]
    openssl_seconds: int
    nginx_big_size: int
    warm_bytes: int = 0  # memory touched and freed right before each timed write (MemoryWarmer)


def build_plan(quick: bool, rounds: int | None = None) -> Plan:
    """The full plan, or the --quick one (same rows, tiny sizes, 1 round)."""
    if quick:
        dur = 0.5  # the smoke run's numbers mean nothing; ~40 timed rows, 20 s saved in CI
        s1m, s10m, s100m, s1g = 256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB
        n1m, n10m, n100m, n1g = 16, 4, 2, 1
        npull1g = 1
        chunk, nchunked = 1 * MiB, 1
        cat_small, cat_large = 100, 1000  # writing 2 × 10,000 repositories alone takes ~15 s here
        idx_repos = 100  # the debug build would take minutes to index 10,000
        web_repos, web_tags = 20, 10
        fleet_size, fleet_blobs = 4 * MiB, 4
        gc_repos = 20  # an S3 group's 1,000 objects took 10 s per server to write
    else:
        dur = 10.0
        s1m, s10m, s100m, s1g = 1 * MiB, 10 * MiB, 100 * MiB, 1 * GiB
        n1m, n10m, n100m, n1g = 200, 20, 4, 1
        # One 1 GiB pull lasts about half a second: three per round steady the row.
        npull1g = 3
        chunk, nchunked = 5 * MiB, 2
        cat_small, cat_large = 1000, 10000
        idx_repos = 10000
        web_repos, web_tags = 100, 100
        fleet_size, fleet_blobs = 100 * MiB, 12
        gc_repos = 1000

    groups = {
        "main": Group("main"),
        "catalog-1k": Group("catalog-1k", catalog_repos=cat_small),
        "catalog-10k": Group("catalog-10k", catalog_repos=cat_large),
        "htpasswd": Group("htpasswd", htpasswd=True),
        "noindex": Group("noindex", index_off=True),
        # The index over 10,000 repositories with 10 tags each (100,000 tags), read from
        # storage at start: Pier's own API, so no reference server.
        "index-10k": Group("index-10k", catalog_repos=idx_repos, tags_per_repo=10, pier_only=True),
        # The same over PostgreSQL (Debian's, on this machine, over TCP on loopback): what
        # several instances sharing one index read at.
        "index-10k-pg": Group("index-10k-pg", catalog_repos=idx_repos, tags_per_repo=10, pier_only=True, postgres=True),
        # The web UI's repository page: 100 repositories of 100 tags, one page shows all of a
        # repository's tags.
        "web-100": Group("web-100", catalog_repos=web_repos, tags_per_repo=web_tags, pier_only=True),
        "s3": Group("s3", s3=True),
        "s3-catalog-1k": Group("s3-catalog-1k", catalog_repos=cat_small, s3=True),
        "tls": Group("tls", tls=True),
        # Garbage collection: 1,000 repositories and 10,000 blobs, half of them unreferenced.
        "gc": Group("gc", gc_repos=gc_repos),
        "gc-s3": Group("gc-s3", gc_repos=gc_repos, s3=True),
        # The registry's own rows while Pier collects without pause over 1,000 repositories.
        "gc-busy": Group("gc-busy", catalog_repos=cat_small, gc_busy=True),
        "mirror": Group("mirror", mirror=True),
    }

    def tls_rows(proto: str, h2: bool) -> list[Scenario]:
        over = f"over TLS, {'HTTP/2' if h2 else 'HTTP/1.1'}"
        def row(id, bench, title, **kw):
            return Scenario(f"tls-{id}-{proto}", bench, f"{title}, {over}", group="tls", client="go", http2=h2, **kw)
        return [
            row("manifest-head", "manifest-head", f"manifest HEAD, c=8, {dur:g} s", duration=dur),
            row("manifest-get", "manifest-get", f"manifest GET, c=8, {dur:g} s", duration=dur),
            row("push-1m", "push", f"push {size_label(s1m)} ×{n1m}, c=8", size=s1m, count=n1m,
                metric="mb_per_s", moves_bytes=True),
            row("pull-1m", "pull", f"pull {size_label(s1m)} ×{n1m}, c=8, {CLIENT_TITLE['go']}", size=s1m, count=n1m,
                metric="mb_per_s", moves_bytes=True),
            row("push-1g", "push", f"push {size_label(s1g)} ×{n1g}, c=1", size=s1g, count=n1g, concurrency=1,
                metric="mb_per_s", moves_bytes=True),
            replace(row("pull-1g", "pull", f"pull {size_label(s1g)} ×{npull1g}, c=1, {CLIENT_TITLE['curl']}",
                        size=s1g, count=npull1g, concurrency=1, metric="mb_per_s", moves_bytes=True), client="curl"),
        ]

    def lat(id, bench, group="main", title=None):
        return Scenario(id, bench, title or f"{bench}, c=8, {dur:g} s", group=group, concurrency=8, duration=dur)

    def push(id, bench, size, count, conc, chunk_=None, group="main"):
        what = f"{size_label(size)} ×{count}, c={conc}"
        if chunk_:
            what += f", {size_label(chunk_)} chunks"
        if group == "s3":
            what += ", on S3"
        if group == "noindex":
            what += ", index off"
        return Scenario(id, bench, f"{bench} {what}", group=group, concurrency=conc, size=size, count=count,
                        chunk=chunk_, metric="mb_per_s", moves_bytes=True)

    scenarios = [
        lat("ping", "ping", title=f"GET /v2/, c=8, {dur:g} s"),
        lat("manifest-head", "manifest-head"),
        # The rows marked -noindex run Pier with `index.disabled`, right after the same row
        # with the index on: the index must cost these paths nothing measurable (≥ 95%).
        lat("manifest-head-noindex", "manifest-head", group="noindex",
            title=f"manifest-head, index off, c=8, {dur:g} s"),
        lat("manifest-get", "manifest-get"),
        lat("manifest-get-noindex", "manifest-get", group="noindex",
            title=f"manifest-get, index off, c=8, {dur:g} s"),
        lat("tags", "tags", title=f"tags/list (20 tags), c=8, {dur:g} s"),
        lat("catalog-1k", "catalog", group="catalog-1k",
            title=f"_catalog?n=1000 of {cat_small:,} repos, c=8, {dur:g} s"),
        lat("catalog-10k", "catalog", group="catalog-10k",
            title=f"_catalog?n=1000 of {cat_large:,} repos, c=8, {dur:g} s"),
        push("push-1m", "push-monolith", s1m, n1m, 8),
        push("push-1m-noindex", "push-monolith", s1m, n1m, 8, group="noindex"),
        push("push-10m", "push-monolith", s10m, n10m, 4),
        push("push-100m", "push-monolith", s100m, n100m, 2),
        push("push-1g", "push-monolith", s1g, n1g, 1),
        push("push-chunked-100m", "push-chunked", s100m, nchunked, 1, chunk_=chunk),
        push("push-stream-100m", "push-stream", s100m, nchunked, 1),
        push("pull-1m", "pull", s1m, n1m, 8),
        push("pull-1m-noindex", "pull", s1m, n1m, 8, group="noindex"),
        push("pull-100m", "pull", s100m, n100m, 2),
        push("pull-1g", "pull", s1g, npull1g, 1),
        # The same pulls as the clients people use read them (bench/goclient): Go's net/http
        # into SHA-256 and a file, and curl into /dev/null.
        *[replace(push(f"pull-{label}-{client}", "pull", size, count, conc), client=client,
                  title=f"pull {size_label(size)} ×{count}, c={conc}, {CLIENT_TITLE[client]}")
          for client in ("go", "curl")
          for label, size, count, conc in (("1m", s1m, n1m, 8), ("100m", s100m, n100m, 2), ("1g", s1g, npull1g, 1))],
        # A CI fleet: small manifest and tag requests among layer pushes and pulls of a tenth
        # of fleet_size to fleet_size, c=32 (bench/goclient/fleet.go); its rate and
        # percentiles are the small requests', each kind's are reported beside them.
        Scenario("fleet", "fleet", f"CI fleet: 80% manifest HEAD/GET and tags/list among pushes and pulls of "
                 f"{size_label(fleet_size // 10)}–{size_label(fleet_size)}, c=32, {dur:g} s",
                 concurrency=32, duration=dur, size=fleet_size, count=fleet_blobs, client="go"),
        Scenario("mixed-1m", "mixed", f"mixed 75% pull / 25% push of {size_label(s1m)}, c=8, {dur:g} s",
                 concurrency=8, duration=dur, size=s1m, metric="mb_per_s", moves_bytes=True),
        # The index API (Pier only): search and a repository's page over 10,000 repositories
        # and 100,000 tags; p99 is what is held (≤ 10 ms).
        # The same rows over PostgreSQL (`-pg`): what several instances sharing one index read at.
        *[Scenario(f"{sid}{suffix}", "get-url", f"GET {what}{engine}, c=8, {dur:g} s",
                   group=f"index-10k{suffix}", duration=dur, path=path)
          for suffix, engine in (("", ""), ("-pg", ", PostgreSQL"))
          for sid, what, path in (
              ("search-10k-one", f"/api/v1/search?q=<one repository> of {idx_repos:,} repos, {idx_repos * 10:,} tags",
               "/api/v1/search?q=r00042"),
              ("search-10k-all", "/api/v1/search?q=<a word of every repository>", "/api/v1/search?q=catalog"),
              ("repository-10k", f"/api/v1/repositories/<name> of {idx_repos:,} repos",
               "/api/v1/repositories/bench/catalog/r00042"))],
        # The web UI, server-rendered (Pier only): the search page and home over the same
        # 10,000 repositories, a repository's page with its 100 tags.
        *[Scenario(sid, "get-url", f"GET {what}, c=8, {dur:g} s", group=group, duration=dur, path=path)
          for sid, group, what, path in (
              ("web-search-10k-one", "index-10k", f"/search?q=<one repository> page of {idx_repos:,} repos", "/search?q=r00042"),
              ("web-search-10k-all", "index-10k", "/search?q=<a word of every repository> page", "/search?q=catalog"),
              ("web-home-10k", "index-10k", f"/ (home page) of {idx_repos:,} repos", "/"),
              ("web-repository-100", "web-100", f"/r/<name> page with {web_tags} tags", "/r/bench/catalog/r00012"))],
        lat("ping-htpasswd", "ping", group="htpasswd", title=f"GET /v2/ with htpasswd, c=8, {dur:g} s"),
        lat("manifest-head-htpasswd", "manifest-head", group="htpasswd",
            title=f"manifest-head with htpasswd, c=8, {dur:g} s"),
        # The same registry work with both servers on one SeaweedFS (storage.s3, blobs
        # streamed through the registry: redirects off, so the registry is what is measured).
        lat("catalog-1k-s3", "catalog", group="s3-catalog-1k",
            title=f"_catalog?n=1000 of {cat_small:,} repos on S3, c=8, {dur:g} s"),
        # Tags and revisions are read from the bucket on every request (no trusted
        # lifetime on shared storage): what read-after-write across instances costs.
        lat("manifest-head-s3", "manifest-head", group="s3", title=f"manifest-head on S3, c=8, {dur:g} s"),
        lat("manifest-get-s3", "manifest-get", group="s3", title=f"manifest-get on S3, c=8, {dur:g} s"),
        lat("tags-s3", "tags", group="s3", title=f"tags/list (20 tags) on S3, c=8, {dur:g} s"),
        push("push-1m-s3", "push-monolith", s1m, n1m // 2, 8, group="s3"),
        push("push-100m-s3", "push-monolith", s100m, n100m // 2, 2, group="s3"),
        push("push-1g-s3", "push-monolith", s1g, n1g, 1, group="s3"),
        push("pull-1m-s3", "pull", s1m, n1m // 2, 8, group="s3"),
        push("pull-100m-s3", "pull", s100m, n100m // 2, 2, group="s3"),
        push("pull-1g-s3", "pull", s1g, n1g, 1, group="s3"),
        # Garbage collection, offline as distribution's must be, both as a dry run (marking
        # and finding what to remove, the same work for both; a real run would leave the
        # next round nothing to do): blobs examined per second.
        *[Scenario(sid, "gc", f"collection (dry run) of {gc_repos:,} repositories / {gc_repos * 10:,} blobs, "
                   f"half unreferenced{where}", group=group, concurrency=1)
          for sid, group, where in (("gc-1k", "gc", ""), ("gc-1k-s3", "gc-s3", ", on S3"))],
        # Pushes and pulls while Pier's collector runs without pause, against the same rows
        # without it (push-1m, pull-1m): ≥ 80%.
        replace(push("push-1m-gc", "push-monolith", s1m, n1m, 8), group="gc-busy",
                title=f"push-monolith {size_label(s1m)} ×{n1m}, c=8, while Pier collects garbage"),
        replace(push("pull-1m-gc", "pull", s1m, n1m, 8), group="gc-busy",
                title=f"pull {size_label(s1m)} ×{n1m}, c=8, while Pier collects garbage"),
        # The pull-through mirror: a 1 GiB blob the reference holds, pulled through Pier
        # (`mirrors` with the reference as upstream) the first time (streamed while stored)
        # and once cached, against the same pull straight from the reference; read by curl.
        *[Scenario(f"mirror-{state}-1g", "get-url", f"pull {size_label(s1g)} through the mirror, {state}, c=1, "
                   f"{CLIENT_TITLE['curl']}", group="mirror", concurrency=1, size=s1g, count=count,
                   metric="mb_per_s", moves_bytes=True, client="curl", mirror=state)
          for state, count in (("cold", 1), ("cached", npull1g))],
        # Over TLS, each server terminating it itself, and nginx in front of the reference:
        # HTTP/1.1 and HTTP/2 as a Go client speaks them (one connection per request at once,
        # or one connection multiplexed). 1 GiB pulls are read by curl: a Go client hashing
        # on this machine would be the limit (docs/performance.md).
        *[row for proto, h2 in (("h1", False), ("h2", True)) for row in tls_rows(proto, h2)],
    ]

    ceilings = [
        Ceiling("openssl-sha256", "openssl speed -evp sha256 (16 KiB blocks), one core", "openssl"),
        Ceiling("nginx-small", f"nginx GET ~500 B file, c=8, {dur:g} s", "nginx", bench="get-url", path="/small",
                concurrency=8, duration=dur, metric="req_per_s"),
        Ceiling("nginx-get-big", f"nginx GET {size_label(s1g)} file, c=1", "nginx", bench="get-url", path="/big",
                size=s1g, count=1),
        Ceiling("nginx-tls-get-big", f"nginx GET {size_label(s1g)} file over TLS (HTTP/1.1), c=1, curl -o /dev/null",
                "nginx", bench="get-url", path="/big", size=s1g, count=npull1g, client="curl", tls=True),
        Ceiling("nginx-put-big", f"nginx PUT {size_label(s1g)} (dav), c=1", "nginx", bench="put-url",
                path="/upload/x", size=s1g, count=1),
        Ceiling("disk-durable-write", f"write {size_label(s1g)} and fdatasync, storage disk", "disk", size=s1g),
    ]
    return Plan(
        quick=quick,
        rounds=rounds if rounds is not None else (1 if quick else 3),
        groups=groups,
        scenarios=scenarios,
        ceilings=ceilings,
        openssl_seconds=1 if quick else 3,
        nginx_big_size=s1g,
        warm_bytes=64 * MiB if quick else 3 * GiB,
    )


def round_order(scenarios: list[Scenario], round_no: int) -> list[Scenario]:
    """The rows of one round: in even rounds each `-noindex` row runs before its twin, so
    neither side of the index comparison always follows the other (a push row runs slower
    right after another push's writeback)."""
    order = list(scenarios)
    if round_no % 2 == 0:
        for i in range(1, len(order)):
            if order[i].id == f"{order[i - 1].id}-noindex":
                order[i - 1], order[i] = order[i], order[i - 1]
    return order


def select(plan: Plan, spec: str | None) -> list[Scenario]:
    """--scenarios a,b: exact ids, glob patterns (push-*), or pier-bench names (catalog)."""
    if not spec:
        return list(plan.scenarios)
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    chosen = []
    for w in wanted:
        # an exact id, else a glob over ids, else every row of that pier-bench scenario
        hits = [s for s in plan.scenarios if s.id == w]
        hits = hits or [s for s in plan.scenarios if fnmatch.fnmatchcase(s.id, w)]
        hits = hits or [s for s in plan.scenarios if s.bench == w]
        if not hits:
            known = ", ".join(s.id for s in plan.scenarios)
            raise SystemExit(f"--scenarios: nothing matches {w!r}; known: {known}")
        for h in hits:
            if h not in chosen:
                chosen.append(h)
    # keep the plan's order
    return [s for s in plan.scenarios if s in chosen]


def last_rows(order: list[Scenario]) -> set[int]:
    """Where each group's last row is in a round's order: after it, in the last round, the
    runner retires the group (bench/run.py's `retire`)."""
    return {max(i for i, t in enumerate(order) if t.group == g) for g in {s.group for s in order}}


def disk_bytes_needed(plan: Plan, scenarios: list[Scenario], retiring: bool = True) -> int:
    """The most a run holds on disk at once, plus nginx's big file and its upload. Every
    blob a row pushes stays on every server of its group (no server frees one before
    garbage collection) through every round; with `retiring`, until the runner removes the
    group's storage after its last row of the last round (bench/run.py's `retire`); an S3
    group's blobs stay in the store, which the runner does not empty. A mirror row pushes
    one blob to the upstream for each side and Pier's side also caches it."""
    def written(s: Scenario) -> int:
        servers = plan.groups[s.group].servers
        if s.mirror:
            return (s.size or 0) * (servers + 1)
        if s.size and s.count:
            return s.size * s.count * servers
        return s.size * 1024 * servers if s.size else 0  # mixed: a rough bound (its push pool is re-used)

    held: dict[str, int] = {}
    for s in scenarios:
        held[s.group] = held.get(s.group, 0) + written(s) * (plan.rounds - 1)
    peak = sum(held.values())
    final = round_order(scenarios, plan.rounds)
    last = last_rows(final)
    for index, s in enumerate(final):
        held[s.group] += written(s)
        peak = max(peak, sum(held.values()))
        if retiring and index in last and not plan.groups[s.group].s3:
            held[s.group] = 0
    return peak + 2 * plan.nginx_big_size
