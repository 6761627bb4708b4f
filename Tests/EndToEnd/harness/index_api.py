"""What the index's tests share: a call of the `/api/v1/` API, a wait for the index (it is
fed just after the registry answers), and a push that reports where it was refused."""

from __future__ import annotations

import time

import requests

from .client import Registry
from .tools import eventually  # noqa: F401 - where the index tests import it from


def api(srv, path: str, auth=None, method: str = "GET", **kw) -> requests.Response:
    """`method path` on `srv`, with Basic `auth` when given."""
    return requests.request(method, srv.url + path, auth=auth, timeout=30, **kw)


def try_push(reg: Registry, repo: str, tag: str, image) -> int:
    """The status a push ends with: the upload's start when refused, else the manifest's."""
    start = reg.start_upload(repo)
    if start.status_code != 202:
        return start.status_code
    return reg.push(repo, tag, image).status_code
