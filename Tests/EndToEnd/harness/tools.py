"""Small helpers for driving command-line clients and checking the filesystem."""

from __future__ import annotations

import os
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


def run(cmd: list[str], timeout: float = 300, env: dict | None = None, cwd=None) -> str:
    """Run a command; fail the test with its output when it exits non-zero."""
    full_env = dict(os.environ, **(env or {}))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=cwd)
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
