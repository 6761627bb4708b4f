"""Run Debian's nginx as a process of the test (no system service): a config file,
pid, logs and temporary directories all under one work directory."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

_LIVE: set["Nginx"] = set()


@atexit.register
def _stop_all() -> None:
    for n in list(_LIVE):
        n.stop()


def nginx_bin() -> str | None:
    return shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx") or None


class NginxStartError(RuntimeError):
    pass


class Nginx:
    """`http_body` is the text inside `http { … }` (server blocks, maps, upstreams);
    `ports` are the loopback ports it listens on, probed for readiness; `workers` is
    `worker_processes` (one for tests, "auto" where nginx is measured)."""

    def __init__(self, workdir: Path | str, http_body: str, ports: list[int], workers: str = "1"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ports = ports
        self.conf_path = self.workdir / "nginx.conf"
        self.error_log = self.workdir / "error.log"
        self.access_log = self.workdir / "access.log"
        temp = self.workdir / "temp"
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (temp / d).mkdir(parents=True, exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers write the temp dirs above
        self.conf_path.write_text(
            f"""{user}worker_processes {workers};
pid {self.workdir}/nginx.pid;
error_log {self.error_log} info;
events {{ worker_connections 256; }}
http {{
    access_log {self.access_log};
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{http_body}
}}
"""
        )
        self.proc: subprocess.Popen | None = None

    @property
    def log(self) -> str:
        out = []
        for p in (self.error_log, self.workdir / "stdout.log"):
            if p.exists():
                out.append(p.read_text(errors="replace"))
        return "\n".join(out)

    def start(self, timeout: float = 20) -> "Nginx":
        binary = nginx_bin()
        if binary is None:
            raise NginxStartError("nginx not installed")
        with open(self.workdir / "stdout.log", "ab") as out:
            self.proc = subprocess.Popen(
                [binary, "-p", str(self.workdir), "-e", str(self.error_log), "-c", str(self.conf_path),
                 "-g", "daemon off;"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        _LIVE.add(self)
        deadline = time.monotonic() + timeout
        pending = list(self.ports)
        while pending and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                _LIVE.discard(self)
                raise NginxStartError(f"nginx exited with {self.proc.returncode}\n{self.log[-4000:]}")
            try:
                socket.create_connection(("127.0.0.1", pending[0]), timeout=1).close()
                pending.pop(0)
            except OSError:
                time.sleep(0.05)
        if pending:
            self.stop()
            raise NginxStartError(f"nginx not listening on {pending}\n{self.log[-4000:]}")
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # SIGTERM: fast shutdown of the master and its workers (same process group).
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        _LIVE.discard(self)


def registry_proxy_conf(listen_port: int, upstream: str, cert: str, key: str, htpasswd: str | None,
                        realm: str = "Registry realm", http2: bool = False) -> str:
    """The usual "registry behind nginx" server block (as in distribution's nginx recipe):
    nginx terminates TLS, does auth_basic, and proxies /v2/ to the registry at `upstream`
    (host:port) with the headers the registry needs to build its URLs; `http2` offers
    HTTP/2 to clients as well (ALPN), as most such setups do."""
    auth = f'        auth_basic "{realm}";\n        auth_basic_user_file {htpasswd};\n' if htpasswd else ""
    return f"""
    upstream docker-registry {{ server {upstream}; }}
    map $upstream_http_docker_distribution_api_version $docker_distribution_api_version {{
        '' 'registry/2.0';
    }}
    server {{
        listen 127.0.0.1:{listen_port} ssl{" http2" if http2 else ""};
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        client_max_body_size 0;
        chunked_transfer_encoding on;
        location /v2/ {{
{auth}            add_header 'Docker-Distribution-Api-Version' $docker_distribution_api_version always;
            proxy_pass http://docker-registry;
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 900;
        }}
    }}
"""
