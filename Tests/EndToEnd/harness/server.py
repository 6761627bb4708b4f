"""Start, stop and observe a registry server process (Pier or the reference).

A `Server` owns one process at a time, a work directory (config, log) and a
storage root.  The config is a CNCF-distribution YAML file; callers pass a dict
that is deep-merged over `default_config()`.  Later test modes (auth, TLS, S3,
benchmarks) only need to pass a different config dict and, for TLS, `scheme`.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import http.server
import os
import socket
import socketserver
import subprocess
import threading
from pathlib import Path

import requests
import yaml

from .process import ManagedProcess

KINDS = ("pier", "distribution")

DEFAULT_PIER_BIN = str(Path(__file__).resolve().parents[3] / ".build" / "debug" / "pier")


def pier_bin() -> str:
    return os.path.abspath(os.environ.get("PIER_BIN") or DEFAULT_PIER_BIN)


def distribution_bin() -> str:
    return os.environ.get("DISTRIBUTION_BIN") or "docker-registry"


def missing_binary(kind: str) -> str | None:
    """Return a human reason why `kind` can't be started here, or None."""
    if kind == "pier":
        path = pier_bin()
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"Pier binary not found at {path} (set PIER_BIN or run `swift build`)"
        return None
    if kind == "distribution":
        from shutil import which

        if not which(distribution_bin()):
            return "docker-registry not installed (apt-get install docker-registry)"
        return None
    raise ValueError(f"unknown server kind {kind!r}")


_HANDED_OUT: set[int] = set()


