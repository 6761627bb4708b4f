"""The processes a benchmark run starts: Pier, the reference registry, nginx.

Registry servers reuse the end-to-end harness (`Tests/EndToEnd/harness/server.py`):
a `BenchServer` is a harness `Server` whose readiness check also works behind
htpasswd and TLS, and which knows its idle RSS. `NginxFront` is the seeds' setup that
the TLS rows compare with: nginx terminating TLS in front of a plain reference.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from . import procstat

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "Tests" / "EndToEnd"))

from harness.nginx import Nginx as HarnessNginx  # noqa: E402
from harness.nginx import registry_proxy_conf  # noqa: E402
from harness.pki import CA  # noqa: E402
from harness.server import Server, ServerStartError, free_port  # noqa: E402

KINDS = ("pier", "distribution")
# The third server of the TLS group: nginx terminating TLS in front of a plain reference.
FRONT = "nginx-front"
LABEL = {"pier": "Pier", "distribution": "reference", FRONT: "nginx in front"}

BENCH_USER = "bench"
BENCH_PASSWORD = "pier-bench-password"

# The reference runs with what Debian's /etc/docker/registry/config.yml and the
# registry:2 image ship: the in-memory blob descriptor cache.  It only makes the
# reference faster; Pier has no such option and ignores the key.
REFERENCE_BLOBDESCRIPTOR_CACHE = True


def server_config(kind: str, htpasswd_path: Path | None) -> dict:
    """Config dict deep-merged over the harness default (filesystem root, addr,
    delete enabled, log level info)."""
    cfg: dict = {
        "log": {"level": "info", "accesslog": {"disabled": False}},
        "storage": {"delete": {"enabled": True}},
    }
    if kind == "distribution":
        cfg["http"] = {"draintimeout": "5s", "secret": "pier-bench-fixed-http-secret-0123456789"}
        if REFERENCE_BLOBDESCRIPTOR_CACHE:
            cfg["storage"]["cache"] = {"blobdescriptor": "inmemory"}
    if htpasswd_path is not None:
        cfg["auth"] = {"htpasswd": {"realm": "pier-bench", "path": str(htpasswd_path)}}
    return cfg


@dataclass(frozen=True)
class TLSFiles:
    """One CA and one server certificate (ECDSA P-256, for 127.0.0.1) that every TLS server
    of a run presents, so none of them is measured with a cheaper handshake."""

    ca: str
    cert: str
    key: str

    @staticmethod
    def make(directory: Path) -> "TLSFiles":
        ca = CA("pier-bench CA")
        cert, key = ca.server_cert().write(directory, "server")
        return TLSFiles(ca.write(Path(directory) / "ca.crt"), cert, key)

    def http_config(self) -> dict:
        """What a registry's `http` section needs to serve it (Pier and distribution alike)."""
        return {"tls": {"certificate": self.cert, "key": self.key}}


