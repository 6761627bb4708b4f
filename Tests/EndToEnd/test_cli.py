"""The `pier` command itself: version, help, the embedded default, log formats, bad configs."""

import json
import os
import subprocess
import time

import pytest
import requests

from harness import images
from harness.server import free_port, pier_bin
from harness.tools import eventually

pytestmark = [pytest.mark.pier_only, pytest.mark.usefixtures("need_pier")]


def run(*args, **kw):
    return subprocess.run([pier_bin(), *args], capture_output=True, text=True, timeout=30, **kw)


def test_version_and_help_are_printed_everywhere():
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip()
    for args in (["--help"], ["serve", "--help"]):
        out = run(*args)
        assert out.returncode == 0, out.stderr
        assert "USAGE" in out.stdout.upper()
    assert "serve" in run("--help").stdout
    assert run("-v").stdout == version.stdout  # registry's short flag


def test_garbage_collect_takes_gos_flag_forms_as_registry_does(tmp_path):
    """`registry garbage-collect --delete-untagged=true -dry-run config.yml`, as scripts and
    cron jobs written for distribution call it."""
    config = tmp_path / "config.yml"
    (tmp_path / "data").mkdir()
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'data'}\n")
    for flags in (["--delete-untagged=true", "-dry-run"], ["-m", "--dry-run=true"], ["-d", "--delete-untagged=false"]):
        out = run("garbage-collect", *flags, str(config))
        assert out.returncode == 0, (flags, out.stderr)
        assert out.stdout.startswith("0 repositories") and "would remove" in out.stdout, (flags, out.stdout)
    assert run("garbage-collect", "--dry-run=maybe", str(config)).returncode != 0


def test_gc_and_index_rebuild_refuse_a_root_that_is_not_there_and_create_nothing(tmp_path):
    """Run against a mistyped path they reported success and made an empty store there."""
    config = tmp_path / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'mistyped'}\n")
    for args in (["gc", str(config)], ["index", "rebuild", str(config)]):
        out = run(*args)
        assert out.returncode == 1 and "does not exist" in out.stderr, (args, out.stderr)
    assert not (tmp_path / "mistyped").exists()


