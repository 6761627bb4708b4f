"""The real Docker engine (Debian's `docker.io`: dockerd and the /usr/bin/docker client,
20.10) against the registry: `docker push` / `docker pull` without auth, `docker login`
with htpasswd (and a wrong password refused), and `docker login` through Pier's own token
server. One private dockerd for the module (vfs storage, no bridge, no iptables, its own
containerd, everything under tmp dirs); one small image made offline by harness.images and
turned into a `docker load` archive by skopeo. Every test has its own DOCKER_CONFIG, so a
login never leaks into another test or into the machine's ~/.docker.

Docker treats registries on 127.0.0.0/8 as insecure, so plain HTTP on 127.0.0.1:PORT works
without any daemon configuration."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from harness import Registry, images
from harness.auth import pier_user_ok, token_for
from harness.process import ManagedProcess
from harness.server import free_port
from harness.tools import attempt, in_ci, require_tool, run

pytestmark = pytest.mark.clients

# /usr/local/bin/docker may be another (newer) client; the engine's own client is this one.
DOCKER = "/usr/bin/docker"
LOCAL_NAME = "e2e/docker-client:v1"  # the name `docker load` gives the test image


def dockerd_binary() -> str | None:
    """Debian installs dockerd in /usr/sbin (not on every user's PATH)."""
    for candidate in (shutil.which("dockerd"), "/usr/sbin/dockerd", "/usr/bin/dockerd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def unavailable(reason: str):
    """dockerd or the client cannot run here: fail under CI=true, skip otherwise."""
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


class DockerdStartError(RuntimeError):
    pass


class Dockerd(ManagedProcess):
    """A private Docker daemon. The socket and exec-root (which holds containerd's socket)
    live in a short /tmp dir, since unix socket paths are limited to 108 bytes; the data
    root and the log live in the pytest tmp dir."""

    def __init__(self, binary: str, work: Path):
        self.binary = binary
        self.work = Path(work)
        self.run_dir = Path(tempfile.mkdtemp(prefix="e2e-dockerd-", dir="/tmp"))
        self.sock = self.run_dir / "docker.sock"
        self.exec_root = self.run_dir / "exec"
        self.pidfile = self.run_dir / "docker.pid"
        self.data_root = self.work / "data"
        self.log_path = self.work / "dockerd.log"
        self.proc: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.sock}"

    def command(self) -> list[str]:
        return [
            self.binary,
            "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
            "--data-root", str(self.data_root), "--exec-root", str(self.exec_root),
            "--pidfile", str(self.pidfile), "-H", self.host,
        ]

    def start(self, timeout: float = 60.0) -> "Dockerd":
        self.data_root.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(self.command(), stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.cleanup()
                raise DockerdStartError(f"dockerd exited with {code} before it was ready\n"
                                        f"{' '.join(self.command())}\n--- log ---\n{self.log[-6000:]}")
            p = subprocess.run([DOCKER, "-H", self.host, "info", "--format", "{{.ServerVersion}}"],
                               capture_output=True, text=True, timeout=30)
            if p.returncode == 0:
                return self
            last = (p.stderr or p.stdout).strip()[-500:]
            time.sleep(0.2)
        self.stop()
        raise DockerdStartError(f"dockerd not ready on {self.host} after {timeout}s ({last})\n"
                                f"--- log ---\n{self.log[-6000:]}")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (dockerd then stops its containerd); SIGKILL after `timeout`. A
        containerd left behind (dockerd killed) is killed by the pid it recorded."""
        super().stop(timeout)
        self._kill_leftover_containerd()
        self.cleanup()

    def _kill_leftover_containerd(self) -> None:
        pidfile = self.exec_root / "containerd" / "containerd.pid"
        try:
            pid = int(pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"containerd" in cmdline and str(self.exec_root).encode() in cmdline:
            os.kill(pid, signal.SIGKILL)

    def cleanup(self) -> None:
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def client(self, config_dir: Path) -> "DockerClient":
        return DockerClient(self, config_dir)


class DockerClient:
    """/usr/bin/docker talking to one daemon, with a private DOCKER_CONFIG directory."""

    def __init__(self, daemon: Dockerd, config_dir: Path):
        self.daemon = daemon
        self.config_dir = Path(config_dir)
        self.config_dir.mkdir(parents=True, exist_ok=True)

    def cmd(self, *args: str) -> list[str]:
        return [DOCKER, "-H", self.daemon.host, *args]

    @property
    def env(self) -> dict:
        return {"DOCKER_CONFIG": str(self.config_dir)}

    def __call__(self, *args: str, input: str | None = None, timeout: float = 300) -> str:
        return run(self.cmd(*args), input=input, timeout=timeout, env=self.env).strip()

    def attempt(self, *args: str, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        return attempt(self.cmd(*args), input=input, timeout=timeout, env=self.env)

    def image_id(self, ref: str) -> str:
        return self("image", "inspect", "--format", "{{.Id}}", ref)

    def login(self, host: str, user: str, password: str) -> subprocess.CompletedProcess:
        return self.attempt("login", "-u", user, "--password-stdin", host, input=password + "\n", timeout=120)

    def saved_auths(self) -> dict:
        path = self.config_dir / "config.json"
        return json.loads(path.read_text()).get("auths", {}) if path.exists() else {}


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory):
    binary = dockerd_binary()
    if binary is None or not os.access(DOCKER, os.X_OK):
        unavailable("the Docker engine is not installed (apt-get install docker.io; scripts/test.sh installs it)")
    daemon = Dockerd(binary, tmp_path_factory.mktemp("dockerd"))
    try:
        daemon.start()
    except DockerdStartError as e:
        unavailable(f"dockerd cannot start here: {e}")
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def image_archive(tmp_path_factory):
    """(docker-archive tar of one small image, its config digest = the image id Docker gives it)."""
    require_tool("skopeo")
    work = tmp_path_factory.mktemp("docker-image")
    img = images.image(1, layer_size=20_000)
    images.write_oci_layout(work / "oci", img, "v1")
    archive = work / "image.tar"
    run(["skopeo", "copy", f"oci:{work}/oci:v1", f"docker-archive:{archive}:{LOCAL_NAME}"])
    return archive, img.blobs[0].digest


@pytest.fixture
def docker(dockerd, tmp_path):
    """A client with a DOCKER_CONFIG of this test's own."""
    return dockerd.client(tmp_path / "docker-config")


@pytest.fixture
def loaded(docker, image_archive) -> str:
    """`docker load` the test image (again: a test may have removed it); its image id."""
    archive, config_digest = image_archive
    out = docker("load", "-i", str(archive))
    assert LOCAL_NAME in out, out
    image_id = docker.image_id(LOCAL_NAME)
    assert image_id == config_digest, "docker load gave an unexpected image id"
    return image_id


USERS = {"alice": "alice-pw", "bob": "bob-pw"}


def htpasswd_file(path: Path) -> Path:
    """An htpasswd file written by `pier user add … --password-stdin` (bcrypt)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for user, password in USERS.items():
        pier_user_ok("add", user, "-f", str(path), password=password)
    return path


@pytest.fixture
def htpasswd_server(server_kind, make_server, tmp_path, need_pier):
    path = htpasswd_file(tmp_path / "auth" / "htpasswd")
    return make_server(server_kind, config={"auth": {"htpasswd": {"realm": "Pier Docker Test", "path": str(path)}}})


@pytest.fixture
def token_server(make_server, tmp_path, need_pier):
    """Pier with auth.token whose realm is Pier's own token server on the same port."""
    work = tmp_path / "token"
    path = htpasswd_file(work / "htpasswd")
    port = free_port()
    config = {
        "auth": {"token": {"realm": f"http://127.0.0.1:{port}/token", "service": "pier-test", "issuer": "pier"}},
        "tokenserver": {"htpasswd": str(path), "key": str(work / "token.key")},
    }
    return make_server("pier", config=config, port=port)


# ---- helpers ------------------------------------------------------------------------------


def push(docker: DockerClient, target: str) -> str:
    """Tag the loaded image as `target`, push it, return the manifest digest docker reports."""
    docker("tag", LOCAL_NAME, target)
    out = docker("push", target)
    m = re.search(r"digest: (sha256:[0-9a-f]{64})", out)
    assert m, f"no digest in the docker push output:\n{out}"
    return m.group(1)


def remove_everywhere(docker: DockerClient, image_id: str) -> None:
    """`docker rmi` every tag of the image, so the next pull has to fetch it all."""
    docker("rmi", "-f", image_id)
    assert docker.attempt("image", "inspect", image_id).returncode != 0, "the image is still present after rmi"


def assert_pulled(docker: DockerClient, target: str, image_id: str, digest: str) -> None:
    docker("pull", target)
    info = json.loads(docker("image", "inspect", target))[0]
    assert info["Id"] == image_id
    name = target.rsplit(":", 1)[0]
    assert f"{name}@{digest}" in info["RepoDigests"]


def assert_refused_for_auth(p: subprocess.CompletedProcess) -> None:
    """The command failed because of authentication or authorisation, not for another reason."""
    assert p.returncode != 0, p.stdout
    text = (p.stdout + p.stderr).lower()
    assert any(w in text for w in ("unauthorized", "denied", "no basic auth credentials")), p.stderr


def assert_served(reg: Registry, repo: str, tag: str, image_id: str, digest: str) -> None:
    """The registry holds what docker pushed: the manifest under the tag, whose config is the image."""
    r = reg.get_manifest(repo, tag)
    assert r.status_code == 200, r.text
    assert r.headers["Docker-Content-Digest"] == digest
    assert images.sha256(r.content) == digest
    assert r.json()["config"]["digest"] == image_id


# ---- tests --------------------------------------------------------------------------------


def test_docker_push_then_pull_without_auth_gives_the_same_image_id(dockerd, docker, loaded, server, repo):
    target = f"{server.host}/{repo}:v1"
    digest = push(docker, target)
    assert_served(Registry(server.url), repo, "v1", loaded, digest)
    remove_everywhere(docker, loaded)
    assert_pulled(docker, target, loaded, digest)


def test_docker_pull_of_a_missing_tag_fails_with_not_found(dockerd, docker, server, repo):
    p = docker.attempt("pull", f"{server.host}/{repo}:absent")
    assert p.returncode != 0
    assert "not found" in (p.stderr + p.stdout).lower(), p.stderr


def test_docker_login_with_htpasswd_then_push_rmi_and_pull_give_the_same_image_id(
        dockerd, docker, loaded, htpasswd_server, repo):
    host = htpasswd_server.host
    login = docker.login(host, "alice", "alice-pw")
    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stdout
    assert host in docker.saved_auths(), "docker login did not store the credentials in DOCKER_CONFIG"
    target = f"{host}/{repo}:v1"
    digest = push(docker, target)
    assert_served(Registry(htpasswd_server.url, auth=("bob", "bob-pw")), repo, "v1", loaded, digest)
    remove_everywhere(docker, loaded)
    assert_pulled(docker, target, loaded, digest)


def test_docker_login_with_a_wrong_password_fails_and_stores_nothing(dockerd, docker, loaded, htpasswd_server, repo):
    host = htpasswd_server.host
    assert_refused_for_auth(docker.login(host, "alice", "not-the-password"))
    assert_refused_for_auth(docker.login(host, "mallory", "alice-pw"))
    assert host not in docker.saved_auths()
    # Without a login the daemon has no credentials to offer: the push is refused.
    docker("tag", LOCAL_NAME, f"{host}/{repo}:v1")
    assert_refused_for_auth(docker.attempt("push", f"{host}/{repo}:v1"))
    assert Registry(htpasswd_server.url, auth=("alice", "alice-pw")).get_manifest(repo, "v1").status_code == 404


@pytest.mark.pier_only
def test_docker_login_through_piers_token_server_then_push_and_pull(
        dockerd, docker, loaded, token_server, repo, tmp_path):
    host = token_server.host
    assert_refused_for_auth(docker.login(host, "alice", "not-the-password"))
    assert host not in docker.saved_auths()
    login = docker.login(host, "alice", "alice-pw")
    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stdout
    target = f"{host}/{repo}:v1"
    digest = push(docker, target)
    tok = token_for(token_server.config["auth"]["token"]["realm"], "pier-test", [f"repository:{repo}:pull"],
                    auth=("bob", "bob-pw"))
    assert_served(Registry(token_server.url, auth=f"Bearer {tok}"), repo, "v1", loaded, digest)
    remove_everywhere(docker, loaded)
    assert_pulled(docker, target, loaded, digest)
    # A client that never logged in gets no token with pull access: the pull is refused (the
    # daemon still has the image, but a pull always asks the registry for the manifest).
    stranger = dockerd.client(tmp_path / "stranger-config")
    assert_refused_for_auth(stranger.attempt("pull", target))


@pytest.mark.pier_only
def test_docker_search_finds_public_repositories_and_logged_in_the_callers_private_ones(
        dockerd, docker, make_server, tmp_path, need_pier):
    path = htpasswd_file(tmp_path / "auth" / "htpasswd")
    policy = {"rules": [
        {"repository": "alice/**", "users": ["alice"], "actions": ["pull", "push", "delete"]},
        {"repository": "public/**", "anonymous": True, "users": ["*"], "actions": ["pull"]},
        {"repository": "public/**", "users": ["alice"], "actions": ["pull", "push"]},
    ]}
    srv = make_server("pier", config={"auth": {"htpasswd": {"realm": "Pier Docker Test", "path": str(path)}},
                                      "access": policy})
    reg = Registry(srv.url, auth=("alice", "alice-pw"))
    reg.push("public/searchtool", "v1", images.image(1))
    reg.push("alice/searchtool", "v1", images.image(2))

    def names(*args: str) -> list[str]:
        out = docker("search", "--no-trunc", "--format", "{{.Name}}", *args, f"{srv.host}/searchtool")
        return sorted(line.strip() for line in out.splitlines() if line.strip())

    # The index is fed just after a push is answered: both are in before docker looks.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and requests.get(
        f"{srv.url}/api/v1/search?q=searchtool", auth=("alice", "alice-pw"), timeout=10
    ).json().get("count") != 2:
        time.sleep(0.2)
    assert names() == ["public/searchtool"]
    assert docker.login(srv.host, "alice", "alice-pw").returncode == 0
    assert names() == ["alice/searchtool", "public/searchtool"]
    out = docker("search", "--no-trunc", "--format", "{{.Name}} {{.StarCount}} {{.IsOfficial}}", f"{srv.host}/searchtool")
    assert "public/searchtool 0" in out
    docker.attempt("logout", srv.host)
    assert docker.login(srv.host, "bob", "bob-pw").returncode == 0
    assert names() == ["public/searchtool"]


@pytest.mark.pier_only
def test_docker_login_with_a_personal_access_token_then_push(dockerd, docker, loaded, make_server, tmp_path, need_pier):
    path = htpasswd_file(tmp_path / "auth" / "htpasswd")
    srv = make_server("pier", config={"auth": {"htpasswd": {"realm": "Pier Docker Test", "path": str(path)}}})
    r = requests.post(f"{srv.url}/api/v1/tokens", auth=("alice", "alice-pw"), json={"name": "laptop", "scopes": ["write"]},
                      timeout=30)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert docker.login(srv.host, "alice", token).returncode == 0
    digest = push(docker, f"{srv.host}/alice/pat:v1")
    assert_served(Registry(srv.url, auth=("alice", "alice-pw")), "alice/pat", "v1", loaded, digest)
    # Revoked: the stored login stops working at once.
    assert requests.delete(f"{srv.url}/api/v1/tokens/{r.json()['id']}", auth=("alice", "alice-pw"), timeout=30).status_code == 204
    docker("tag", LOCAL_NAME, f"{srv.host}/alice/pat:v2")
    assert_refused_for_auth(docker.attempt("push", f"{srv.host}/alice/pat:v2"))


@pytest.mark.pier_only
def test_docker_push_fires_a_signed_webhook(dockerd, docker, loaded, make_server, tmp_path, need_pier):
    import hashlib
    import hmac

    from harness.receiver import Receiver

    receiver = Receiver().start()
    try:
        path = htpasswd_file(tmp_path / "auth" / "htpasswd")
        srv = make_server("pier", config={"auth": {"htpasswd": {"realm": "Pier Docker Test", "path": str(path)}},
                                          "index": {"webhooks": {"allow": ["127.0.0.0/8"]}}})
        reg = Registry(srv.url, auth=("alice", "alice-pw"))
        reg.push("alice/hooked", "seed", images.image(1))
        deadline = time.monotonic() + 10
        while requests.get(f"{srv.url}/api/v1/repositories/alice/hooked", auth=("alice", "alice-pw"), timeout=30).status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        r = requests.post(f"{srv.url}/api/v1/repositories/alice/hooked/webhooks", auth=("alice", "alice-pw"), timeout=30,
                          json={"url": receiver.url(), "events": ["push"], "secret": "k"})
        assert r.status_code == 201, r.text
        assert docker.login(srv.host, "alice", "alice-pw").returncode == 0
        digest = push(docker, f"{srv.host}/alice/hooked:docker")
        got = receiver.wait_for(lambda reqs: reqs)
        assert len(got) == 1
        body = got[0]["json"]
        assert body["push_data"]["tag"] == "docker" and body["push_data"]["digest"] == digest
        assert body["push_data"]["pusher"] == "alice" and body["repository"]["repo_name"] == "alice/hooked"
        expected = "sha256=" + hmac.new(b"k", got[0]["body"], hashlib.sha256).hexdigest()
        assert got[0]["headers"]["x-pier-signature-256"] == expected
    finally:
        receiver.stop()
