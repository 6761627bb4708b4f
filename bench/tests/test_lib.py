"""Unit tests of the orchestrator's pure parts (no servers, no pier-bench):

    Tests/EndToEnd/.venv/bin/python -m pytest bench/tests
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib import plan as planlib  # noqa: E402
from lib import procstat, report, storage  # noqa: E402
from lib.client import page_weight, parse_result, timed_window  # noqa: E402
from lib.machine import parse_openssl_speed, read_through, warm_memory  # noqa: E402

GOOD = {
    "scenario": "ping", "requests": 100, "errors": 0, "seconds": 1.0, "req_per_s": 100.0, "mb_per_s": 0.0,
    "bytes": 0, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 3.0, "client_cpu_s": 0.5, "client_cpu_pct": 50.0,
    "first_error": None,
}


def test_parse_openssl_speed():
    out = (
        "The 'numbers' are in 1000s of bytes per second processed.\n"
        "type          16384 bytes\n"
        "sha256         2129625.09k\n"
    )
    assert parse_openssl_speed(out) == pytest.approx(2129.62509)
    assert parse_openssl_speed("garbage") is None


def test_parse_result_accepts_the_contract_and_stray_lines():
    assert parse_result(json.dumps(GOOD))["requests"] == 100
    assert parse_result("warming up\n" + json.dumps(GOOD) + "\n")["p99_ms"] == 3.0
    assert parse_result(json.dumps(GOOD | {"first_error": "HTTP 500", "extra": 1}))["extra"] == 1


@pytest.mark.parametrize("bad", [
    "", "[]", "not json",
    json.dumps({k: v for k, v in GOOD.items() if k != "errors"}),
    json.dumps(GOOD | {"requests": "100"}),
    json.dumps(GOOD | {"errors": True}),
])
def test_parse_result_refuses_what_breaks_the_contract(bad):
    with pytest.raises(ValueError):
        parse_result(bad)


def test_plan_full_and_quick_have_the_same_rows():
    full, quick = planlib.build_plan(False), planlib.build_plan(True)
    assert [s.id for s in full.scenarios] == [s.id for s in quick.scenarios]
    assert full.rounds == 3 and quick.rounds == 1
    push1g = next(s for s in full.scenarios if s.id == "push-1g")
    assert push1g.bench_args() == ["--scenario", "push-monolith", "--concurrency", "1", "--repo", "bench/push-1g",
                                   "--size", str(1 << 30), "--count", "1"]
    assert full.groups["catalog-10k"].catalog_repos == 10000


def test_select():
    p = planlib.build_plan(False)
    assert [s.id for s in planlib.select(p, "ping")] == ["ping"]  # exact id wins over the pier-bench name
    assert [s.id for s in planlib.select(p, "catalog")] == ["catalog-1k", "catalog-10k", "catalog-1k-s3"]
    assert [s.id for s in planlib.select(p, "pull-1?,ping")] == ["ping", "pull-1m", "pull-1g"]
    assert [s.id for s in planlib.select(p, "*-s3")] == [
        "catalog-1k-s3", "manifest-head-s3", "manifest-get-s3", "tags-s3",
        "push-1m-s3", "push-100m-s3", "push-1g-s3", "pull-1m-s3", "pull-100m-s3", "pull-1g-s3", "gc-1k-s3"]
    assert {p.groups[s.group].s3 for s in planlib.select(p, "*-s3")} == {True}
    with pytest.raises(SystemExit):
        planlib.select(p, "nope")


def test_populate_gc_leaves_every_other_image_deleted(tmp_path):
    info = storage.populate_gc(tmp_path, 4, 10)
    v2 = tmp_path / "docker/registry/v2"
    assert info["blobs"] == 40 and info["garbage"] == 20
    assert len(list((v2 / "blobs/sha256").glob("*/*/data"))) == 40
    repos = v2 / "repositories/bench/gc"
    assert (repos / "r00001/_manifests/tags/latest/current/link").exists()
    assert not (repos / "r00002/_manifests").exists()
    assert len(list((repos / "r00002/_layers/sha256").iterdir())) == 9


def test_populate_catalog_layout(tmp_path):
    info = storage.populate_catalog(tmp_path, 3)
    v2 = tmp_path / "docker/registry/v2"
    repo = v2 / "repositories/bench/catalog/r00002"
    mlink = (repo / "_manifests/tags/latest/current/link").read_bytes()
    assert mlink == info["manifest_digest"].encode()  # no newline
    mhex = info["manifest_digest"].split(":")[1]
    assert (repo / f"_manifests/revisions/sha256/{mhex}/link").read_bytes() == mlink
    manifest = json.loads((v2 / f"blobs/sha256/{mhex[:2]}/{mhex}/data").read_bytes())
    for desc in [manifest["config"]] + manifest["layers"]:
        hexd = desc["digest"].split(":")[1]
        assert (repo / f"_layers/sha256/{hexd}/link").read_bytes() == desc["digest"].encode()
        assert (v2 / f"blobs/sha256/{hexd[:2]}/{hexd}/data").stat().st_size == desc["size"]
    assert sorted(p.name for p in (v2 / "repositories/bench/catalog").iterdir()) == ["r00001", "r00002", "r00003"]


def test_proc_readings_of_a_busy_child():
    child = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<0.6: pass"])
    try:
        assert procstat.reset_peak(child.pid)
        s = procstat.Sampler(child.pid, interval=0.02).start()
        time.sleep(0.4)
        s.stop()
        assert procstat.cpu_seconds(child.pid) > 0.1
        assert procstat.peak_rss_mib(child.pid) > 1
        t0, t1 = s.samples[0][0], s.samples[-1][0]
        whole = s.cpu_between(t0, t1)
        half = s.cpu_between((t0 + t1) / 2, t1)
        assert whole > 0.1 and 0.2 * whole < half < 0.8 * whole
    finally:
        child.wait()


def _m(sid, kind, rps, mbps=0.0, p99=1.0, rss=30.0, errors=0, cpu_pct=50.0, rnd=1):
    return {"round": rnd, "scenario": sid, "server": kind, "server_peak_rss_mib": rss, "server_cpu_s_per_gib": None,
            "server_cpu_pct": 10.0, "error": None,
            "bench": GOOD | {"req_per_s": rps, "mb_per_s": mbps, "p99_ms": p99, "errors": errors,
                             "client_cpu_pct": cpu_pct}}


def test_pulls_faster_than_one_cores_sha256_are_not_flagged():
    # pier-bench checks large pulls' digests after the timed phase, so a pull may outrun
    # the client's SHA-256 rate; only a busy client or failures flag the row.
    p = planlib.build_plan(False)
    scen = planlib.select(p, "pull-1g")
    ms = [_m("pull-1g", "pier", 2, mbps=3900, cpu_pct=40.0), _m("pull-1g", "distribution", 1, mbps=3300, cpu_pct=95.0)]
    ceilings = [{"id": "openssl-sha256", "title": "x", "unit": "MB/s", "value": 2200, "bench": None}]
    s = report.summarize(scen, ms, ceilings, {}, {})
    assert s["scenarios"]["pull-1g"]["flags"] == ["client-bound(R)"]


def test_full_plan_pulls_1g_three_times_per_round():
    full, quick = planlib.build_plan(False), planlib.build_plan(True)
    assert next(s for s in full.scenarios if s.id == "pull-1g").count == 3
    assert next(s for s in quick.scenarios if s.id == "pull-1g").count == 1


def test_disk_estimate_counts_both_servers_every_round():
    full = planlib.build_plan(False)
    one = planlib.select(full, "pull-1g")
    # 3 pulls of 1 GiB on two servers over three rounds, plus nginx's file and its upload
    assert planlib.disk_bytes_needed(full, one) == 3 * 2 * 3 * planlib.GiB + 2 * full.nginx_big_size
    quick = planlib.build_plan(True)
    assert planlib.disk_bytes_needed(quick, quick.scenarios) < planlib.disk_bytes_needed(full, full.scenarios)


def test_disk_estimate_counts_every_server_of_a_group_and_frees_retired_groups():
    full = dataclasses.replace(planlib.build_plan(False), rounds=1)
    tls = planlib.select(full, "tls-push-1g-h1")
    # Pier, the reference and the reference nginx fronts each store the pushed GiB.
    assert planlib.disk_bytes_needed(full, tls) == 3 * planlib.GiB + 2 * full.nginx_big_size
    mirror = planlib.select(full, "mirror-cached-1g")
    # One blob pushed to the upstream for each side, and Pier's cached copy.
    assert planlib.disk_bytes_needed(full, mirror) == 3 * planlib.GiB + 2 * full.nginx_big_size
    # A group's storage goes after its last row of the last round, so the run needs what
    # the groups hold at once, not their sum.
    two = planlib.select(full, "pull-1g,tls-push-1g-h1")
    assert planlib.disk_bytes_needed(full, two) == 6 * planlib.GiB + 2 * full.nginx_big_size
    assert planlib.disk_bytes_needed(full, two, retiring=False) == 9 * planlib.GiB + 2 * full.nginx_big_size
    assert planlib.disk_bytes_needed(full, full.scenarios) < planlib.disk_bytes_needed(full, full.scenarios, retiring=False)
    # An S3 group's blobs stay in the store after the group is retired.
    s3 = planlib.select(full, "push-1g-s3,tls-push-1g-h1")
    assert planlib.disk_bytes_needed(full, s3) == 5 * planlib.GiB + 2 * full.nginx_big_size


def test_a_group_is_retired_after_its_last_row_in_the_rounds_own_order():
    p = dataclasses.replace(planlib.build_plan(False), rounds=2)
    rows = planlib.select(p, "push-1m,push-1m-noindex,pull-1m,pull-1m-noindex")
    # In even rounds each -noindex row runs before its twin.
    order = planlib.round_order(rows, 2)
    assert [s.id for s in order] == ["push-1m-noindex", "push-1m", "pull-1m-noindex", "pull-1m"]
    assert planlib.last_rows(order) == {2, 3}
    assert planlib.last_rows(planlib.round_order(rows, 1)) == {2, 3}


def test_summary_ratios_flags_and_targets():
    p = planlib.build_plan(False)
    scen = planlib.select(p, "manifest-head,push-1g,ping-htpasswd")
    ms = [
        _m("manifest-head", "pier", 30000, p99=1.0, cpu_pct=95, rnd=1),
        _m("manifest-head", "pier", 20000, p99=2.0, rnd=2),
        _m("manifest-head", "pier", 40000, p99=3.0, rnd=3),
        _m("manifest-head", "distribution", 2000, p99=10.0),
        _m("push-1g", "pier", 10, mbps=600, rss=120.0, errors=1),
        _m("push-1g", "distribution", 10, mbps=300),
        _m("ping-htpasswd", "distribution", 500),
    ]
    ceilings = [{"id": "nginx-small", "title": "x", "unit": "req/s", "value": 50000, "bench": GOOD},
                {"id": "nginx-put-big", "title": "y", "unit": "MB/s", "value": 1000, "bench": GOOD}]
    s = report.summarize(scen, ms, ceilings, {"pier": 20.0, "distribution": 25.0},
                         {"ping-htpasswd": "n/a (auth not implemented)"})
    mh = s["scenarios"]["manifest-head"]
    assert mh["pier"]["req_per_s"] == 30000  # median over rounds
    assert mh["ratio"] == pytest.approx(15.0)
    assert mh["p99_ratio"] == pytest.approx(0.2)
    assert "client-bound(P)" in mh["flags"]
    assert "errors(P:1)" in s["scenarios"]["push-1g"]["flags"]
    t = {x["target"]: x["status"] for x in s["targets"]}
    assert t["manifest-head ≥ 10× reference req/s"] == "PASS"
    assert t["manifest-head ≥ 70% of nginx small-file req/s"] == "FAIL"  # 60%
    assert t["manifest-head p99 below reference's"] == "PASS"
    assert t["push-1g ≥ 1.5× reference MB/s"] == "FAIL"  # 2× but Pier had errors
    assert t["push-1g ≥ 70% of nginx PUT MB/s"] == "FAIL"
    assert t["push-1g server peak RSS ≤ 100 MiB"] == "FAIL"
    assert t["ping-htpasswd ≥ 20× reference"] == "n/a"
    assert t["idle RSS ≤ reference's"] == "PASS"
    assert t["catalog-1k ≥ 10× reference"] == "n/a"  # not run
    assert not [name for name in t if "durable" in name]  # the disk's rate is context, not a target
    text = report.render_report(s, scen)
    assert "n/a (auth not implemented)" in text and "catalog-1k" not in text
    md = report.render_report(s, scen, markdown=True)
    assert md.count("| manifest-head |") == 2  # scenario list and results table


@pytest.mark.parametrize("size", [0, 4096, (1 << 20) + 5, 3 << 20])
def test_warm_memory_touches_sizes_that_are_not_whole_blocks(size):
    assert warm_memory(size) == size


def test_read_through_reads_a_file_to_its_end(tmp_path):
    f = tmp_path / "big"
    f.write_bytes(os.urandom((8 << 20) + 3))
    assert read_through(f) == (8 << 20) + 3


def test_write_doc_replaces_only_the_marked_section(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(f"# P\n\nintro\n\n{report.BEGIN}\nold\n{report.END}\n\ntail\n")
    report.write_doc(doc, "new table")
    text = doc.read_text()
    assert "old" not in text and "new table" in text and text.startswith("# P\n\nintro") and text.endswith("tail\n")
    with pytest.raises(SystemExit):
        (tmp_path / "x.md").write_text("no markers")
        report.write_doc(tmp_path / "x.md", "y")


@pytest.mark.skipif(not os.path.exists("/usr/sbin/nginx"), reason="nginx not installed")
def test_nginx_serves_small_big_v2_and_accepts_put(tmp_path):
    import requests

    from lib.servers import Nginx

    n = Nginx(tmp_path, big_size=3 << 20)
    n.start()
    try:
        assert requests.get(n.url + "/v2/").status_code == 200
        assert 400 <= len(requests.get(n.url + "/small").content) <= 600
        assert len(requests.get(n.url + "/big").content) == 3 << 20
        assert requests.put(n.url + "/upload/a/b", data=b"z" * 12345).status_code == 201
        assert (tmp_path / "www/upload/a/b").stat().st_size == 12345
        n.clear_uploads()
        assert not (tmp_path / "www/upload/a").exists()
    finally:
        n.stop()
    assert not n.alive()


def test_nginx_serves_the_same_files_over_tls(tmp_path):
    import requests

    from lib.servers import Nginx, TLSFiles

    tls = TLSFiles.make(tmp_path / "tls")
    n = Nginx(tmp_path / "nginx", big_size=1 << 20, tls=tls)
    n.start()
    try:
        assert n.tls_url.startswith("https://") and n.tls_port != n.port
        assert len(requests.get(n.tls_url + "/big", verify=tls.ca).content) == 1 << 20
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(n.tls_url + "/small")  # the run's own CA, not the system's
    finally:
        n.stop()


def test_several_processes_read_as_their_sum():
    children = [subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<0.4: pass"])
                for _ in range(2)]
    try:
        pids = [c.pid for c in children]
        time.sleep(0.3)
        assert procstat.cpu_seconds(pids) >= max(procstat.cpu_seconds(p) for p in pids)
        assert procstat.rss_mib(pids) == pytest.approx(sum(procstat.rss_mib(p) for p in pids), rel=0.2)
        assert procstat.reset_peak(pids)
        assert procstat.children(os.getpid()) and set(pids) <= set(procstat.children(os.getpid()))
    finally:
        for c in children:
            c.wait()


def test_tls_rows_compare_pier_with_the_reference_and_with_nginx_in_front():
    p = planlib.build_plan(False)
    rows = planlib.select(p, "tls-*")
    assert len(rows) == 12 and {s.group for s in rows} == {"tls"} and p.groups["tls"].tls
    assert {s.id for s in rows if s.http2} == {s.id.replace("-h1", "-h2") for s in rows if not s.http2}
    h2 = next(s for s in rows if s.id == "tls-manifest-head-h2")
    assert "--http2" in h2.bench_args() and "--http2" not in next(s for s in rows if s.id == "tls-manifest-head-h1").bench_args()
    assert next(s for s in rows if s.id == "tls-pull-1g-h1").client == "curl"
    tls_ceiling = next(c for c in p.ceilings if c.id == "nginx-tls-get-big")
    assert tls_ceiling.tls and tls_ceiling.bench_args()[tls_ceiling.bench_args().index("--client") + 1] == "curl"

    ms = [_m("tls-manifest-head-h1", "pier", 9000), _m("tls-manifest-head-h1", "distribution", 3000),
          _m("tls-manifest-head-h1", "nginx-front", 10000),
          _m("tls-pull-1g-h1", "pier", 2, mbps=1700), _m("tls-pull-1g-h1", "distribution", 1, mbps=1000),
          _m("tls-pull-1g-h1", "nginx-front", 1, mbps=800)]
    ceilings = [{"id": "nginx-tls-get-big", "title": "x", "unit": "MB/s", "value": 2000, "bench": GOOD}]
    scen = planlib.select(p, "tls-manifest-head-h1,tls-pull-1g-h1")
    s = report.summarize(scen, ms, ceilings, {}, {})
    assert s["scenarios"]["tls-manifest-head-h1"]["front_ratio"] == pytest.approx(0.9)
    t = {x["target"]: x["status"] for x in s["targets"]}
    assert t["tls-manifest-head-h1 ≥ 1.5× reference req/s"] == "PASS"
    assert t["tls-manifest-head-h1 ≥ nginx in front"] == "FAIL"
    assert t["tls-pull-1g-h1 ≥ nginx in front"] == "PASS"
    assert t["tls-pull-1g-h1 ≥ 80% of nginx TLS GET MB/s"] == "PASS"  # 85%
    assert t["tls-push-1g-h2 ≥ nginx in front"] == "n/a"  # not run
    text = report.render_report(s, scen)
    assert "nginx in front" in text and "0.90× nginx in front" in text
    # rows without the third server show two lines, as before
    assert report.table_rows(report.summarize(planlib.select(p, "manifest-head"), [], [], {}, {}))[-1][1] == "reference"


def test_timed_window_leaves_out_the_digest_checks_after_the_timed_phase():
    # 10 s of set-up, 2 s timed, then 3 s checking digests before exit at t=115
    assert timed_window(100.0, 115.0, {"seconds": 2.0, "after_s": 3.0}) == (110.0, 112.0)
    # an older result without after_s: the timed phase ends at exit
    assert timed_window(100.0, 115.0, {"seconds": 2.0}) == (113.0, 115.0)
    # never before the process started
    assert timed_window(100.0, 101.0, {"seconds": 5.0, "after_s": 0.5}) == (100.0, 100.5)


def test_index_rows_alternate_with_their_twins_and_are_held_to_95_percent():
    p = planlib.build_plan(False)
    scen = planlib.select(p, "manifest-get,manifest-get-noindex,push-1m,push-1m-noindex")
    assert [s.id for s in planlib.round_order(scen, 1)] == [s.id for s in scen]
    assert [s.id for s in planlib.round_order(scen, 2)] == [
        "manifest-get-noindex", "manifest-get", "push-1m-noindex", "push-1m"]
    assert p.groups["noindex"].index_off and not p.groups["main"].index_off
    ms = [
        _m("manifest-get", "pier", 9600), _m("manifest-get-noindex", "pier", 10000),
        _m("push-1m", "pier", 10, mbps=90), _m("push-1m-noindex", "pier", 10, mbps=100),
    ]
    s = report.summarize(scen, ms, [], {"pier": 20.0, "distribution": 25.0}, {})
    t = {x["target"]: x["status"] for x in s["targets"]}
    assert t["manifest-get with the index ≥ 95% of manifest-get-noindex"] == "PASS"
    assert t["push-1m with the index ≥ 95% of push-1m-noindex"] == "FAIL"
    assert t["pull-1m with the index ≥ 95% of pull-1m-noindex"] == "n/a"


def test_pulls_read_as_go_clients_and_curl_read_them_are_rows_held_to_1_2x():
    p = planlib.build_plan(False)
    rows = planlib.select(p, "pull-*-go,pull-*-curl")
    assert sorted(s.id for s in rows) == sorted(
        f"pull-{size}-{client}" for client in ("go", "curl") for size in ("1m", "100m", "1g"))
    go1m = next(s for s in rows if s.id == "pull-1m-go")
    assert go1m.bench_args()[go1m.bench_args().index("--client") + 1] == "go"
    assert (go1m.size, go1m.count, go1m.concurrency) == (planlib.MiB, 200, 8)
    assert "--client" not in next(s for s in p.scenarios if s.id == "pull-1m").bench_args()
    ms = [_m("pull-1m-go", "pier", 10, mbps=130), _m("pull-1m-go", "distribution", 10, mbps=100),
          _m("pull-1g-curl", "pier", 1, mbps=110), _m("pull-1g-curl", "distribution", 1, mbps=100)]
    s = report.summarize(rows, ms, [], {"pier": 20.0, "distribution": 25.0}, {})
    t = {x["target"]: x["status"] for x in s["targets"]}
    assert t["pull-1m-go ≥ 1.2× reference MB/s"] == "PASS"
    assert t["pull-1g-curl ≥ 1.2× reference MB/s"] == "FAIL"


def test_the_index_rows_run_again_over_postgresql():
    p = planlib.build_plan(True)
    rows = planlib.select(p, "*-pg")
    assert {s.id for s in rows} == {"search-10k-one-pg", "search-10k-all-pg", "repository-10k-pg"}
    group = p.groups["index-10k-pg"]
    assert group.postgres and group.pier_only and group.tags_per_repo == 10
    assert not p.groups["index-10k"].postgres


def test_the_fleet_row_reports_each_kind_and_holds_the_small_requests_p99():
    p = planlib.build_plan(False)
    fleet = next(s for s in p.scenarios if s.id == "fleet")
    assert (fleet.client, fleet.concurrency, fleet.size, fleet.count) == ("go", 32, 100 * planlib.MiB, 12)
    # 12 blobs of up to 100 MiB on two servers per round: the disk estimate stays bounded.
    assert planlib.disk_bytes_needed(p, [fleet]) == 12 * 100 * planlib.MiB * 2 * p.rounds + 2 * p.nginx_big_size

    def run(kind, p99, rnd):
        m = _m("fleet", kind, 500, p99=p99, rnd=rnd)
        m["bench"] = m["bench"] | {"kinds": {"manifest-head": {"count": 10, "errors": 0, "p50_ms": p99 / 4, "p99_ms": p99},
                                             "blob-push": {"count": 2, "errors": 0, "p50_ms": 300.0, "p99_ms": 600.0}}}
        return m

    ms = [run("pier", 20.0, 1), run("pier", 40.0, 2), run("distribution", 90.0, 1), run("distribution", 110.0, 2)]
    s = report.summarize([fleet], ms, [], {"pier": 20.0, "distribution": 25.0}, {})
    kinds = s["scenarios"]["fleet"]["kinds"]
    assert kinds["manifest-head"]["pier"] == {"count": 20, "p50_ms": 7.5, "p99_ms": 30.0}
    assert kinds["blob-push"]["distribution"]["count"] == 4
    t = {x["target"]: x for x in s["targets"]}
    assert t["fleet small-request p99 below reference's"]["status"] == "PASS"
    assert "manifest-head" in report.render_report(s, [fleet])


def test_a_page_weighs_its_html_and_the_assets_it_names_once_each(tmp_path):
    import http.server
    import threading

    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="/s.css?v=1"><script src="/s.js?v=1" defer></script>'
        '<script src="/s.js?v=1" defer></script><p>hello</p>')
    (tmp_path / "s.css").write_text("x" * 1000)
    (tmp_path / "s.js").write_text("y" * 300)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(tmp_path), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        html = (tmp_path / "page.html").stat().st_size
        assert page_weight(f"http://127.0.0.1:{server.server_address[1]}", "/page.html") == html + 1000 + 300
    finally:
        server.shutdown()


def test_the_web_rows_hold_each_page_under_100_kb():
    p = planlib.build_plan(False)
    rows = planlib.select(p, "web-*")
    assert {s.id for s in rows} == {"web-search-10k-one", "web-search-10k-all", "web-home-10k", "web-repository-100"}
    ms = [_m(s.id, "pier", 1000) | {"page_bytes": 40_000 if s.id != "web-home-10k" else 120_000} for s in rows]
    t = {x["target"]: x for x in report.summarize(rows, ms, [], {}, {})["targets"]}
    assert t["web-repository-100 page weight < 100 KB"]["status"] == "PASS"
    assert t["web-home-10k page weight < 100 KB"]["status"] == "FAIL"


def test_random_body_has_its_length_and_a_fresh_digest():
    from lib.storage import RandomBody

    for size in (0, 10, 32, 33, (1 << 20) + 7):
        body = RandomBody(size, block=1 << 16)
        assert len(body) == size and sum(len(p) for p in body) == size
    assert RandomBody(1000).digest() != RandomBody(1000).digest()


def test_mirror_rows_pull_through_pier_cold_and_cached_with_their_targets():
    from lib import plan as planlib

    plan = planlib.build_plan(quick=False)
    rows = {s.id: s for s in plan.scenarios if s.group == "mirror"}
    assert set(rows) == {"mirror-cold-1g", "mirror-cached-1g"}
    assert rows["mirror-cold-1g"].mirror == "cold" and rows["mirror-cached-1g"].client == "curl"
    assert plan.groups["mirror"].mirror


def test_the_image_target_holds_pier_to_twice_distributions_binary():
    from lib import report

    def target(image):
        summary = report.summarize([], [], [], {}, {}, image)
        return next(t for t in summary["targets"] if t["target"].startswith("image"))

    assert target({})["detail"] == "not run"
    assert target({"pier_image_bytes": 40_000_000, "reference_binary_bytes": 21_000_000})["status"] == "PASS"
    assert target({"pier_image_bytes": 43_000_000, "reference_binary_bytes": 21_000_000})["status"] == "FAIL"
    assert target({"reference_binary_bytes": 21_000_000, "error": "build.sh: no umoci"})["detail"] == "build.sh: no umoci"


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_a_paused_server_is_stopped_until_resumed_and_still_stops_cleanly(tmp_path):
    # gc-busy's collector must not take the cores of other rows: its server is paused with
    # SIGSTOP outside its own rows, and a paused server must still stop at the end.
    from lib.servers import BenchServer

    server = BenchServer("pier", tmp_path, root=tmp_path / "root", group="gc-busy")
    server.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        server.pause()
        time.sleep(0.1)
        assert _state(server.pid) == "T"
        server.pause()  # twice is once
        server.resume()
        time.sleep(0.1)
        assert _state(server.pid) in ("R", "S")
        server.pause()
        proc = server.proc
        server.stop(timeout=10)
        assert proc.poll() is not None and not server.paused
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.kill()
