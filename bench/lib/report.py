"""Medians, ratios, target checks, and the text / Markdown tables of a run."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from .plan import PIER_SUPPORTS_HTPASSWD  # noqa: F401  (re-exported for callers)

# The TLS rows have a third server: nginx terminating TLS in front of the reference.
KINDS = ("pier", "distribution", "nginx-front")
LABEL = {"pier": "Pier", "distribution": "reference", "nginx-front": "nginx in front"}
WHO = {"pier": "P", "distribution": "R", "nginx-front": "N"}
CLIENT_SATURATED_PCT = 90.0
PEAK_RSS_LIMIT_MIB = 100.0

METRIC_KEYS = ("req_per_s", "mb_per_s", "p50_ms", "p90_ms", "p99_ms", "client_cpu_pct")
SERVER_KEYS = ("server_peak_rss_mib", "server_cpu_s_per_gib", "server_cpu_pct", "page_bytes")


def median(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def summarize_side(measurements: list[dict]) -> dict | None:
    """Medians over rounds of one scenario on one server."""
    if not measurements:
        return None
    ok = [m for m in measurements if m.get("bench")]
    side: dict = {
        "runs": len(measurements),
        "failed": len(measurements) - len(ok),
        "failures": [m["error"] for m in measurements if m.get("error")],
        "errors": sum(m["bench"]["errors"] for m in ok),
        "requests": sum(m["bench"]["requests"] for m in ok),
        "first_error": next((m["bench"]["first_error"] for m in ok if m["bench"].get("first_error")), None),
        "client_cpu_pct_max": max((m["bench"]["client_cpu_pct"] for m in ok), default=None),
        "server_peak_rss_mib_max": max((m["server_peak_rss_mib"] for m in measurements
                                        if m.get("server_peak_rss_mib") is not None), default=None),
        "server_restarts": sum(1 for m in measurements if m.get("server_restarted_before") or m.get("server_died")),
    }
    for k in METRIC_KEYS:
        side[k] = median(m["bench"][k] for m in ok)
    for k in SERVER_KEYS:
        side[k] = median(m.get(k) for m in ok)
    return side


def summarize_kinds(measurements: list[dict]) -> dict:
    """For a scenario that reports each kind of request (fleet): per kind and server, the
    medians over rounds of its p50 and p99 and the sum of its count."""
    out: dict = {}
    for m in measurements:
        for kind, k in ((m.get("bench") or {}).get("kinds") or {}).items():
            side = out.setdefault(kind, {}).setdefault(m["server"], {"count": 0, "p50": [], "p99": []})
            side["count"] += k.get("count", 0)
            side["p50"].append(k.get("p50_ms"))
            side["p99"].append(k.get("p99_ms"))
    for sides in out.values():
        for side in sides.values():
            side["p50_ms"], side["p99_ms"] = median(side.pop("p50")), median(side.pop("p99"))
    return out


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def summarize(scenarios, measurements: list[dict], ceilings: list[dict], idle_rss: dict, na: dict[str, str],
              image: dict | None = None) -> dict:
    """scenarios: the selected Scenario objects (plan order); measurements: every
    (round, scenario, server) record; ceilings: every ceiling record; na: scenario id ->
    reason the Pier side is not measured."""
    out: dict = {"scenarios": {}, "ceilings": {}, "idle_rss_mib": idle_rss, "image": image or {}}
    by_id: dict[str, list] = {}
    for c in ceilings:
        by_id.setdefault(c["id"], []).append(c)
    for cid, recs in by_id.items():
        vals = [c["value"] for c in recs if c.get("value") is not None]
        first = recs[0]
        out["ceilings"][cid] = {
            "title": first["title"],
            "unit": first["unit"],
            "value": median(vals),
            "values": vals,
            "client_cpu_pct_max": max((c["bench"]["client_cpu_pct"] for c in recs if c.get("bench")), default=None),
            "errors": sum(c["bench"]["errors"] for c in recs if c.get("bench")),
            "failed": sum(1 for c in recs if c.get("value") is None),
        }
    for s in scenarios:
        row: dict = {"title": s.title, "metric": s.metric, "moves_bytes": s.moves_bytes, "group": s.group}
        for kind in KINDS:
            row[kind] = summarize_side([m for m in measurements if m["scenario"] == s.id and m["server"] == kind])
        kinds = summarize_kinds([m for m in measurements if m["scenario"] == s.id])
        if kinds:
            row["kinds"] = kinds
        if s.id in na:
            row["pier_na"] = na[s.id]
        p, r, f = row["pier"], row["distribution"], row["nginx-front"]
        row["ratio"] = ratio(p and p[s.metric], r and r[s.metric])
        row["front_ratio"] = ratio(p and p[s.metric], f and f[s.metric])
        row["p99_ratio"] = ratio(p and p["p99_ms"], r and r["p99_ms"]) if s.metric == "req_per_s" else None
        flags = []
        for kind in KINDS:
            side = row[kind]
            if not side:
                continue
            who = WHO[kind]
            if side["client_cpu_pct_max"] is not None and side["client_cpu_pct_max"] >= CLIENT_SATURATED_PCT:
                flags.append(f"client-bound({who})")
            if side["errors"]:
                flags.append(f"errors({who}:{side['errors']})")
            if side["failed"]:
                flags.append(f"failed({who}:{side['failed']})")
            if side["server_restarts"]:
                flags.append(f"restarted({who})")
        row["flags"] = flags
        out["scenarios"][s.id] = row
    out["targets"] = check_targets(out)
    return out


# --------------------------------------------------------------------------- targets

def _status(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def check_targets(summary: dict) -> list[dict]:
    sc = summary["scenarios"]
    ce = summary["ceilings"]
    targets: list[dict] = []

    def metric(sid, kind, key):
        row = sc.get(sid)
        side = row and row.get(kind)
        return side and side.get(key)

    def pier_errors(sid):
        row = sc.get(sid)
        side = row and row.get("pier")
        return bool(side and (side["errors"] or side["failed"]))

    def add(name, sid, ok, detail, na_reason=None):
        status = _status(ok)
        if ok is None and na_reason:
            detail = na_reason
        elif sid and pier_errors(sid) and status == "PASS":
            status, detail = "FAIL", detail + "; Pier had errors"
        targets.append({"target": name, "scenario": sid, "status": status, "detail": detail})

    def vs_reference(sid, factor, unit_key=None):
        row = sc.get(sid)
        if row is None:
            add(f"{sid} ≥ {factor:g}× reference", sid, None, "not run")
            return
        if row.get("pier_na"):
            add(f"{sid} ≥ {factor:g}× reference", sid, None, "", na_reason=row["pier_na"])
            return
        key = unit_key or row["metric"]
        r = row["ratio"]
        unit = "req/s" if key == "req_per_s" else "MB/s"
        ok = None if r is None else r >= factor
        detail = "no data" if r is None else f"{r:.2f}× ({unit})"
        add(f"{sid} ≥ {factor:g}× reference {unit}", sid, ok, detail)

    def vs_ceiling(sid, cid, fraction, label):
        p = metric(sid, "pier", sc[sid]["metric"]) if sid in sc else None
        c = ce.get(cid, {}).get("value")
        name = f"{sid} ≥ {fraction:.0%} of {label}" if fraction != 1 else f"{sid} ≥ {label}"
        if sid not in sc:
            add(name, sid, None, "not run")
            return
        if p is None or c is None:
            add(name, sid, None, "no data" if sid in sc else "not run")
            return
        add(name, sid, p >= fraction * c, f"{p:,.1f} vs {fraction * c:,.1f} ({p / c:.0%} of {c:,.1f})")

    for sid in ("manifest-head", "manifest-get", "tags"):
        vs_reference(sid, 10)
        vs_ceiling(sid, "nginx-small", 0.70, "nginx small-file req/s")
        pp, rp = metric(sid, "pier", "p99_ms"), metric(sid, "distribution", "p99_ms")
        name = f"{sid} p99 below reference's"
        if sid not in sc:
            add(name, sid, None, "not run")
        elif pp is None or rp is None:
            add(name, sid, None, "no data")
        else:
            add(name, sid, pp < rp, f"{pp:.2f} ms vs {rp:.2f} ms")
    for sid in ("ping-htpasswd", "manifest-head-htpasswd"):
        vs_reference(sid, 20)
    # Cached credentials: an authenticated manifest HEAD costs no bcrypt.
    auth_rate = metric("manifest-head-htpasswd", "pier", "req_per_s") if "manifest-head-htpasswd" in sc else None
    open_rate = metric("manifest-head", "pier", "req_per_s") if "manifest-head" in sc else None
    if auth_rate is None or open_rate is None:
        add("manifest-head-htpasswd ≥ 80% of Pier's unauthenticated rate", "manifest-head-htpasswd", None, "not run")
    else:
        add("manifest-head-htpasswd ≥ 80% of Pier's unauthenticated rate", "manifest-head-htpasswd",
            auth_rate >= 0.8 * open_rate, f"{auth_rate / open_rate:.0%} ({auth_rate:.0f} vs {open_rate:.0f} req/s)")
    for sid in ("catalog-1k", "catalog-10k"):
        vs_reference(sid, 10)
    vs_reference("catalog-1k-s3", 20)
    # Pulls from S3: faster than the reference, at no more server CPU per GiB.
    for sid in ("pull-1m-s3", "pull-100m-s3", "pull-1g-s3"):
        vs_reference(sid, 1.2)
        pc, rc = metric(sid, "pier", "server_cpu_s_per_gib"), metric(sid, "distribution", "server_cpu_s_per_gib")
        name = f"{sid} server CPU-s/GiB ≤ reference's"
        if sid not in sc:
            add(name, sid, None, "not run")
        else:
            add(name, sid, None if pc is None or rc is None else pc <= rc,
                "no data" if pc is None or rc is None else f"{pc:.2f} vs {rc:.2f}")
    for sid in ("manifest-head-s3", "manifest-get-s3", "tags-s3"):
        vs_reference(sid, 1.5)
    vs_reference("push-1m", 2)
    vs_reference("push-1g", 1.5)
    vs_ceiling("push-1g", "nginx-put-big", 0.70, "nginx PUT MB/s")
    # The disk's durable rate (disk-durable-write) is reported, not held as a target: with the
    # page cache's memory resident it exceeds one core's SHA-256 rate, which bounds any
    # registry that verifies what it stores (docs/performance.md).
    vs_reference("pull-1m", 2)
    # The index costs the hot paths nothing measurable: the same rows with it off.
    for sid in ("manifest-head", "manifest-get", "push-1m", "pull-1m"):
        off = f"{sid}-noindex"
        name = f"{sid} with the index ≥ 95% of {off}"
        if sid not in sc or off not in sc:
            add(name, sid, None, "not run")
            continue
        key = sc[sid]["metric"]
        on_rate, off_rate = metric(sid, "pier", key), metric(off, "pier", key)
        if on_rate is None or off_rate is None:
            add(name, sid, None, "no data")
        else:
            unit = "req/s" if key == "req_per_s" else "MB/s"
            add(name, sid, on_rate >= 0.95 * off_rate,
                f"{on_rate / off_rate:.0%} ({on_rate:,.1f} vs {off_rate:,.1f} {unit})")
    # Garbage collection: faster than distribution's over the same content, and the
    # registry's rows while Pier collects without pause ≥ 80% of the same rows without it.
    vs_reference("gc-1k", 1)
    vs_reference("gc-1k-s3", 1)
    for sid, twin in (("push-1m-gc", "push-1m"), ("pull-1m-gc", "pull-1m")):
        name = f"{sid} ≥ 80% of {twin} (Pier collecting vs not)"
        if sid not in sc or twin not in sc:
            add(name, sid, None, "not run")
            continue
        busy, idle = metric(sid, "pier", "mb_per_s"), metric(twin, "pier", "mb_per_s")
        if busy is None or idle is None:
            add(name, sid, None, "no data")
        else:
            add(name, sid, busy >= 0.8 * idle, f"{busy / idle:.0%} ({busy:,.1f} vs {idle:,.1f} MB/s)")
    vs_reference("pull-1g", 1)
    vs_ceiling("pull-1g", "nginx-get-big", 1.0, "nginx GET MB/s")
    # The pull-through mirror: a first pull (fetched from the upstream while sent and
    # stored) ≥ 0.9× the same pull straight from the upstream; a cached one as fast as
    # Pier's own pull of the same size read by the same client.
    vs_reference("mirror-cold-1g", 0.9)
    name = "mirror-cached-1g ≥ pull-1g-curl (Pier's local pull)"
    if "mirror-cached-1g" not in sc or "pull-1g-curl" not in sc:
        add(name, "mirror-cached-1g", None, "not run")
    else:
        cached, local = metric("mirror-cached-1g", "pier", "mb_per_s"), metric("pull-1g-curl", "pier", "mb_per_s")
        if cached is None or local is None:
            add(name, "mirror-cached-1g", None, "no data")
        else:
            # Within the rounds' noise (5%), as the index on/off pairs are held.
            add(name, "mirror-cached-1g", cached >= 0.95 * local, f"{cached / local:.0%} ({cached:,.1f} vs {local:,.1f} MB/s)")
    # Pulls as the clients people use read them: Go's net/http (docker, containerd, skopeo,
    # podman) and curl.
    for client in ("go", "curl"):
        for size in ("1m", "100m", "1g"):
            vs_reference(f"pull-{size}-{client}", 1.2)

    # Over TLS, each server terminating it itself: ≥ 1.5× the reference, at least as fast as
    # nginx terminating TLS in front of it, and 1 GiB pulls ≥ 80% of nginx serving a file.
    for proto in ("h1", "h2"):
        for what in ("manifest-head", "manifest-get", "push-1m", "pull-1m", "push-1g", "pull-1g"):
            sid = f"tls-{what}-{proto}"
            vs_reference(sid, 1.5)
            row = sc.get(sid)
            name = f"{sid} ≥ nginx in front"
            if row is None:
                add(name, sid, None, "not run")
            else:
                fr = row.get("front_ratio")
                add(name, sid, None if fr is None else fr >= 1.0, "no data" if fr is None else f"{fr:.2f}×")
        vs_ceiling(f"tls-pull-1g-{proto}", "nginx-tls-get-big", 0.80, "nginx TLS GET MB/s")

    # A CI fleet: the small requests' p99 while layers move is what users feel.
    row = sc.get("fleet")
    name = "fleet small-request p99 below reference's"
    if row is None:
        add(name, "fleet", None, "not run")
    else:
        p, r = metric("fleet", "pier", "p99_ms"), metric("fleet", "distribution", "p99_ms")
        add(name, "fleet", None if p is None or r is None else p < r,
            "no data" if p is None or r is None else f"{p:.1f} ms vs {r:.1f} ms")
    # The index API over 10,000 repositories and 100,000 tags (Pier only).
    for sid in ("search-10k-one", "search-10k-all", "search-10k-one-pg", "search-10k-all-pg",
                "web-search-10k-one", "web-search-10k-all", "web-home-10k"):
        name = f"{sid} p99 ≤ 10 ms"
        p99 = metric(sid, "pier", "p99_ms") if sid in sc else None
        if sid not in sc:
            add(name, sid, None, "not run")
        elif p99 is None:
            add(name, sid, None, "no data")
        else:
            add(name, sid, p99 <= 10, f"{p99:.2f} ms at {metric(sid, 'pier', 'req_per_s'):,.0f} req/s")
    # The web UI's pages: HTML and assets a browser fetches, each under 100 KB.
    for sid in ("web-search-10k-one", "web-search-10k-all", "web-home-10k", "web-repository-100"):
        name = f"{sid} page weight < 100 KB"
        weight = metric(sid, "pier", "page_bytes") if sid in sc else None
        if sid not in sc:
            add(name, sid, None, "not run")
        elif weight is None:
            add(name, sid, None, "no data")
        else:
            add(name, sid, weight < 100_000, f"{weight / 1000:.1f} KB")
    # Pier's image (deploy/image/build.sh, compressed as pulled) at most twice the size of
    # distribution's binary.
    image = summary.get("image") or {}
    pier_bytes, reference_bytes = image.get("pier_image_bytes"), image.get("reference_binary_bytes")
    if not image:
        add("image ≤ 2× distribution's binary", None, None, "not run")
    elif pier_bytes is None or reference_bytes is None:
        add("image ≤ 2× distribution's binary", None, None, image.get("error", "no data"))
    else:
        add("image ≤ 2× distribution's binary", None, pier_bytes <= 2 * reference_bytes,
            f"{pier_bytes / 1e6:.1f} MB vs {reference_bytes / 1e6:.1f} MB ({pier_bytes / reference_bytes:.2f}×)")
    idle = summary.get("idle_rss_mib") or {}
    ip, ir = idle.get("pier"), idle.get("distribution")  # the registries only
    add("idle RSS ≤ reference's", None, None if ip is None or ir is None else ip <= ir,
        "no data" if ip is None or ir is None else f"{ip:.1f} MiB vs {ir:.1f} MiB")
    for sid in ("push-1g", "pull-1g"):
        name = f"{sid} server peak RSS ≤ {PEAK_RSS_LIMIT_MIB:g} MiB"
        peak = metric(sid, "pier", "server_peak_rss_mib_max")
        if sid not in sc:
            add(name, sid, None, "not run")
        elif peak is None:
            add(name, sid, None, "no data")
        else:
            add(name, sid, peak <= PEAK_RSS_LIMIT_MIB, f"{peak:.1f} MiB (max over rounds)")
    return targets


# --------------------------------------------------------------------------- tables

def _num(v, digits=1):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.{digits}f}"


def _ms(v):
    if v is None:
        return "–"
    return f"{v:.3f}" if v < 1 else (f"{v:.2f}" if v < 100 else f"{v:.0f}")


def _ratio_text(row) -> str:
    if row.get("pier_na"):
        return "n/a"
    r = row.get("ratio")
    if r is None:
        return "–"
    unit = "req/s" if row["metric"] == "req_per_s" else "MB/s"
    text = f"{r:.2f}× {unit}"
    if row.get("p99_ratio") is not None:
        text += f", p99 {row['p99_ratio']:.2f}×"
    if row.get("front_ratio") is not None:
        text += f"; {row['front_ratio']:.2f}× nginx in front"
    return text


HEADERS = ["scenario", "server", "req/s", "MB/s", "p50 ms", "p90 ms", "p99 ms", "peak RSS MiB",
           "CPU-s/GiB", "client CPU %", "Pier/ref", "flags"]


def table_rows(summary: dict) -> list[list[str]]:
    rows = []
    for sid, row in summary["scenarios"].items():
        for i, kind in enumerate(KINDS):
            side = row.get(kind)
            if kind == "nginx-front" and not side:
                continue  # only the TLS rows have it
            first = [sid if i == 0 else "", LABEL[kind]]
            if kind == "pier" and row.get("pier_na"):
                rows.append(first + ["n/a"] * 8 + [row["pier_na"], ""])
                continue
            if not side:
                rows.append(first + ["–"] * 8 + ["", ""])
                continue
            rows.append(first + [
                _num(side["req_per_s"]),
                _num(side["mb_per_s"]),
                _ms(side["p50_ms"]),
                _ms(side["p90_ms"]),
                _ms(side["p99_ms"]),
                _num(side["server_peak_rss_mib"]),
                _num(side["server_cpu_s_per_gib"], 2) if row["moves_bytes"] else "–",
                _num(side["client_cpu_pct"], 0),
                _ratio_text(row) if kind == "pier" else "",
                " ".join(row["flags"]) if kind == "pier" else "",
            ])
    return rows


CEILING_HEADERS = ["ceiling", "median", "unit", "per round", "flags"]


def ceiling_rows(summary: dict) -> list[list[str]]:
    rows = []
    for cid, c in summary["ceilings"].items():
        flags = []
        if c["client_cpu_pct_max"] is not None and c["client_cpu_pct_max"] >= CLIENT_SATURATED_PCT:
            flags.append("client-bound")
        if c["errors"]:
            flags.append(f"errors({c['errors']})")
        if c["failed"]:
            flags.append(f"failed({c['failed']})")
        rows.append([f"{cid}: {c['title']}", _num(c["value"]), c["unit"],
                     ", ".join(_num(v) for v in c["values"]), " ".join(flags)])
    return rows


TARGET_HEADERS = ["target", "result", "detail"]


def target_rows(summary: dict) -> list[list[str]]:
    """Targets whose scenarios ran (the JSON keeps every target, "not run" ones included)."""
    return [[t["target"], t["status"], t["detail"]] for t in summary["targets"] if t["detail"] != "not run"]


def render_text(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)] if rows else [len(h) for h in headers]
    numeric = [i for i, h in enumerate(headers) if h not in ("scenario", "server", "flags", "ceiling", "target",
                                                              "detail", "unit", "result", "Pier/ref", "per round")]

    def line(cells):
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            out.append(str(c).rjust(w) if i in numeric else str(c).ljust(w))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def render_markdown(headers: list[str], rows: list[list[str]]) -> str:
    def esc(c):
        return str(c).replace("|", "\\|")

    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def render_report(summary: dict, scenarios, markdown: bool = False) -> str:
    render = render_markdown if markdown else render_text
    parts = []
    idle = summary.get("idle_rss_mib") or {}
    if markdown:
        parts.append("### Scenarios\n")
        parts.append(render(["scenario", "what"], [[s.id, s.title] for s in scenarios]))
        parts.append("\n### Pier vs reference (medians over rounds)\n")
    parts.append(render(HEADERS, table_rows(summary)))
    parts.append("")
    kind_rows = [[sid if i == 0 else "", kind,
                  *(f"{_ms(sides.get(k, {}).get('p50_ms'))} / {_ms(sides.get(k, {}).get('p99_ms'))} ({sides.get(k, {}).get('count', 0):,})"
                    for k in ("pier", "distribution"))]
                 for sid, row in summary["scenarios"].items() if row.get("kinds")
                 for i, (kind, sides) in enumerate(sorted(row["kinds"].items()))]
    if kind_rows:
        if markdown:
            parts.append("Each kind of request in the rows that mix them (p50 / p99 ms, and how many):\n")
        parts.append(render(["scenario", "request", "Pier p50 / p99 ms (n)", "reference p50 / p99 ms (n)"], kind_rows))
        parts.append("")
    if idle:
        parts.append(("Idle RSS: " if not markdown else "Idle RSS (VmRSS after start and one ping, median of fresh starts): ")
                     + ", ".join(f"{LABEL[k]} {v:.1f} MiB" for k, v in idle.items() if v is not None))
        parts.append("")
    image = summary.get("image") or {}
    if image.get("pier_image_bytes"):
        parts.append(f"Image: Pier {image['pier_image_bytes'] / 1e6:.1f} MB compressed "
                     f"({image.get('pier_binary_bytes', 0) / 1e6:.1f} MB stripped binary), "
                     f"distribution's binary {image.get('reference_binary_bytes', 0) / 1e6:.1f} MB")
        parts.append("")
    if summary["ceilings"]:
        if markdown:
            parts.append("### Ceilings on this machine\n")
        parts.append(render(CEILING_HEADERS, ceiling_rows(summary)))
        parts.append("")
    if markdown:
        parts.append("### Targets\n")
    parts.append(render(TARGET_HEADERS, target_rows(summary)))
    ran = [t for t in summary["targets"] if t["detail"] != "not run"]
    counts = {s: sum(1 for t in ran if t["status"] == s) for s in ("PASS", "FAIL", "n/a")}
    parts.append("")
    line = f"Targets: {counts['PASS']} PASS, {counts['FAIL']} FAIL, {counts['n/a']} n/a"
    if len(ran) < len(summary["targets"]):
        line += f" ({len(summary['targets']) - len(ran)} more not run: their scenarios were not selected)"
    parts.append(line)
    return "\n".join(parts)


# --------------------------------------------------------------------------- docs/performance.md

BEGIN = "<!-- BEGIN RESULTS: written by bench/run.py --write-doc; do not edit by hand -->"
END = "<!-- END RESULTS -->"


def write_doc(path: Path, body: str) -> None:
    text = Path(path).read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path}: results markers not found ({BEGIN!r} … {END!r})")
    text = pattern.sub(lambda _: f"{BEGIN}\n\n{body.strip()}\n\n{END}", text)
    Path(path).write_text(text)
