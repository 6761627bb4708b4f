"""Running the load client `pier-bench` (or, with --dry-run, a stand-in that fakes it).

pier-bench prints exactly one JSON object on stdout:
  {"scenario", "requests", "errors", "seconds", "req_per_s", "mb_per_s", "bytes",
   "p50_ms", "p90_ms", "p99_ms", "client_cpu_s", "client_cpu_pct", "first_error"}
and exits 0 even when requests failed (they are counted in "errors"). It may add "after_s",
the seconds between the end of its timed phase and its exit (see `timed_window`).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

NUMBER = (int, float)
RESULT_FIELDS: dict[str, tuple] = {
    "scenario": (str,),
    "requests": (int,),
    "errors": (int,),
    "seconds": NUMBER,
    "req_per_s": NUMBER,
    "mb_per_s": NUMBER,
    "bytes": (int,),
    "p50_ms": NUMBER,
    "p90_ms": NUMBER,
    "p99_ms": NUMBER,
    "client_cpu_s": NUMBER,
    "client_cpu_pct": NUMBER,
    "first_error": (str, type(None)),
}


@dataclass
class Invocation:
    argv: list[str]
    result: dict | None = None  # the parsed JSON when valid
    error: str | None = None  # why there is no valid result
    returncode: int | None = None
    started: float = 0.0  # monotonic
    ended: float = 0.0  # monotonic, when the process exited
    stderr_tail: str = ""
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def wall_s(self) -> float:
        return self.ended - self.started


def parse_result(stdout: str) -> dict:
    """The JSON object pier-bench printed; ValueError when it is not one with every field."""
    text = stdout.strip()
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        # tolerate stray lines before the object: take the last line that parses
        obj = None
        for line in reversed(text.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                    break
                except json.JSONDecodeError:
                    continue
        if obj is None:
            raise ValueError(f"no JSON object on stdout: {text[-300:]!r}")
    if not isinstance(obj, dict):
        raise ValueError(f"stdout JSON is not an object: {text[-300:]!r}")
    missing = [k for k in RESULT_FIELDS if k not in obj]
    if missing:
        raise ValueError(f"result lacks {', '.join(missing)}: {text[-300:]!r}")
    for k, types in RESULT_FIELDS.items():
        v = obj[k]
        if isinstance(v, bool) or not isinstance(v, types):
            raise ValueError(f"result field {k} has type {type(v).__name__}: {v!r}")
    return obj


def timed_window(started: float, ended: float, result: dict) -> tuple[float, float]:
    """The monotonic interval of pier-bench's timed phase: the `seconds` before the
    `after_s` (digest checks, teardown) that preceded its exit, clipped to the process's life;
    the untimed set-up before it (a pull uploads its blobs first) is left out."""
    after = max(float(result.get("after_s", 0.0)), 0.0)
    end = max(ended - after, started)
    return max(end - max(float(result["seconds"]), 0.0), started), end


class BenchRunner:
    """Runs the real pier-bench binary."""

    dry = False

    def __init__(self, binary: str, logdir: Path, extra_args: list[str] | None = None):
        self.binary = binary
        self.logdir = Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.extra_args = list(extra_args or [])

    def run(self, url: str, args: list[str], timeout: float, name: str,
            auth: tuple[str, str] | None = None, target: str = "") -> Invocation:
        argv = [self.binary, "--url", url, *args]
        if auth:
            argv += ["--user", auth[0], "--password", auth[1]]
        argv += self.extra_args
        log = self.logdir / f"{name}.stderr"
        inv = Invocation(argv=argv, log=str(log))
        with open(log, "wb") as errf:
            inv.started = time.monotonic()
            # its own process group, so a timeout (or stopping the run) kills it with anything it started
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errf, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            try:
                out, _ = proc.communicate(timeout=timeout)
            except BaseException as e:  # timeout, or the run is being stopped: never leave it behind
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
                proc.communicate()
                if not isinstance(e, subprocess.TimeoutExpired):
                    raise
                inv.ended = time.monotonic()
                inv.returncode = proc.returncode
                inv.error = f"timed out after {timeout:.0f} s (killed)"
                inv.stderr_tail = _tail(log)
                return inv
            inv.ended = time.monotonic()
        inv.returncode = proc.returncode
        inv.stderr_tail = _tail(log)
        if proc.returncode != 0:
            inv.error = f"pier-bench exited {proc.returncode}: {inv.stderr_tail[-500:]}"
            return inv
        try:
            inv.result = parse_result(out.decode(errors="replace"))
        except ValueError as e:
            inv.error = str(e)
        return inv


def _tail(path: Path, n: int = 4000) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    return data[-n:].decode(errors="replace")


def _option(args: list[str], name: str, default=None):
    if name in args:
        return args[args.index(name) + 1]
    return default


class FakeRunner(BenchRunner):
    """--dry-run: no pier-bench. Sends a few real GET /v2/ (or GET of the nginx path) for a
    fraction of a second so the server-side /proc readings move, then makes up a result
    in pier-bench's exact format (and parses it through the same validator)."""

    dry = True

    # made-up relative speeds, so the table, ratios and target checks all get exercised
    SPEED = {"pier": 1.0, "distribution": 0.12, "nginx": 1.6}

    def __init__(self, logdir: Path, busy_seconds: float = 0.15):
        super().__init__("(fake pier-bench)", logdir)
        self.busy_seconds = busy_seconds

    def run(self, url: str, args: list[str], timeout: float, name: str,
            auth: tuple[str, str] | None = None, target: str = "") -> Invocation:
        argv = [self.binary, "--url", url, *args]
        inv = Invocation(argv=argv)
        inv.started = time.monotonic()
        scenario = _option(args, "--scenario")
        path = _option(args, "--path")
        probe = url + (path if scenario == "get-url" else "/v2/")
        session = requests.Session()
        n_real = 0
        deadline = time.monotonic() + self.busy_seconds
        while time.monotonic() < deadline:
            try:
                session.get(probe, auth=auth, timeout=5).content
            except requests.RequestException:
                pass
            n_real += 1
        session.close()
        seed = int.from_bytes(hashlib.sha256(f"{name}".encode()).digest()[:8], "big")
        rnd = random.Random(seed)
        speed = self.SPEED.get(target, 0.5) * rnd.uniform(0.85, 1.15)
        conc = int(_option(args, "--concurrency", 8))
        size = int(_option(args, "--size", 0) or 0)
        count = _option(args, "--count")
        duration = float(_option(args, "--duration", 10))
        if size and (count is not None or scenario in ("push-monolith", "push-chunked", "push-stream", "pull", "put-url")):
            n = int(count or 1)
            mbps = 900.0 * speed
            seconds = size * n / (mbps * 1e6)
            req_per_s = n / seconds
            nbytes = size * n
            lat_ms = 1000.0 * size / (mbps * 1e6 / conc)
        else:
            req_per_s = 30000.0 * speed
            seconds = duration
            n = int(req_per_s * seconds)
            per = size or 600
            nbytes = n * per
            mbps = nbytes / seconds / 1e6
            lat_ms = 1000.0 * conc / req_per_s
        errors = 1 if rnd.random() < 0.05 else 0
        result = {
            "scenario": scenario,
            "requests": n,
            "errors": errors,
            "seconds": round(seconds, 4),
            "req_per_s": round(req_per_s, 2),
            "mb_per_s": round(mbps, 2),
            "bytes": nbytes,
            "p50_ms": round(lat_ms, 3),
            "p90_ms": round(lat_ms * 1.6, 3),
            "p99_ms": round(lat_ms * (2.5 if target == "pier" else 4.0), 3),
            "client_cpu_s": round(seconds * 0.6, 3),
            "client_cpu_pct": round(rnd.uniform(40, 99), 1),
            "first_error": "HTTP 500 on GET (fake)" if errors else None,
            "dry_run_real_requests": n_real,
        }
        inv.ended = time.monotonic()
        inv.returncode = 0
        inv.result = parse_result(json.dumps(result))
        return inv


def page_weight(base_url: str, path: str, timeout: float = 30) -> int:
    """Bytes a browser fetches for the page at `path` on a fresh visit: the HTML and every
    stylesheet, script and image it names on the same server (a page of Pier's web UI loads
    nothing else)."""
    import re
    from urllib.parse import urljoin

    page = requests.get(base_url + path, timeout=timeout)
    page.raise_for_status()
    total = len(page.content)
    loaded = re.findall(r'<(?:script|img)[^>]*\ssrc="([^"]*)"', page.text)
    loaded += re.findall(r'<link[^>]*\shref="([^"]*)"', page.text)
    for url in dict.fromkeys(loaded):
        asset = requests.get(urljoin(base_url + path, url), timeout=timeout)
        asset.raise_for_status()
        total += len(asset.content)
    return total