def wait_ready(url, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "exited"
        try:
            if requests.get(url + "/v2/", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError("pier did not become ready")


def test_embedded_default_stores_under_data_in_the_working_directory(tmp_path):
    port = free_port()
    env = dict(os.environ, REGISTRY_HTTP_ADDR=f"127.0.0.1:{port}")
    proc = subprocess.Popen([pier_bin(), "serve"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        blob = b"embedded default"
        digest = images.sha256(blob)
        r = requests.post(f"{url}/v2/e2e/default/blobs/uploads/?digest={digest}", data=blob)
        assert r.status_code == 201
        hexpart = digest.split(":")[1]
        data = tmp_path / "data/docker/registry/v2/blobs/sha256" / hexpart[:2] / hexpart / "data"
        assert data.read_bytes() == blob
        # Deletes are on in the embedded default.
        assert requests.delete(f"{url}/v2/e2e/default/blobs/{digest}").status_code == 202
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_json_log_format_writes_one_json_access_line_per_request(tmp_path):
    port = free_port()
    config = tmp_path / "config.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  formatter: json\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/data\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    proc = subprocess.Popen([pier_bin(), "serve", str(config)], stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        requests.get(f"http://127.0.0.1:{port}/v2/e2e/none/tags/list")
    finally:
        proc.terminate()
        code = proc.wait(timeout=30)
    output = proc.stderr.read()
    assert code == 0, output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("http.path") == "/v2/e2e/none/tags/list"]
    assert len(access) == 1, output
    assert access[0]["http.status"] == "404" and access[0]["level"] == "info"
    assert access[0]["http.request.remoteaddr"] == "127.0.0.1"


@pytest.mark.parametrize(
    "text, key",
    [
        ("http:\n  addr: not-an-address\n", "http.addr"),
        ("storage:\n  delete:\n    enabled: perhaps\n", "storage.delete.enabled"),
        ("log:\n  level: shouting\n", "log.level"),
        ("{ not yaml", None),
    ],
)
def test_bad_configuration_exits_1_naming_the_key(tmp_path, text, key):
    config = tmp_path / "config.yml"
    config.write_text(text)
    out = run("serve", str(config))
    assert out.returncode == 1
    assert (key or "YAML") in out.stderr


def test_missing_configuration_file_exits_1(tmp_path):
    out = run("serve", str(tmp_path / "absent.yml"))
    assert out.returncode == 1
    assert "absent.yml" in out.stderr


@pytest.mark.parametrize("listener", ["plain", "tls-htpasswd", "unix"])
def test_healthcheck_exits_0_while_the_configured_listener_answers_and_1_once_it_stops(make_server, tmp_path, test_ca, listener):
    """The image has no shell or wget for a compose healthcheck: `pier healthcheck CONFIG`
    asks the listener the configuration describes (its TLS, its socket), healthy on 200 or
    on 401 when credentials are required."""
    from harness.auth import write_htpasswd

    config = {}
    if listener == "tls-htpasswd":
        cert, key = test_ca.server_cert().write(tmp_path / "tls", "server")
        config = {"http": {"tls": {"certificate": cert, "key": key}},
                  "auth": {"htpasswd": {"realm": "r", "path": str(write_htpasswd(tmp_path / "htpasswd", {"u": "p"}))}}}
    elif listener == "unix":
        config = {"http": {"net": "unix", "addr": str(tmp_path / "pier.sock")}}
    srv = make_server("pier", config=config, scheme="https" if listener == "tls-htpasswd" else "http", start=False)
    if listener == "unix":
        srv.wait_ready = lambda timeout: None  # no TCP port to probe: the socket file shows it is up
    srv.start()
    if listener == "unix":
        # Ends early if the server dies instead.
        assert eventually(lambda: (tmp_path / "pier.sock").exists() or not srv.alive(), 30)
        assert (tmp_path / "pier.sock").exists(), srv.log[-2000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    healthy = run("healthcheck", str(srv.config_path), env=env)
    assert healthy.returncode == 0, healthy.stderr
    assert ("401" if listener == "tls-htpasswd" else "200") in healthy.stdout
    srv.stop()
    down = run("healthcheck", str(srv.config_path), env=env)
    assert down.returncode == 1 and "unhealthy" in down.stderr


@pytest.mark.parametrize("trusted", [False, True])
def test_the_access_log_names_the_client_through_trusted_proxies_only(make_server, trusted):
    """Who pulled what, and whom a fail2ban rule on 401s bans: the connection's address, or
    the one a trusted proxy forwarded; a forwarding header from anyone else changes nothing."""
    config = {"http": {"trustedproxies": ["127.0.0.1/32"]}} if trusted else {}
    srv = make_server("pier", config=config)
    requests.get(srv.url + "/v2/e2e/who/tags/list", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
    expected = "203.0.113.9" if trusted else "127.0.0.1"
    # Access lines are written every 50 ms.
    assert eventually(lambda: "/v2/e2e/who/tags/list" in srv.log, 15), srv.log[-2000:]
    line = next(line for line in srv.log.splitlines() if "/v2/e2e/who/tags/list" in line)
    assert f"client={expected}" in line, line


def test_a_user_command_that_cannot_do_its_work_says_why_without_usage_and_exits_1(tmp_path):
    """`pier user` printed the root command's usage after "no user bob" and exited 64, as if
    it had been typed wrong; a cost of 31 would have hashed for days."""
    file = tmp_path / "htpasswd"
    made = run("user", "add", "-f", str(file), "--password-stdin", "alice", input="alice-pw\n")
    assert made.returncode == 0, made.stderr
    out = run("user", "remove", "-f", str(file), "bob")
    assert out.returncode == 1 and "no user bob" in out.stderr and "USAGE" not in out.stderr.upper(), out.stderr
    out = run("user", "add", "-f", str(file), "--password-stdin", "--cost", "18", "carol", input="carol-pw\n")
    assert out.returncode != 0 and "--cost" in out.stderr, out.stderr
