"""The pull-through mirror: upstreams by namespace prefix (and distribution's `proxy`),
cached content that outlives the upstream, one upstream fetch per object, eviction that
never breaks a shared layer. Upstreams are real: distribution 2.8.2 (plain and with
htpasswd) and a second Pier with its token server."""

import hashlib
import json
import re
import threading
import time

import pytest
import requests

from harness.client import Registry, assert_error
from harness.images import image, index, random_layer
from harness.tools import require_tool, run

pytestmark = pytest.mark.usefixtures("need_pier")


def skopeo(*args, timeout=300):
    require_tool("skopeo")
    return run(["skopeo", *args], timeout=timeout)


def mirror_config(upstream_url: str, **extra) -> dict:
    entry = {"prefix": "hub", "remoteurl": upstream_url, **extra}
    return {"mirrors": [entry], "storage": {"delete": {"enabled": True}}}


def upstream_gets(upstream, path_part: str) -> int:
    """GETs of `path_part` the upstream answered, counted in its access log."""
    log = upstream.log_path.read_text(errors="replace")
    return sum(
        1 for line in log.splitlines()
        if '"GET ' in line and path_part in line and "response completed" not in line
    )


@pytest.fixture
def upstream(make_server):
    return make_server("distribution")


def test_skopeo_pulls_through_a_prefix_while_other_namespaces_stay_local(make_server, upstream, tmp_path):
    up = Registry(upstream.url)
    img = image(layers=2, layer_size=64 * 1024)
    up.push("library/app", "v1", img)
    pier = make_server("pier", config=mirror_config(upstream.url))
    skopeo("copy", "--src-tls-verify=false", f"docker://{pier.host}/hub/library/app:v1", f"oci:{tmp_path}/out:v1")
    out = json.loads((tmp_path / "out" / "index.json").read_text())
    assert out["manifests"][0]["digest"] == img.digest
    # Served from the cache now: the upstream may go.
    upstream.stop()
    reg = Registry(pier.url)
    r = reg.get_manifest("hub/library/app", img.digest)
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == img.digest.split(":")[1]
    for blob in img.blobs:
        assert reg.get_blob("hub/library/app", blob.digest).content == blob.data
    # A local namespace beside it takes pushes; the mirrored one refuses them.
    reg.push("team/own", "v1", image())
    assert_error(reg.start_upload("hub/library/app"), 405, "UNSUPPORTED")
    assert_error(reg.put_manifest("hub/library/app", "v2", img), 405, "UNSUPPORTED")
    assert_error(reg.delete(f"/v2/hub/library/app/manifests/{img.digest}"), 405, "UNSUPPORTED")