class BenchServer(Server):
    def __init__(self, kind: str, workdir: Path, root: Path, group: str, auth: tuple[str, str] | None = None, **kw):
        super().__init__(kind, workdir, root=root, **kw)
        self.group = group
        self.auth = auth
        self.restarts = 0
        self.paused = False

    @property
    def label(self) -> str:
        return f"{LABEL[self.kind]}[{self.group}]"

    @property
    def pids(self) -> list[int]:
        """The processes whose CPU and memory the server's measurements add up."""
        return [self.pid]

    def ping(self, timeout: float = 5.0) -> int:
        return requests.get(self.url + "/v2/", timeout=timeout, auth=self.auth, verify=self.verify).status_code

    def idle_rss_mib(self) -> float:
        """VmRSS after start and one ping (and a moment to settle)."""
        self.ping()
        time.sleep(0.5)
        return procstat.rss_mib(self.pid)

    def ensure_running(self) -> bool:
        """Restart the server if it died. Returns True when a restart happened."""
        self.resume()
        if self.alive():
            return False
        self.restarts += 1
        self.start()
        return True

    def pause(self) -> None:
        """SIGSTOP: the server's work of its own (a collector every 100 ms) stops taking
        the cores the other rows and the ceilings are measured on."""
        if self.alive() and not self.paused:
            os.kill(self.pid, signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.paused and self.alive():
            os.kill(self.pid, signal.SIGCONT)
        self.paused = False

    def stop(self, timeout: float = 30.0):
        self.resume()  # a stopped process would only act on SIGTERM once continued
        return super().stop(timeout)


class NginxFront:
    """The seeds' setup: nginx terminating TLS (HTTP/1.1 and HTTP/2 by ALPN) and proxying to
    a reference registry on plain HTTP, with distribution's recipe for the location
    (`harness.nginx.registry_proxy_conf`). It is measured as one server: its CPU and memory
    are nginx's (master and workers) and the reference's together."""

    kind = FRONT
    auth = None

    def __init__(self, workdir: Path, root: Path, group: str, tls: TLSFiles):
        self.group = group
        self.tls = tls
        self.upstream = BenchServer("distribution", workdir / "upstream", root=root, group=group,
                                    config=server_config("distribution", None))
        self.port = free_port()
        conf = registry_proxy_conf(self.port, self.upstream.host, tls.cert, tls.key, None, http2=True)
        self.nginx = HarnessNginx(workdir / "nginx", conf, [self.port], workers="auto")
        self.restarts = 0

    @property
    def label(self) -> str:
        return f"{LABEL[self.kind]}[{self.group}]"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def proc(self) -> subprocess.Popen | None:
        return self.upstream.proc

    @property
    def pid(self) -> int:
        return self.upstream.pid

    @property
    def pids(self) -> list[int]:
        master = self.nginx.proc.pid if self.nginx.proc else None
        return [self.upstream.pid] + ([master] + procstat.children(master) if master else [])

    @property
    def log(self) -> str:
        return self.upstream.log + "\n" + self.nginx.log

    def ping(self, timeout: float = 5.0) -> int:
        return requests.get(self.url + "/v2/", timeout=timeout, verify=self.tls.ca).status_code

    def start(self, timeout: float = 30.0) -> "NginxFront":
        if not self.upstream.alive():
            self.upstream.start(timeout)
        if not self.nginx_alive():
            self.nginx.start()
        code = self.ping()
        if code != 200:
            raise ServerStartError(f"{self.label}: GET /v2/ through nginx answered {code}")
        return self

    def nginx_alive(self) -> bool:
        return self.nginx.proc is not None and self.nginx.proc.poll() is None

    def alive(self) -> bool:
        return self.upstream.alive() and self.nginx_alive()

    def ensure_running(self) -> bool:
        if self.alive():
            return False
        self.restarts += 1
        self.start()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self.nginx.stop()
        self.upstream.stop(timeout=timeout)

    def kill(self) -> None:
        self.nginx.stop()
        self.upstream.kill()


def make_htpasswd(path: Path, user: str = BENCH_USER, password: str = BENCH_PASSWORD) -> None:
    """bcrypt htpasswd file, as distribution's htpasswd auth requires (htpasswd -B, cost 5)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["htpasswd", "-Bbc", str(path), user, password], check=True, capture_output=True)


# --------------------------------------------------------------------------- nginx

NGINX_BIN = "/usr/sbin/nginx"

SMALL_BODY = (
    b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
    b'"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'
    + b"0" * 64
    + b'","size":1469},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",'
    b'"digest":"sha256:' + b"1" * 64 + b'","size":3623807}],"annotations":{"org.example":"pier-bench small file"}}\n'
)


class Nginx:
    """nginx with its own prefix and config: static files and a WebDAV PUT location.

    GET /v2/ (200 "{}", so the client's initial ping passes), GET /small (~500 B), GET /big (`big_size` bytes), PUT /upload/<anything> (written
    to disk, then renamed; nginx does not fsync).
    """

    def __init__(self, workdir: Path, big_size: int, port: int | None = None, tls: TLSFiles | None = None):
        self.prefix = Path(workdir)
        self.big_size = big_size
        self.port = port or free_port()
        self.tls = tls
        self.tls_port = free_port() if tls else None
        self.proc: subprocess.Popen | None = None
        self.www = self.prefix / "www"
        self.conf = self.prefix / "nginx.conf"
        self.error_log = self.prefix / "error.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        """The same files over TLS (HTTP/1.1 and HTTP/2 by ALPN), when made with `tls`."""
        return f"https://127.0.0.1:{self.tls_port}"

    @staticmethod
    def has_dav() -> bool:
        p = subprocess.run([NGINX_BIN, "-V"], capture_output=True, text=True)
        return "--with-http_dav_module" in (p.stdout + p.stderr)

    @staticmethod
    def version() -> str:
        p = subprocess.run([NGINX_BIN, "-v"], capture_output=True, text=True)
        return (p.stdout + p.stderr).strip()

    def _write_files(self) -> None:
        for d in ("www/upload", "www/upload-tmp", "tmp/client_body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            (self.prefix / d).mkdir(parents=True, exist_ok=True)
        (self.www / "small").write_bytes(SMALL_BODY)
        big = self.www / "big"
        if not big.exists() or big.stat().st_size != self.big_size:
            block = os.urandom(1 << 20)
            with open(big, "wb") as f:
                left = self.big_size
                while left > 0:
                    n = min(left, len(block))
                    f.write(block[:n])
                    left -= n
        p = self.prefix
        user = "user root;\n" if os.geteuid() == 0 else ""
        tls_server = "" if not self.tls else f"""
    server {{
        listen 127.0.0.1:{self.tls_port} ssl http2;
        ssl_certificate {self.tls.cert};
        ssl_certificate_key {self.tls.key};
        ssl_protocols TLSv1.2 TLSv1.3;
        root {self.www};
        location = /v2/ {{ default_type application/json; return 200 "{{}}"; }}
        location = /small {{ }}
        location = /big {{ }}
    }}"""
        self.conf.write_text(
            f"""# written by bench/run.py
{user}worker_processes auto;
daemon off;
pid {p}/nginx.pid;
error_log {self.error_log} warn;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    access_log off;
    client_body_temp_path {p}/tmp/client_body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.www};
        # pier-bench checks GET /v2/ before every scenario, raw ones included
        location = /v2/ {{ default_type application/json; return 200 "{{}}"; }}
        location = /small {{ }}
        location = /big {{ }}
        location /upload/ {{
            dav_methods PUT;
            create_full_put_path on;
            client_max_body_size 0;
            client_body_temp_path {self.www}/upload-tmp;
        }}
    }}{tls_server}
}}
"""
        )

    def start(self, timeout: float = 15.0) -> "Nginx":
        if not self.has_dav():
            raise RuntimeError(f"{NGINX_BIN} was built without the dav module (nginx -V)")
        self._write_files()
        check = subprocess.run([NGINX_BIN, "-t", "-p", str(self.prefix), "-c", str(self.conf), "-e", str(self.error_log)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
        logf = open(self.prefix / "nginx.out", "ab")
        self.proc = subprocess.Popen(
            [NGINX_BIN, "-p", str(self.prefix), "-c", str(self.conf), "-e", str(self.error_log)],
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}:\n{self.error_log.read_text(errors='replace')[-4000:]}")
            try:
                if requests.get(self.url + "/small", timeout=2).status_code == 200:
                    self._check_put()
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx not answering on {self.url}")

    def _check_put(self) -> None:
        r = requests.put(self.url + "/upload/check", data=b"x" * 1000, timeout=5)
        if r.status_code not in (201, 204):
            raise RuntimeError(f"nginx PUT /upload/check answered {r.status_code}")
        self.clear_uploads()

    def clear_uploads(self) -> None:
        up = self.www / "upload"
        if up.exists():
            shutil.rmtree(up)
        up.mkdir(parents=True, exist_ok=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # fast shutdown: the master waits for its workers
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # still not reaped, so its process group (start_new_session) is ours: kill it whole
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.proc.wait(5)
        else:
            # the master died: kill workers it may have left in its process group
            # (a pid stays reserved while it names a live process group, so this is ours)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc = None
