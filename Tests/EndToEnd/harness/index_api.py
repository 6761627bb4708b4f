"""What the index's tests share: a call of the `/api/v1/` API, a wait for the index (it is
fed just after the registry answers), and a push that reports where it was refused."""

from __future__ import annotations

import time

import requests

from .client import Registry


def api(srv, path: str, auth=None, method: str = "GET", **kw) -> requests.Response:
    """`method path` on `srv`, with Basic `auth` when given."""
    return requests.request(method, srv.url + path, auth=auth, timeout=30, **kw)


def eventually(check, timeout: float = 10.0):
    """`check()` until it returns something true, for at most `timeout` seconds; its last
    result either way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    return check()


def try_push(reg: Registry, repo: str, tag: str, image) -> int:
    """The status a push ends with: the upload's start when refused, else the manifest's."""
    start = reg.start_upload(repo)
    if start.status_code != 202:
        return start.status_code
    return reg.push(repo, tag, image).status_code
