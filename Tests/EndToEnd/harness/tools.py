"""Small helpers for driving command-line clients and checking the filesystem."""

from __future__ import annotations

import os
import time
import shutil
import subprocess

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(tool: str) -> None:
    """Skip (or fail under CI=true) when a command-line tool is missing."""
    if shutil.which(tool) is None:
        msg = f"{tool} not installed (scripts/test.sh installs it)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)


def run(cmd: list[str], timeout: float = 300, env: dict | None = None, cwd=None, input: str | None = None) -> str:
    """Run a command; fail the test with its output when it exits non-zero."""
    full_env = dict(os.environ, **(env or {}))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=cwd, input=input)
    if p.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {p.returncode}\nstdout:\n{p.stdout[-4000:]}\nstderr:\n{p.stderr[-4000:]}")
    return p.stdout


def tree(path) -> dict:
    """Snapshot of a directory tree: relative path -> size (None for dirs)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), path)] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, path)] = os.path.getsize(p)
    return out


def attempt(cmd: list[str], timeout: float = 300, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run a command that may fail; return the completed process."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env, input=input)


class Podman:
    """podman with private storage (vfs under `base`, a short runroot in /tmp, since
    podman refuses one longer than 50 characters) and a private auth file, so logins
    never touch the machine's own credentials."""

    def __init__(self, base):
        import tempfile

        self.base = base
        os.makedirs(base, exist_ok=True)
        self.runroot = tempfile.mkdtemp(prefix="e2e-run-", dir="/tmp")
        self.authfile = os.path.join(str(base), "auth.json")
        # podman refuses a REGISTRY_AUTH_FILE that does not exist; an empty one means
        # "no credentials" (anonymous pulls).
        if not os.path.exists(self.authfile):
            with open(self.authfile, "w") as f:
                f.write("{}")

    def flags(self) -> list[str]:
        return ["--root", f"{self.base}/root", "--runroot", self.runroot, "--storage-driver", "vfs"]

    def cmd(self, *args: str) -> list[str]:
        return ["podman", *self.flags(), *args]

    def __call__(self, *args: str, input: str | None = None, timeout: float = 300) -> str:
        require_tool("podman")
        return run(self.cmd(*args), input=input, timeout=timeout, env={"REGISTRY_AUTH_FILE": self.authfile}).strip()

    def attempt(self, *args: str, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        require_tool("podman")
        return attempt(self.cmd(*args), input=input, timeout=timeout, env={"REGISTRY_AUTH_FILE": self.authfile})

    def cleanup(self) -> None:
        shutil.rmtree(self.runroot, ignore_errors=True)


class CurlResult:
    def __init__(self, proc: subprocess.CompletedProcess, head: str, body: bytes):
        self.returncode = proc.returncode
        self.stderr = proc.stderr
        written = proc.stdout.split()
        self.status = int(written[0]) if written and written[0].isdigit() else 0
        self.http_version = written[1] if len(written) > 1 else ""
        self.body = body
        # The last response head (curl writes one per response, e.g. after 100 Continue).
        blocks = [b for b in head.replace("\r\n", "\n").split("\n\n") if b.strip()]
        self.headers: dict[str, str] = {}
        if blocks:
            for line in blocks[-1].splitlines()[1:]:
                k, _, v = line.partition(":")
                self.headers[k.strip().lower()] = v.strip()

    def json(self):
        import json

        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<curl exit={self.returncode} status={self.status} http/{self.http_version} {self.stderr.strip()[:200]}>"


def curl(*args: str, timeout: float = 60) -> CurlResult:
    """Run curl with ARGS (URL included); returns exit code, status, headers of the last
    response, body and the negotiated HTTP version. Never follows redirects."""
    import tempfile

    require_tool("curl")
    with tempfile.TemporaryDirectory(prefix="e2e-curl-") as d:
        head, body = os.path.join(d, "head"), os.path.join(d, "body")
        proc = subprocess.run(
            ["curl", "-sS", "--max-time", str(int(timeout)), "-D", head, "-o", body,
             "-w", "%{http_code} %{http_version}", *args],
            capture_output=True, text=True, timeout=timeout + 10,
        )
        head_text = open(head, errors="replace").read() if os.path.exists(head) else ""
        body_bytes = open(body, "rb").read() if os.path.exists(body) else b""
    return CurlResult(proc, head_text, body_bytes)


def eventually(check, timeout: float = 10.0, interval: float = 0.05):
    """`check()` until it returns something true, for at most `timeout` seconds, `interval`
    apart; its last result either way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    return check()
