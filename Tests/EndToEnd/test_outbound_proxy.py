"""Outbound requests through the environment's proxy (`HTTP_PROXY`, `HTTPS_PROXY`,
`NO_PROXY`), read as Go programs such as distribution read them, so a mirror behind a
corporate egress proxy keeps working after the swap. The proxy is Debian's tinyproxy; its
log says which connections went through it."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from harness import Registry
from harness.images import image
from harness.server import free_port
from harness.tools import in_ci, require_tool

pytestmark = pytest.mark.pier_only


@pytest.fixture
def tinyproxy(tmp_path):
    require_tool("tinyproxy")
    port = free_port()
    log = tmp_path / "tinyproxy.log"
    conf = tmp_path / "tinyproxy.conf"
    # No ConnectPort line: CONNECT to any port (the upstreams here are on high ports).
    conf.write_text(
        f'Port {port}\nListen 127.0.0.1\nTimeout 600\nLogFile "{log}"\nLogLevel Connect\n'
        "MaxClients 50\nAllow 127.0.0.1\nDisableViaHeader Yes\n"
    )
    proc = subprocess.Popen(["tinyproxy", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", log
    proc.terminate()
    proc.wait(10)


def local_name() -> str:
    """A name of this machine that is not `localhost` (which no proxy ever gets), for an
    upstream the proxy can reach."""
    name = socket.gethostname()
    try:
        socket.getaddrinfo(name, None)
    except OSError:
        pytest.fail(f"{name} does not resolve") if in_ci() else pytest.skip(f"{name} does not resolve")
    return name


def proxied(log, target: str) -> bool:
    return f"CONNECT {target} " in log.read_text(errors="replace")


def test_a_mirror_reaches_its_upstream_through_the_proxy_unless_no_proxy_names_it(make_server, tinyproxy):
    proxy, log = tinyproxy
    name = local_name()
    port = free_port()
    # Listening on every address, so the machine's name reaches it whatever it resolves to.
    upstream = make_server("distribution", port=port, config={"http": {"addr": f"0.0.0.0:{port}"}})
    first, second = image(layers=1, layer_size=4096), image(layers=1, layer_size=4096)
    Registry(upstream.url).push("library/app", "v1", first)
    Registry(upstream.url).push("library/app", "v2", second)
    config = {"mirrors": [
        {"prefix": "hub", "remoteurl": f"http://{name}:{port}"},
        {"prefix": "loop", "remoteurl": f"http://127.0.0.1:{port}"},
    ]}
    pier = make_server("pier", config=config, env={"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "NO_PROXY": ""})
    reg = Registry(pier.url)
    r = reg.get_manifest("hub/library/app", "v1")
    assert r.status_code == 200 and r.content == first.data, r.text
    assert reg.get_blob("hub/library/app", first.blobs[0].digest).content == first.blobs[0].data
    assert proxied(log, f"{name}:{port}"), log.read_text()
    assert "outbound requests go through a proxy" in pier.log
    # A loopback address never goes through a proxy.
    assert reg.get_manifest("loop/library/app", "v1").status_code == 200
    assert not proxied(log, f"127.0.0.1:{port}")

    # Named in NO_PROXY, the upstream is reached directly.
    log.write_text("")
    pier.stop()
    pier.extra_env["NO_PROXY"] = f"localhost,{name}"
    pier.start()
    r = reg.get_manifest("hub/library/app", "v2")
    assert r.status_code == 200 and r.content == second.data, r.text
    assert not proxied(log, f"{name}:{port}"), log.read_text()


def test_a_proxy_pier_cannot_speak_is_named_at_start_and_requests_go_direct(make_server):
    pier = make_server("pier", env={"HTTPS_PROXY": "https://proxy.invalid:3128", "HTTP_PROXY": "ftp://proxy.invalid"})
    assert "proxy setting not followed" in pier.log
    assert "HTTPS_PROXY" in pier.log and "HTTP_PROXY" in pier.log