def _worker_share() -> tuple[int, int]:
    """(this worker's number, how many workers) under pytest-xdist, (0, 1) without it. The
    workers share one port range: each takes only ports of its own share, so a port one has
    handed out and not yet bound is never handed out by another."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not name.startswith("gw") or count < 2:
        return 0, 1
    return int(name[2:]) % count, count


_WORKER, _WORKERS = _worker_share()


def free_port() -> int:
    """A port nothing listens on now and that this process has not handed out before: the
    kernel may offer a just-closed port again, and a service given two listeners on one port
    (SeaweedFS's filer and S3 gRPC, say) fails to start."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # By pairs: bind(0) prefers odd ports (connect() even ones), so a share by parity
        # would leave one worker only ports the kernel rarely offers.
        if port not in _HANDED_OUT and (port >> 1) % _WORKERS == _WORKER:
            _HANDED_OUT.add(port)
            return port


@contextlib.contextmanager
def scripted_http_server(handler):
    """A local HTTP server answering as `handler` (a `BaseHTTPRequestHandler`) does, for
    behaviour no real server here shows (an upstream that stalls or damages bytes, a cloud
    metadata service); yields its URL, stops it after."""
    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    port = free_port()
    server = Server(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


def deep_merge(base: dict, over: dict | None) -> dict:
    out = copy.deepcopy(base)
    for key, value in (over or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# storage.* keys that are not a storage driver; any other key of `storage` names the driver.
STORAGE_PARAMETER_KEYS = frozenset({"delete", "redirect", "cache", "maintenance", "tag"})

# How default_config picks the storage driver: a callable(root) -> {driver: parameters}, or
# None for the filesystem driver at `root`. conftest's --storage=s3 installs one that gives
# each distinct root its own SeaweedFS bucket (servers sharing a root share the bucket).
_storage_provider = None


def set_storage_provider(provider) -> None:
    """Install (or, with None, remove) the default storage driver provider."""
    global _storage_provider
    _storage_provider = provider


# None: the index in its default SQLite file beside the data. conftest's --index=postgres
# installs one that gives each distinct storage root a database of its own on the session's
# PostgreSQL (servers sharing a root share the index, as instances sharing a bucket do).
_index_provider = None


def set_index_provider(provider) -> None:
    """Install (or, with None, remove) the provider of `index.database` for Pier servers."""
    global _index_provider
    _index_provider = provider


def storage_driver(storage: dict | None) -> str | None:
    """The driver key of a `storage` section ("filesystem", "s3", ...), or None."""
    drivers = [k for k in (storage or {}) if k not in STORAGE_PARAMETER_KEYS]
    return drivers[0] if drivers else None


def default_storage(root: Path, kind: str = "pier") -> dict:
    if _storage_provider is not None:
        return _storage_provider(root, kind)
    return {"filesystem": {"rootdirectory": str(root)}}


def default_config(root: Path, port: int, storage: dict | None = None, kind: str = "pier") -> dict:
    """The base config. `storage` is the driver section ({driver: params}); by default the
    installed provider's, else the filesystem driver at `root`."""
    return {
        "version": 0.1,
        "log": {"level": "info"},
        "storage": {
            **(storage if storage is not None else default_storage(root, kind)),
            "delete": {"enabled": True},
        },
        "http": {"addr": f"127.0.0.1:{port}"},
    }


# Every process started by any Server, so a session finalizer can reap leftovers.
_LIVE: set["Server"] = set()


def stop_all() -> None:
    for server in list(_LIVE):
        server.kill()


atexit.register(stop_all)  # also when the harness is used outside pytest


class ServerStartError(RuntimeError):
    pass


class Server(ManagedProcess):
    LIVE = _LIVE

    def __init__(
        self,
        kind: str,
        workdir: Path | str,
        config: dict | None = None,
        root: Path | str | None = None,
        port: int | None = None,
        scheme: str = "http",
        env: dict | None = None,
        auth: tuple[str, str] | None = None,
        verify: bool | str = False,
        cert: tuple[str, str] | None = None,
        ready_statuses: tuple[int, ...] | None = None,
    ):
        if kind not in KINDS:
            raise ValueError(f"unknown server kind {kind!r}")
        self.kind = kind
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.root = Path(root) if root else self.workdir / "data"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.scheme = scheme
        self.extra_env = env or {}
        # How readiness is probed: Basic credentials, the CA to trust (or False), a client
        # certificate (cert, key) for mutual TLS, and which statuses of GET /v2/ mean "up"
        # (by default 200, and also 401 when the config has an `auth` section and no
        # credentials are given: an authenticating registry answers anonymous pings with 401).
        self.auth = auth
        self.verify = verify
        self.cert = cert
        self._ready_statuses = ready_statuses
        # A caller's config that names a storage driver replaces the default driver instead of
        # being merged with it (distribution refuses a config with two drivers).
        caller_driver = storage_driver((config or {}).get("storage"))
        base = default_config(self.root, self.port, storage={} if caller_driver else None, kind=kind)
        self.config = deep_merge(base, config)
        if kind == "distribution" and storage_driver(self.config["storage"]) == "s3":
            # distribution 2.8.2's upload purge, run at start, takes the first byte of every
            # name its walk of the bucket meets (purgeuploads.go:73) and panics on an empty
            # one: a key ending in "/", which is how SeaweedFS lists a directory whose objects
            # were deleted, such as a finished upload's (left by either server). The reference
            # then died at start or soon after, at random. Its purge is not under test.
            self.config["storage"].setdefault("maintenance", {}).setdefault("uploadpurging", {"enabled": False})
        index = self.config.get("index") or {}
        if kind == "pier" and _index_provider is not None and "database" not in index and not index.get("disabled"):
            self.config.setdefault("index", {})["database"] = _index_provider(self.root)
        self.config_path = self.workdir / f"{kind}-config.yml"
        self.log_path = self.workdir / f"{kind}.log"
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None

    # ---- addresses -------------------------------------------------------
    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def pid(self) -> int:
        assert self.proc is not None, "server not started"
        return self.proc.pid

    @property
    def is_pier(self) -> bool:
        return self.kind == "pier"

    def __repr__(self) -> str:
        return f"<Server {self.kind} {self.url} root={self.root}>"

    # ---- lifecycle -------------------------------------------------------
    def command(self) -> list[str]:
        binary = pier_bin() if self.kind == "pier" else distribution_bin()
        return [binary, "serve", str(self.config_path)]

    def start(self, timeout: float = 30.0) -> "Server":
        reason = missing_binary(self.kind)
        if reason:
            raise ServerStartError(reason)
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        env = dict(os.environ)
        env.pop("AWS_CA_BUNDLE", None)  # docker-registry panics with it set
        env.update(self.extra_env)
        with open(self.log_path, "ab") as logf:
            logf.write(f"\n===== start {self.command()} =====\n".encode())
            logf.flush()
            self.proc = subprocess.Popen(
                self.command(),
                stdout=logf,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                # Relative defaults (Pier's notification queue under ./data when the
                # storage is a bucket) stay inside this server's own directory.
                cwd=self.workdir,
                start_new_session=True,
            )
        self.returncode = None
        _LIVE.add(self)
        self.wait_ready(timeout)
        return self

    @property
    def ready_statuses(self) -> tuple[int, ...]:
        if self._ready_statuses is not None:
            return self._ready_statuses
        if "auth" in self.config and self.auth is None:
            return (200, 401)
        return (200,)

    def ping(self, timeout: float = 5.0) -> int:
        """Status of `GET /v2/`, with the server's probe credentials / client certificate."""
        return requests.get(
            self.url + "/v2/", timeout=timeout, verify=self.verify, auth=self.auth, cert=self.cert
        ).status_code

    def wait_ready(self, timeout: float = 30.0) -> None:
        def probe() -> str | None:
            try:
                code = self.ping(timeout=2)
            except requests.RequestException as e:
                return repr(e)
            return None if code in self.ready_statuses else f"HTTP {code}"

        self.wait_until_ready(probe, timeout, ServerStartError, self.kind, self.url, interval=0.05)

    def answers(self) -> bool:
        """True when the server still answers GET /v2/ (200, or 401 when it authenticates)."""
        try:
            return self.ping(timeout=5) in self.ready_statuses
        except requests.RequestException:
            return False

    def restart(self, timeout: float = 30.0) -> "Server":
        """Stop (gracefully) if running, then start again on the same port and root."""
        self.stop()
        return self.start(timeout)


    # ---- observation -----------------------------------------------------
    def proc_status(self, field: str) -> int:
        """A kB value from /proc/PID/status, e.g. 'VmHWM' or 'VmRSS'."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def peak_rss_mib(self) -> float:
        return self.proc_status("VmHWM") / 1024.0

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
