"""Drop-in configuration: distribution's config.yml and REGISTRY_* variables, and the
operations settings (read-only, upload purging, headers, URLs, debug health)."""

import hashlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from harness import Registry, images
from harness.client import error_codes
from harness.auth import write_htpasswd
from harness.server import free_port, pier_bin
from harness.tools import eventually

pytestmark = [pytest.mark.pier_only, pytest.mark.usefixtures("need_pier")]


def start_with_env(tmp_path, env_block, config_text=None, ready_path="/v2/"):
    """Starts `pier serve` with a compose file's `environment:` block, only the listening
    address moved to a free loopback port and storage under tmp_path."""
    port = free_port()
    env = dict(os.environ)
    env.update({k: v for k, v in env_block.items()})
    env["REGISTRY_HTTP_ADDR"] = f"127.0.0.1:{port}"
    env.setdefault("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", str(tmp_path / "data"))
    args = [pier_bin(), "serve"]
    if config_text is not None:
        (tmp_path / "config.yml").write_text(config_text)
        args.append(str(tmp_path / "config.yml"))
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            return proc, None
        try:
            if requests.get(url + ready_path, timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("pier did not start")


def stop(proc):
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    return proc.stderr.read()


# The filesystem variants of the compose `environment:` blocks in the seed articles.
SEED_ENVIRONMENTS = {
    "plain": {"REGISTRY_HTTP_ADDR": "0.0.0.0:80", "REGISTRY_LOG_LEVEL": "warn", "REGISTRY_LOG_ACCESSLOG_DISABLED": "true"},
    "rootdirectory": {"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": "/data"},
}


@pytest.mark.parametrize("name", sorted(SEED_ENVIRONMENTS))
def test_seed_compose_environments_start_pier_unchanged(tmp_path, name):
    block = dict(SEED_ENVIRONMENTS[name])
    block.pop("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", None)  # moved under tmp_path
    proc, url = start_with_env(tmp_path, block)
    assert url, proc.stderr.read()
    reg = Registry(url)
    img = images.image(1)
    reg.push("seed/app", "v1", img)
    assert reg.get_manifest("seed/app", "v1").content == img.data
    log = stop(proc)
    if block.get("REGISTRY_LOG_ACCESSLOG_DISABLED") == "true":
        assert "/v2/seed/app" not in log


def test_a_bare_port_serves_ipv4_and_ipv6_clients(tmp_path):
    # distribution's `:5000` (Go listens on both families); clients on IPv6-only clusters
    # reach it as well as IPv4 ones.
    if open("/proc/sys/net/ipv6/bindv6only").read().strip() != "0":
        pytest.skip("net.ipv6.bindv6only is set: a bare port binds IPv4 only")
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        probe.bind(("::1", 0))
        probe.close()
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")} | {
        "REGISTRY_HTTP_ADDR": f":{port}", "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": str(tmp_path / "data"),
    }
    proc = subprocess.Popen([pier_bin(), "serve"], env=environment, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        img = images.image(1)
        for url in (f"http://127.0.0.1:{port}", f"http://[::1]:{port}"):
            deadline = time.time() + 30
            while True:
                try:
                    if requests.get(url + "/v2/", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    assert time.time() < deadline and proc.poll() is None, f"{url} never answered"
                    time.sleep(0.1)
            Registry(url).push("dual/stack", "v1", img)
            assert Registry(url).get_manifest("dual/stack", "v1").content == img.data
    finally:
        stop(proc)


def test_a_redis_section_starts_and_is_named_as_unused(tmp_path):
    # In distribution 2.8 redis only backs a blob-descriptor cache; Pier's caches live in
    # each instance, so a replicated setup's config starts unchanged and says so.
    proc, url = start_with_env(tmp_path, {"REGISTRY_REDIS_ADDR": "localhost:6379"})
    assert url, proc.stderr.read()
    img = images.image(1)
    Registry(url).push("seed/redis", "v1", img)
    log = stop(proc)
    assert "not supported, ignored" in log and "redis" in log


@pytest.mark.parametrize("driver, env", [
    ("azure", {"REGISTRY_STORAGE_AZURE_ACCOUNTNAME": "a", "REGISTRY_STORAGE_AZURE_CONTAINER": "c"}),
    ("gcs", {"REGISTRY_STORAGE": "gcs"}),
    ("inmemory", {"REGISTRY_STORAGE": "inmemory"}),
])
def test_a_storage_driver_pier_lacks_stops_the_start_by_name(tmp_path, driver, env):
    # Running on ./data instead would accept pushes nobody finds in the configured store.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")} | env
    for command in (["config", "check"], ["serve"]):
        out = subprocess.run([pier_bin(), *command], capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=30)
        assert out.returncode == 1, out.stderr
        assert f"storage.{driver}" in out.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("text, key", [
    ("storage:\n  filesystem:\n    rootdirectory: {root}\n  maintenance:\n    readonly: true\n", "storage.maintenance.readonly"),
    ("storage:\n  filesytem:\n    rootdirectory: {root}\n", "storage.filesytem"),
    ("storage:\n  filesystem:\n    rootdirectory: {root}\nauht:\n  htpasswd: {{realm: r, path: {root}/htpasswd}}\n"
     "access:\n  rules: [{{repository: \"public/**\", anonymous: true, actions: [pull]}}]\n", "access"),
    ("storage:\n  filesystem:\n    rootdirectory: {root}\n  maintenance:\n    uploadpurging: {{enabled: true, age: 168, interval: 24}}\n",
     "storage.maintenance.uploadpurging.age"),
    ("storage:\n  filesystem:\n    rootdirectory: {root}\nauth:\n  token: {{realm: http://t/token, service: s, issuer: i, rootcertbundle: {bundle}}}\n",
     "auth.token.rootcertbundle"),
], ids=["readonly-as-a-value", "misspelt-driver", "access-without-auth", "bare-duration", "bundle-without-a-certificate"])
def test_a_configuration_distribution_refuses_stops_the_start_by_its_key(tmp_path, text, key):
    # Each was read another way without a word: a registry meant read-only took pushes,
    # ./data took a misspelt driver's, rules without auth held nothing, uploads were purged
    # every 168 ns, and a registry trusting no signer refused every token.
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n")
    config = tmp_path / "config.yml"
    config.write_text("version: 0.1\nhttp:\n  addr: 127.0.0.1:{port}\n".format(port=free_port())
                      + text.format(root=tmp_path / "root", bundle=bundle))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    for command in (["config", "check"], ["serve"]):
        out = subprocess.run([pier_bin(), *command, str(config)], capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=30)
        assert out.returncode == 1, (command, out.stdout, out.stderr)
        assert key in out.stderr, (command, out.stderr)
    assert not (tmp_path / "data").exists()


def test_a_bundle_naming_the_token_servers_own_certificate_passes_the_check_before_the_first_start(tmp_path):
    # `serve` makes token.crt beside the key before it reads the bundle, and trusts its own
    # key whatever the bundle holds: the check must not refuse what the start accepts.
    write_htpasswd(tmp_path / "htpasswd", {"alice": "alice-pw"})
    config = tmp_path / "config.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/root\nhttp:\n  addr: 127.0.0.1:{free_port()}\n"
        f"auth:\n  token: {{realm: http://127.0.0.1/token, service: s, issuer: i, rootcertbundle: {tmp_path}/token.crt}}\n"
        f"tokenserver: {{htpasswd: {tmp_path}/htpasswd, key: {tmp_path}/token.key}}\n"
    )
    out = subprocess.run([pier_bin(), "config", "check", str(config)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "token.crt").exists(), "the check creates nothing"


def test_the_seeds_mirror_environment_starts_a_pull_through_cache(tmp_path):
    """The Docker Hub mirror the seeds run (`REGISTRY_PROXY_REMOTEURL`) starts as one:
    every repository is mirrored and refuses pushes (test_mirror.py pulls through it)."""
    proc, url = start_with_env(tmp_path, {"REGISTRY_PROXY_REMOTEURL": "https://registry-1.docker.io"})
    assert url, proc.stderr.read()
    r = Registry(url).start_upload("library/busybox")
    assert r.status_code == 405 and r.json()["errors"][0]["code"] == "UNSUPPORTED"
    stop(proc)


DEBIAN_SAMPLE = """\
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: {root}
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
"""


def test_distribution_sample_config_is_accepted_and_its_headers_sent(tmp_path):
    proc, url = start_with_env(tmp_path, {}, DEBIAN_SAMPLE.format(root=tmp_path / "data"))
    assert url, proc.stderr.read()
    r = requests.get(url + "/v2/")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    log = stop(proc)
    assert "service=registry" in log
    assert "unknown configuration key" not in log


def test_unknown_keys_are_warned_about_by_path(tmp_path):
    proc, url = start_with_env(tmp_path, {}, "version: 0.1\nhttp:\n  adress: :1\nstorage:\n  filesystem:\n    rootdirectroy: /x\n")
    assert url
    log = stop(proc)
    assert "http.adress" in log and "storage.filesystem.rootdirectroy" in log


def test_config_check_prints_the_effective_configuration_with_secrets_masked(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("version: 0.1\nhttp:\n  addr: :5000\n  secret: hunter2\nlog:\n  levle: info\n")
    env = dict(os.environ, REGISTRY_STORAGE_DELETE_ENABLED="true")
    out = subprocess.run([pier_bin(), "config", "check", str(config)], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "hunter2" not in out.stdout and "********" in out.stdout
    assert "enabled: true" in out.stdout
    assert "log.levle" in out.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 0.1\ncatalog:\n  maxentries: -5\n")
    out = subprocess.run([pier_bin(), "config", "check", str(bad)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "catalog.maxentries" in out.stderr


def test_read_only_mode_refuses_writes_and_serves_reads(make_server):
    srv = make_server("pier")
    reg = Registry(srv.url)
    img = images.image(1)
    reg.push("ro/app", "v1", img)
    srv.stop()
    srv.config["storage"]["maintenance"] = {"readonly": {"enabled": True}}
    srv.start()
    assert reg.get_manifest("ro/app", "v1").content == img.data
    r = requests.post(f"{srv.url}/v2/ro/app/blobs/uploads/")
    assert r.status_code == 405 and error_codes(r) == ["UNSUPPORTED"]
    assert "read-only" in r.text
    assert r.headers["Allow"] == "OPTIONS"
    r = requests.delete(f"{srv.url}/v2/ro/app/manifests/{img.digest}")
    assert r.status_code == 405
    # RFC 9110 asks for Allow on every 405: a refused write names the methods that read.
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_upload_purging_removes_sessions_older_than_the_age(make_server):
    srv = make_server(
        "pier",
        # An age a slow first GET cannot reach: the session must be seen before it is purged.
        config={"storage": {"maintenance": {"uploadpurging": {"enabled": True, "age": "3s", "interval": "1s", "dryrun": False}}}},
    )
    location = requests.post(f"{srv.url}/v2/purge/app/blobs/uploads/").headers["Location"]
    assert requests.get(location).status_code == 204
    deadline = time.time() + 15
    while time.time() < deadline and requests.get(location).status_code == 204:
        time.sleep(0.3)
    r = requests.get(location)
    assert r.status_code == 404 and error_codes(r) == ["BLOB_UPLOAD_UNKNOWN"]


def test_upload_purging_dry_run_only_reports(make_server):
    srv = make_server(
        "pier",
        config={"storage": {"maintenance": {"uploadpurging": {"enabled": True, "age": "1s", "interval": "1s", "dryrun": True}}}},
    )
    location = requests.post(f"{srv.url}/v2/purge/dry/blobs/uploads/").headers["Location"]
    # A pass each second finds it older than a second: reported, not removed.
    assert eventually(lambda: "dry run" in srv.log, timeout=15)
    assert requests.get(location).status_code == 204


def test_prefix_host_and_relative_urls_shape_locations(tmp_path, make_server):
    config = "version: 0.1\nhttp:\n  prefix: /registry/\n  host: https://registry.example.com\n"
    proc, url = start_with_env(tmp_path, {}, config, ready_path="/registry/v2/")
    assert url, proc.stderr.read()
    try:
        assert requests.get(f"{url}/v2/").status_code == 404
        r = requests.post(f"{url}/registry/v2/shape/app/blobs/uploads/")
        assert r.status_code == 202
        assert r.headers["Location"].startswith("https://registry.example.com/registry/v2/shape/app/blobs/uploads/")
    finally:
        stop(proc)
    rel = make_server("pier", config={"http": {"relativeurls": True}})
    r = requests.post(f"{rel.url}/v2/shape/app/blobs/uploads/", headers={"Host": "elsewhere.example"})
    assert r.headers["Location"].startswith("/v2/shape/app/blobs/uploads/")


def debug_server(make_server, tmp_path, **debug):
    """Pier with filesystem storage under tmp_path and a debug server; returns (server,
    storage root, the debug server's base URL)."""
    port = free_port()
    root = tmp_path / "debug-root"
    srv = make_server("pier", root=root, config={
        "storage": {"filesystem": {"rootdirectory": str(root)}},
        "http": {"debug": {"addr": f"127.0.0.1:{port}", **debug}},
    })
    return srv, root, f"http://127.0.0.1:{port}"


def test_debug_health_stays_ok_without_health_checks_while_the_storage_check_reports_a_broken_store(make_server, tmp_path):
    """/debug/health answers what the `health` section configures and nothing else, as
    distribution's: without one, 200 `{}` whatever the store does, so a readiness probe there
    does not take every replica out (and stop pulls) when a disk fills or a volume breaks.
    /debug/health/storage writes to the store and answers 503 with the spec's error body,
    the system's error in words, while it cannot (here a symlink loop where content goes)."""
    srv, root, base = debug_server(make_server, tmp_path)
    r = requests.get(base + "/debug/health/storage", timeout=10)
    assert r.status_code == 200 and r.json() == {}, r.text
    content = root / "docker"
    moved = tmp_path / "docker-moved"
    if content.exists():
        os.rename(content, moved)
    os.symlink("docker", content)  # itself: ELOOP for every path below it
    try:
        r = requests.get(base + "/debug/health", timeout=10)
        assert r.status_code == 200 and r.json() == {}, r.text
        r = requests.get(base + "/debug/health/storage", timeout=10)
        assert r.status_code == 503 and error_codes(r) == ["UNAVAILABLE"], r.text
        assert "errno 40 (Too many levels of symbolic links)" in r.text, r.text
        assert requests.head(base + "/debug/health/storage", timeout=10).status_code == 503
        assert requests.head(base + "/debug/health", timeout=10).status_code == 200
    finally:
        content.unlink()
        if moved.exists():
            os.rename(moved, content)
    r = requests.get(base + "/debug/health/storage", timeout=10)
    assert r.status_code == 200 and r.json() == {}, r.text
    assert "storage write check failed" in srv.log


def test_the_storage_check_reports_a_root_it_cannot_write(make_server, tmp_path):
    srv, root, base = debug_server(make_server, tmp_path)
    os.chmod(root, 0)
    try:
        if os.geteuid() == 0:
            # root ignores permissions; swap the directory for a file instead.
            os.chmod(root, 0o755)
            os.rename(root, tmp_path / "moved")
            root.write_text("not a directory")
        r = requests.get(base + "/debug/health/storage", timeout=10)
        assert r.status_code == 503 and error_codes(r) == ["UNAVAILABLE"], r.text
        assert requests.get(base + "/debug/health", timeout=10).status_code == 200
    finally:
        if root.is_file():
            root.unlink()
            os.rename(tmp_path / "moved", root)
        os.chmod(root, 0o755)
    assert requests.get(base + "/debug/health/storage", timeout=10).status_code == 200


def test_the_debug_server_answers_get_and_head_only_and_405_with_allow_to_the_rest(make_server, tmp_path):
    """DELETE /debug/health and POST /metrics answered 200 as if they had done something."""
    _, _, base = debug_server(make_server, tmp_path, prometheus={"enabled": True})
    for method, path in [
        ("DELETE", "/debug/health"), ("POST", "/debug/health"), ("PUT", "/debug/health/storage"),
        ("DELETE", "/debug/health/storage"), ("POST", "/metrics"), ("OPTIONS", "/metrics"),
    ]:
        r = requests.request(method, base + path, timeout=10)
        assert r.status_code == 405, (method, path, r.status_code, r.text)
        assert r.headers.get("Allow") == "GET, HEAD", (method, path, r.headers)
        assert error_codes(r) == ["UNSUPPORTED"], (method, path, r.text)
    for path in ("/debug/health", "/debug/health/storage", "/metrics"):
        assert requests.get(base + path, timeout=10).status_code == 200, path
        assert requests.head(base + path, timeout=10).status_code == 200, path
    # A path the debug server does not have stays 404, whatever the method.
    assert requests.post(base + "/debug/nothing", timeout=10).status_code == 404


def test_metrics_without_a_debug_address_start_with_a_warning_as_distribution_runs(make_server):
    """distribution ignores `prometheus` when no debug server is set and runs; Pier refused
    to start (and `config check` failed). It now runs without metrics and says why."""
    srv = make_server("pier", config={"http": {"debug": {"prometheus": {"enabled": True}}}})
    assert srv.answers()
    assert "http.debug.prometheus.enabled" in srv.log and "http.debug.addr" in srv.log, srv.log[-2000:]
    out = subprocess.run([pier_bin(), "config", "check", str(srv.config_path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "warning: http.debug.prometheus.enabled" in out.stderr, out.stderr


@pytest.mark.parametrize("path", ["/debug/health", "/debug/health/storage"])
def test_a_metrics_path_on_a_health_endpoint_is_refused_naming_the_setting(tmp_path, path):
    """distribution panics at start on /debug/health; Pier served metrics there in place of
    the health answer."""
    config = tmp_path / "config.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/data\n"
        f"http:\n  debug:\n    addr: 127.0.0.1:{free_port()}\n    prometheus:\n      enabled: true\n      path: {path}\n"
    )
    for command in (["config", "check"], ["serve"]):
        out = subprocess.run([pier_bin(), *command, str(config)], capture_output=True, text=True, timeout=30)
        assert out.returncode == 1, (command, out.stderr)
        assert "http.debug.prometheus.path" in out.stderr, (command, out.stderr)


def status_of(url):
    """The status `url` answers, or None when the request fails (a loaded machine may time
    one out): for eventually(), which retries on a falsy answer but not on an exception."""
    try:
        return requests.get(url, timeout=5).status_code
    except requests.RequestException:
        return None


def test_a_maintenance_file_drains_the_registry_as_distributions_health_check_does(make_server, server_kind, tmp_path):
    """`health.file`: while the file exists every request on the registry's port answers
    503 UNAVAILABLE, so a load balancer takes the instance out; removing the file brings it
    back. Side by side with distribution 2.8.2."""
    from harness.tools import eventually

    maintenance = tmp_path / "maintenance"
    port = free_port()
    srv = make_server(server_kind, config={
        "health": {"file": [{"file": str(maintenance), "interval": "1s"}]},
        "http": {"debug": {"addr": f"127.0.0.1:{port}"}},
    })
    reg = Registry(srv.url)
    img = images.image(1)
    assert reg.push("drain/app", "v1", img).status_code == 201
    maintenance.write_text("draining for an upgrade")
    assert eventually(lambda: status_of(srv.url + "/v2/") == 503, 15)
    r = reg.get_manifest("drain/app", "v1")
    assert r.status_code == 503 and "UNAVAILABLE" in error_codes(r), r.text
    assert requests.get(f"http://127.0.0.1:{port}/debug/health", timeout=5).status_code == 503
    maintenance.unlink()
    assert eventually(lambda: status_of(srv.url + "/v2/") == 200, 15)
    assert reg.get_manifest("drain/app", "v1").content == img.data
    assert requests.get(f"http://127.0.0.1:{port}/debug/health", timeout=5).status_code == 200


def test_http_and_tcp_health_checks_take_the_registry_out_after_their_threshold(make_server, server_kind, tmp_path):
    """`health.http` (a HEAD, with the configured headers) and `health.tcp`: a dependency
    that answers the wrong status, or no longer listens, for `threshold` checks in a row
    takes the registry out; /debug/health names the failing check as distribution's does
    (`{"<name>": "<reason>"}`). Side by side with distribution 2.8.2."""
    import http.server
    import threading

    from harness.tools import eventually

    status = {"code": 200}

    class Dependency(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(status["code"] if self.headers.get("X-Probe") == "pier" else 400)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    dependency = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Dependency)
    threading.Thread(target=dependency.serve_forever, daemon=True).start()
    # A port free_port() hands out once, so no server the tests start takes it after the close.
    # The listener never accepts: its backlog holds the probes of this short test.
    listener = socket.socket()
    listener.bind(("127.0.0.1", free_port()))
    listener.listen(512)
    tcp = f"127.0.0.1:{listener.getsockname()[1]}"
    uri = f"http://127.0.0.1:{dependency.server_address[1]}/health"
    port = free_port()
    try:
        srv = make_server(server_kind, config={
            "health": {
                "http": [{"uri": uri, "headers": {"X-Probe": ["pier"]}, "interval": "1s", "threshold": 2}],
                "tcp": [{"addr": tcp, "interval": "1s", "timeout": "1s"}],
            },
            "http": {"debug": {"addr": f"127.0.0.1:{port}"}},
        })
        debug = f"http://127.0.0.1:{port}/debug/health"
        assert eventually(lambda: status_of(srv.url + "/v2/") == 200, 15)
        status["code"] = 500
        assert eventually(lambda: status_of(srv.url + "/v2/") == 503, 15)
        r = requests.get(debug, timeout=5)
        assert r.status_code == 503 and uri in r.json(), r.text
        status["code"] = 200
        assert eventually(lambda: status_of(srv.url + "/v2/") == 200, 15)
        listener.close()
        assert eventually(lambda: status_of(srv.url + "/v2/") == 503, 15)
        r = requests.get(debug, timeout=5)
        assert r.status_code == 503 and tcp in r.json(), r.text
        if server_kind == "pier":
            assert eventually(lambda: "health check failing" in srv.log, 15), srv.log[-2000:]
    finally:
        dependency.shutdown()
        listener.close()


def parse_prometheus(text):
    """Samples of the Prometheus text format: {(name, frozenset(labels)): value}."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, value = line.rsplit(" ", 1)
        labels = frozenset()
        if "{" in name_labels:
            name, rest = name_labels.split("{", 1)
            labels = frozenset(tuple(part.split("=", 1)) for part in rest.rstrip("}").split(",") if part)
        else:
            name = name_labels
        samples[(name, labels)] = float(value)
    return samples


def test_prometheus_metrics_count_requests_by_route_method_and_status(make_server):
    port = free_port()
    srv = make_server("pier", config={"http": {"debug": {"addr": f"127.0.0.1:{port}", "prometheus": {"enabled": True, "path": "/metrics"}}}})
    reg = Registry(srv.url)
    reg.push("metrics/app", "v1", images.image(1))
    for _ in range(3):
        requests.get(f"{srv.url}/v2/metrics/app/manifests/v1")
    requests.get(f"{srv.url}/v2/metrics/app/manifests/missing")
    r = requests.get(f"http://127.0.0.1:{port}/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    samples = parse_prometheus(r.text)
    ok = ("pier_http_requests_total", frozenset({("route", '"manifest"'), ("method", '"GET"'), ("status", '"200"')}))
    missing = ("pier_http_requests_total", frozenset({("route", '"manifest"'), ("method", '"GET"'), ("status", '"404"')}))
    assert samples[ok] == 3 and samples[missing] == 1
    assert any(name == "pier_http_request_duration_seconds_count" for name, _ in samples)
    assert samples[("pier_http_response_bytes_total", frozenset())] > 0
    assert samples[("pier_http_request_bytes_total", frozenset())] > 0
    assert ("pier_uploads_in_progress", frozenset()) in samples
    assert samples[("pier_storage_errors_total", frozenset())] == 0


def test_a_pull_is_logged_and_timed_to_its_last_byte_and_a_cut_one_as_cut(make_server):
    """The access log and the duration metric timed a response when its head was ready: a
    pull that took seconds was logged at a fraction of a millisecond, and one the client
    cut off with its full length."""
    from harness.tools import eventually

    port = free_port()
    srv = make_server("pier", config={"http": {"debug": {"addr": f"127.0.0.1:{port}", "prometheus": {"enabled": True, "path": "/metrics"}}}})
    reg = Registry(srv.url)
    # Larger than what the kernel's socket buffers can hold by far, whatever its tuning.
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        buffered = int(f.read().split()[-1])
    data = os.urandom(max(24 * 1024 * 1024, 2 * buffered + 16 * 1024 * 1024))
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert reg.push_blob("timed/app", data).status_code == 201
    path = f"/v2/timed/app/blobs/{digest}"

    def get(read: int, pause: float) -> socket.socket:
        sock = socket.socket()
        # A small receive window: the server's last byte waits for the client's reads.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.connect(("127.0.0.1", srv.port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {srv.host}\r\n\r\n".encode())
        got = 0
        while got < read:
            chunk = sock.recv(256 * 1024)
            if not chunk:
                break
            got += len(chunk)
            time.sleep(pause)
        return sock

    # Read whole over about three seconds (256 KiB at most per 30 ms).
    started = time.monotonic()
    get(len(data), 0.03).close()
    took = time.monotonic() - started
    assert took >= 2.0

    def lines() -> list[str]:
        return [line for line in srv.log.splitlines() if f"GET {path}" in line]

    assert eventually(lambda: len(lines()) == 1, 15), srv.log[-2000:]
    fields = lines()[0].split(f"GET {path} ", 1)[1].split()
    assert fields[0] == "200" and fields[1] == str(len(data)), lines()
    # Logged when its last byte went out: all but what the socket buffers held.
    assert float(fields[2].removesuffix("ms")) >= 1000, lines()
    # Cut off after 1 MiB: logged without the length it never sent, and counted as cut.
    get(1024 * 1024, 0).close()
    assert eventually(lambda: len(lines()) == 2, 30), srv.log[-2000:]
    fields = lines()[1].split(f"GET {path} ", 1)[1].split()
    assert fields[0] == "200" and fields[1] != str(len(data)), lines()
    samples = parse_prometheus(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text)
    assert samples[("pier_http_responses_aborted_total", frozenset({("route", '"blob"')}))] == 1


def test_bytes_in_count_what_arrived_and_an_upload_cut_off_is_recorded_as_499(make_server):
    """Bytes in were each request's Content-Length: a header claiming 9·10¹⁸ bytes on a
    request refused unread wrapped the counter negative, a chunked upload counted nothing,
    and an upload whose client went away counted its full length, as a 400 never sent."""
    from harness.tools import eventually

    port = free_port()
    srv = make_server("pier", config={"http": {"debug": {"addr": f"127.0.0.1:{port}", "prometheus": {"enabled": True, "path": "/metrics"}}}})

    def samples():
        return parse_prometheus(requests.get(f"http://127.0.0.1:{port}/metrics").text)

    def bytes_in():
        return samples().get(("pier_http_request_bytes_total", frozenset()), 0)

    def raw(head: bytes, body: bytes = b"") -> bytes:
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(head + body)
            sock.settimeout(10)
            try:
                return sock.recv(65536)
            except OSError:
                return b""

    # A claim refused before the body is read adds nothing.
    huge = b"Content-Length: 9000000000000000000\r\n"
    answer = raw(b"PUT /v2/bytes/app/manifests/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n" + huge + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert bytes_in() == 0
    # A chunked upload counts its bytes.
    start = requests.post(f"{srv.url}/v2/bytes/app/blobs/uploads/")
    assert start.status_code == 202
    location = start.headers["Location"]
    if location.startswith("/"):
        location = srv.url + location
    data = os.urandom(100_000)
    patched = requests.patch(location, data=(data[i:i + 30_000] for i in range(0, len(data), 30_000)))
    assert patched.status_code == 202, patched.text
    assert bytes_in() == len(data)
    # An upload cut off after 1 MiB of its 10 MB: what arrived, and 499 rather than 400.
    location = patched.headers["Location"]
    path = location.split("//", 1)[1].split("/", 1)[1] if location.startswith("http") else location.lstrip("/")
    with socket.create_connection(("127.0.0.1", srv.port)) as sock:
        sock.sendall(
            f"PATCH /{path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n".encode()
            + os.urandom(1024 * 1024)
        )
    cut = ("pier_http_requests_total", frozenset({("route", '"upload"'), ("method", '"PATCH"'), ("status", '"499"')}))
    assert eventually(lambda: samples().get(cut) == 1, 15), [k for k in samples() if k[0] == "pier_http_requests_total"]
    assert len(data) < bytes_in() <= len(data) + 1024 * 1024
    assert not any(k[0] == "pier_http_requests_total" and ("status", '"400"') in k[1] for k in samples())
    assert eventually(lambda: f"PATCH /{path.split('?')[0]}" in srv.log and " 499 " in srv.log, 15), srv.log[-2000:]


def test_unix_socket_listener_serves_the_api(tmp_path):
    socket_path = tmp_path / "pier.sock"
    config = tmp_path / "config.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/data\nhttp:\n  net: unix\n  addr: {socket_path}\n"
    )
    proc = subprocess.Popen([pier_bin(), "serve", str(config)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while not socket_path.exists() and time.time() < deadline:
            time.sleep(0.1)

        def answer() -> str:
            # The path exists once bound, a moment before the listener accepts.
            return subprocess.run(
                ["curl", "-s", "-i", "--unix-socket", str(socket_path), "http://localhost/v2/"],
                capture_output=True, text=True, timeout=30,
            ).stdout

        out = eventually(answer, 10)
        assert " 200 " in out.splitlines()[0]
        assert "registry/2.0" in out
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_a_unix_socket_path_holding_a_file_or_a_live_socket_stops_the_start_and_a_stale_one_is_replaced(tmp_path):
    """`http.net: unix` unlinked whatever `http.addr` named: a file given by mistake was
    deleted, and a second instance took the socket of one still serving."""
    def config(path) -> Path:
        c = tmp_path / f"{path.name}.yml"
        c.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/data-{path.name}\n"
                     f"http:\n  net: unix\n  addr: {path}\n")
        return c

    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    out = subprocess.run([pier_bin(), "serve", str(config(precious))], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "http.addr" in out.stderr and "not a socket" in out.stderr, out.stderr
    assert precious.read_text() == "keep me"
    live = tmp_path / "live.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(live))
    server.listen()
    out = subprocess.run([pier_bin(), "serve", str(config(live))], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "in use" in out.stderr, out.stderr
    server.close()  # the socket file stays: stale now
    proc = subprocess.Popen([pier_bin(), "serve", str(config(live))], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        answer = None
        while time.time() < deadline and not answer:
            answer = subprocess.run(["curl", "-s", "--unix-socket", str(live), "http://localhost/v2/"],
                                    capture_output=True, text=True, timeout=30).stdout
            time.sleep(0.1)
        assert answer == "{}", answer
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_config_check_reads_the_tls_files_and_serve_names_what_it_could_not_use(tmp_path):
    """`config check` passed a configuration whose certificate was missing, and `serve`
    then stopped with a bare `failedToLoadCertificate`; a port in use named no address."""
    config = tmp_path / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/data\n"
                      f"http:\n  addr: 127.0.0.1:{free_port()}\n  tls:\n    certificate: {tmp_path}/missing.crt\n    key: {tmp_path}/missing.key\n")
    for args in (["config", "check", str(config)], ["serve", str(config)]):
        out = subprocess.run([pier_bin(), *args], capture_output=True, text=True, timeout=30)
        assert out.returncode == 1 and "http.tls.certificate" in out.stderr and "missing.crt" in out.stderr, (args, out.stderr)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/data\nhttp:\n  addr: 127.0.0.1:{port}\n")
    out = subprocess.run([pier_bin(), "serve", str(config)], capture_output=True, text=True, timeout=30)
    taken.close()
    assert out.returncode != 0 and f"127.0.0.1:{port}" in out.stderr and "in use" in out.stderr, out.stderr


def test_drain_timeout_bounds_how_long_shutdown_waits(make_server):
    srv = make_server("pier", config={"http": {"draintimeout": "1s"}})
    location = requests.post(f"{srv.url}/v2/drain/app/blobs/uploads/").headers["Location"]
    # A request that never finishes its body: without the drain timeout, SIGTERM would wait
    # for it (up to the 60 s idle timeout).
    sock = socket.create_connection(("127.0.0.1", srv.port))
    path = location.split(srv.host, 1)[1]
    sock.sendall(
        f"PATCH {path} HTTP/1.1\r\nHost: {srv.host}\r\nContent-Length: 1000000\r\n"
        "Content-Type: application/octet-stream\r\n\r\n".encode() + b"x" * 1000
    )
    time.sleep(0.3)
    started = time.time()
    srv.proc.send_signal(signal.SIGTERM)
    srv.proc.wait(timeout=20)
    assert time.time() - started < 10
    sock.close()


FULL_SAMPLE = """\
version: 0.1
log:
  accesslog:
    disabled: false
  level: debug
  formatter: text
  fields:
    service: registry
    environment: staging
loglevel: debug
storage:
  filesystem:
    rootdirectory: {root}
    maxthreads: 100
  delete:
    enabled: true
  redirect:
    disable: false
  cache:
    blobdescriptor: inmemory
    blobdescriptorsize: 10000
  maintenance:
    uploadpurging:
      enabled: true
      age: 168h
      interval: 24h
      dryrun: false
    readonly:
      enabled: false
http:
  addr: localhost:5000
  net: tcp
  prefix: /my/nested/registry/
  host: https://myregistryaddress.org:5000
  secret: asecretforlocaldevelopment
  relativeurls: false
  draintimeout: 60s
  headers:
    X-Content-Type-Options: [nosniff]
  http2:
    disabled: false
  debug:
    addr: localhost:5001
    prometheus:
      enabled: true
      path: /metrics
notifications:
  events:
    includereferences: true
  endpoints:
    - name: alistener
      disabled: false
      url: https://my.listener.com/event
      headers: <see the docs' example>
      timeout: 1s
      threshold: 10
      backoff: 1s
      ignoredmediatypes:
        - application/octet-stream
      ignore:
        mediatypes:
          - application/octet-stream
        actions:
          - pull
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
  file:
    - file: /path/to/checked/file
      interval: 10s
  http:
    - uri: http://server.to.check/must/return/200
      headers:
        Authorization: [Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==]
      statuscode: 200
      timeout: 3s
      interval: 10s
      threshold: 3
  tcp:
    - addr: redis-server.domain.com:6379
      timeout: 3s
      interval: 10s
      threshold: 3
catalog:
  maxentries: 100
validation:
  manifests:
    urls:
      allow:
        - ^https?://([^/]+\\\\.)*example\\\\.com/
      deny:
        - ^https?://www\\\\.example\\\\.com/
"""


def test_distributions_full_sample_is_accepted_and_names_only_what_it_ignores(tmp_path):
    # distribution's documented sample, without the sections of later work (auth, TLS,
    # S3 and other drivers, redis, proxy, middleware, reporting), tested where they are used.
    config = tmp_path / "config.yml"
    config.write_text(FULL_SAMPLE.replace("headers: <see the docs' example>", "headers:\n        Authorization: [Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==]").format(root=tmp_path / "data"))
    out = subprocess.run([pier_bin(), "config", "check", str(config)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "unknown configuration key" not in out.stderr, out.stderr
    assert "asecretforlocaldevelopment" not in out.stdout and "QWxhZGRpbjpvcGVuIHNlc2FtZQ" not in out.stdout
    # Read and applied, not ignored.
    for key in ("health.file", "health.http", "health.tcp", "validation.manifests.urls"):
        assert key not in out.stderr, out.stderr
