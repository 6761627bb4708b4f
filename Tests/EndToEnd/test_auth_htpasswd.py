"""auth.htpasswd: Basic challenges and bodies, bcrypt variants, live reload of the
file, the provisioned `docker` user, credentials kept out of the log, `pier user`,
throttling of repeated failures, and real clients (skopeo, podman, oras) logging in.

The raw challenge tests run against the reference too (`--server=both`): the 401
and its body are distribution's behaviour. Everything else is pier_only."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import time

import pytest
import requests

from harness import Registry, Server, images
from harness.auth import (
    basic, bcrypt_check, htpasswd_line, parse_challenge, pier_user, pier_user_ok, read_htpasswd, write_htpasswd,
)
from harness.client import error_codes
from harness.server import free_port, pier_bin
from harness.tools import attempt, eventually, require_tool, run

REALM = "Pier Test Realm"
USERS = {"alice": "alice-pw-2y", "bob": "bob-pw-2b", "carol": "carol-pw-2a"}
PREFIXES = {"alice": "2y", "bob": "2b", "carol": "2a"}


def htpasswd_config(path, realm=REALM) -> dict:
    return {"auth": {"htpasswd": {"realm": realm, "path": str(path)}}}


def mixed_htpasswd(path):
    """alice with $2y$ (htpasswd -B), bob with $2b$, carol with $2a$."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(htpasswd_line(u, USERS[u], PREFIXES[u]) + "\n" for u in USERS))
    return path


@pytest.fixture(scope="module")
def basic_server(server_kind, tmp_path_factory):
    from conftest import require_binary

    require_binary(server_kind)
    work = tmp_path_factory.mktemp(f"{server_kind}-htpasswd")
    srv = Server(server_kind, work, config=htpasswd_config(mixed_htpasswd(work / "htpasswd")))
    srv.start()
    yield srv
    srv.stop()


def assert_basic_challenge(r: requests.Response, realm: str = REALM) -> None:
    assert r.status_code == 401, f"{r.request.method} {r.url}: {r.status_code} {r.text[:300]}"
    scheme, params = parse_challenge(r.headers.get("WWW-Authenticate", ""))
    assert scheme == "Basic" and params.get("realm") == realm, r.headers.get("WWW-Authenticate")
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers.get("Content-Type")
    assert error_codes(r) == ["UNAUTHORIZED"], r.text


def wait_for_status(url: str, auth, want: int, attempts: int = 50) -> int:
    """Poll GET url (0.1 s apart, at most `attempts` times) until it answers `want`."""
    code = None
    for _ in range(attempts):
        code = requests.get(url, auth=auth, timeout=10).status_code
        if code == want:
            return code
        time.sleep(0.1)
    return code


# ---- challenges and bodies (also distribution's behaviour) ---------------------------


def test_anonymous_get_v2_gets_401_with_a_basic_challenge_and_unauthorized_body(basic_server):
    r = requests.get(basic_server.url + "/v2/", timeout=10)
    assert_basic_challenge(r)
    body = r.json()
    assert isinstance(body["errors"][0].get("message"), str)


def test_a_refused_request_with_a_body_still_coming_ends_its_connection(basic_server):
    """A client refused before its body arrived (here one announcing 100 MB and trickling it)
    is answered, told the connection closes, and cut off soon whatever it keeps sending: it
    cannot hold a connection slot, nor make the server read a refused body to its end."""
    from harness import RawConnection

    conn = RawConnection(basic_server.host, timeout=10)
    conn.send_head("PUT", "/v2/trickle/blobs/uploads/x", {"Content-Length": "100000000", "Content-Type": "application/octet-stream"})
    conn.send(b"0123456789")
    status, headers = conn.read_head()
    assert " 401 " in status and headers.get("connection", "").lower() == "close", (status, headers)
    closed = False
    for _ in range(40):  # 20 s at most; an open slot would take this byte forever
        try:
            conn.sock.sendall(b"x")
            conn.sock.settimeout(0.5)
            closed = conn.sock.recv(65536) == b"" if not conn.buf else False
            conn.buf = b""
        except socket.timeout:
            continue
        except OSError:
            closed = True
        if closed:
            break
    assert closed, "the connection stayed open while the refused body trickled in"
    # A refused request whose body had all arrived with its head keeps its connection.
    conn = RawConnection(basic_server.host, timeout=10)
    for _ in range(2):
        conn.send(f"PUT /v2/trickle/blobs/uploads/x HTTP/1.1\r\nHost: {basic_server.host}\r\nContent-Length: 4\r\n\r\nabcd".encode())
        status, headers = conn.read_head()
        conn.read_body(headers)
        assert " 401 " in status and headers.get("connection", "").lower() != "close", (status, headers)


def test_valid_credentials_get_200_on_v2(basic_server):
    r = requests.get(basic_server.url + "/v2/", auth=("alice", USERS["alice"]), timeout=10)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("user", sorted(USERS))
def test_2y_2b_and_2a_bcrypt_hashes_are_all_accepted(basic_server, user):
    stored = read_htpasswd(basic_server.config["auth"]["htpasswd"]["path"])[user]
    assert stored.startswith(f"${PREFIXES[user]}$")
    r = requests.get(basic_server.url + "/v2/", auth=(user, USERS[user]), timeout=10)
    assert r.status_code == 200, f"{user} ({stored[:4]}): {r.status_code} {r.text}"


BAD_AUTHORIZATIONS = {
    "bad_base64": "Basic !!!not-base64!!!",
    "no_colon": "Basic " + base64.b64encode(b"alice").decode(),
    "unknown_user": basic("mallory", "alice-pw-2y"),
    "wrong_password": basic("alice", "not-the-password"),
    "empty_password": basic("alice", ""),
    "password_with_extra_char": basic("alice", USERS["alice"] + "x"),
    "empty_basic": "Basic ",
    "bearer_under_basic": "Bearer x",
    "unknown_scheme": "Digest username=\"alice\"",
}


@pytest.mark.parametrize("case", sorted(BAD_AUTHORIZATIONS))
def test_bad_credentials_get_401_with_challenge_and_body(basic_server, case):
    r = requests.get(basic_server.url + "/v2/", headers={"Authorization": BAD_AUTHORIZATIONS[case]}, timeout=10)
    assert_basic_challenge(r)


def test_every_api_route_needs_credentials(basic_server):
    reg = Registry(basic_server.url, auth=("alice", USERS["alice"]))
    img = images.image(1)
    reg.push("auth/app", "v1", img)
    anon = Registry(basic_server.url)
    for r in (
        anon.get_manifest("auth/app", "v1"),
        anon.head_manifest("auth/app", "v1"),
        anon.get(f"/v2/auth/app/blobs/{img.blobs[0].digest}"),
        anon.get("/v2/auth/app/tags/list"),
        anon.get("/v2/_catalog"),
        anon.post("/v2/auth/app/blobs/uploads/"),
        anon.put_manifest("auth/app", "v2", img),
        anon.delete(f"/v2/auth/app/manifests/{img.digest}"),
    ):
        assert r.status_code == 401, f"{r.request.method} {r.url}: {r.status_code}"
        assert parse_challenge(r.headers["WWW-Authenticate"])[0] == "Basic"
    assert reg.get_manifest("auth/app", "v1").content == img.data


def test_authenticated_user_pushes_and_pulls_with_basic_auth(basic_server):
    reg = Registry(basic_server.url, auth=("bob", USERS["bob"]))
    img = images.image(2)
    reg.push("auth/bob", "v1", img)
    assert reg.get_manifest("auth/bob", "v1").content == img.data
    assert reg.get_blob("auth/bob", img.blobs[1].digest).content == img.blobs[1].data
    assert "auth/bob" in reg.catalog()


# ---- Pier's behaviours -----------------------------------------------------------------


@pytest.mark.pier_only
def test_an_nginx_htpasswd_file_logs_in_with_md5_and_sha1_and_other_kinds_are_refused(make_server, tmp_path, need_pier):
    """Basic auth moved from nginx into the registry brings `htpasswd`'s default MD5
    (`$apr1$`) and `-s` SHA-1 lines: they log in, named in the log as weak; DES crypt and
    plain text cannot, named too. No password reaches the log."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # deprecated but present in 3.11: a DES crypt(3) line as old `htpasswd -d` wrote

    apr1 = subprocess.run(["openssl", "passwd", "-apr1", "apr-pw"], capture_output=True, text=True, check=True).stdout.strip()
    sha = "{SHA}" + base64.b64encode(hashlib.sha1(b"sha-pw").digest()).decode()
    des = crypt.crypt("des-pw", "ab")
    path = tmp_path / "htpasswd"
    path.write_text(
        f"apr1user:{apr1}\nshauser:{sha}\ncryptuser:{des}\nplainuser:plain-pw\n"
        + htpasswd_line("gooduser", "good-pw") + "\n"
    )
    srv = make_server("pier", config=htpasswd_config(path))
    for user, pw in (("apr1user", "apr-pw"), ("shauser", "sha-pw"), ("gooduser", "good-pw")):
        assert requests.get(srv.url + "/v2/", auth=(user, pw), timeout=10).status_code == 200, user
        assert_basic_challenge(requests.get(srv.url + "/v2/", auth=(user, pw + "x"), timeout=10))
    for user, pw in (("cryptuser", "des-pw"), ("plainuser", "plain-pw")):
        assert_basic_challenge(requests.get(srv.url + "/v2/", auth=(user, pw), timeout=10))
    log = srv.log
    weak = [line for line in log.splitlines() if "weak" in line]
    assert any("apr1user" in line for line in weak) and any("shauser" in line for line in weak), log[-3000:]
    assert "cryptuser" in log and "plainuser" in log, log[-3000:]
    assert "apr-pw" not in log and "sha-pw" not in log and "plain-pw" not in log


@pytest.mark.pier_only
def test_an_htpasswd_path_that_is_a_directory_stops_the_start_and_says_so(make_server, tmp_path, need_pier):
    """What `-v ./auth/htpasswd:/auth/htpasswd` makes when the host file does not exist
    yet: a directory. Refusing every login with nothing in the log would hide it."""
    from harness.server import ServerStartError

    path = tmp_path / "htpasswd"
    path.mkdir()
    srv = make_server("pier", config=htpasswd_config(path), start=False)
    with pytest.raises(ServerStartError):
        srv.start(timeout=15)
    log = srv.log_path.read_text()
    assert "auth.htpasswd.path" in log and "is a directory" in log, log[-2000:]


@pytest.mark.pier_only
def test_file_is_reread_a_user_added_works_and_a_removed_user_stops_without_restart(make_server, htpasswd, need_pier):
    path = htpasswd({"alice": "alice-pw"})
    srv = make_server("pier", config=htpasswd_config(path))
    url = srv.url + "/v2/"
    assert requests.get(url, auth=("alice", "alice-pw"), timeout=10).status_code == 200  # now cached
    assert requests.get(url, auth=("newbie", "newbie-pw"), timeout=10).status_code == 401
    pier_user_ok("add", "newbie", "--file", str(path), password="newbie-pw")
    assert wait_for_status(url, ("newbie", "newbie-pw"), 200) == 200, "added user not accepted within 5 s"
    pier_user_ok("remove", "alice", "--file", str(path))
    assert "alice" not in read_htpasswd(path)
    assert wait_for_status(url, ("alice", "alice-pw"), 401) == 401, "removed user still accepted after 5 s"
    assert requests.get(url, auth=("newbie", "newbie-pw"), timeout=10).status_code == 200
    assert srv.pid and srv.alive()


@pytest.mark.pier_only
def test_pier_user_passwd_changes_the_password_a_running_server_accepts(make_server, htpasswd, need_pier):
    path = htpasswd({"dave": "old-pw"})
    srv = make_server("pier", config=htpasswd_config(path))
    url = srv.url + "/v2/"
    assert requests.get(url, auth=("dave", "old-pw"), timeout=10).status_code == 200
    pier_user_ok("passwd", "dave", "--file", str(path), password="new-pw")
    assert wait_for_status(url, ("dave", "new-pw"), 200) == 200
    assert requests.get(url, auth=("dave", "old-pw"), timeout=10).status_code == 401


PROVISION_PASSWORD = re.compile(r"""password["']?\s*[=:]\s*["']?([^\s"',}\]]+)""", re.IGNORECASE)


def test_missing_file_is_created_with_user_docker_and_the_password_in_the_log(make_server, server_kind, tmp_path):
    path = tmp_path / "auth" / "htpasswd"
    path.parent.mkdir()
    srv = make_server(server_kind, config=htpasswd_config(path))
    assert path.exists(), "htpasswd file not created at start"
    users = read_htpasswd(path)
    assert list(users) == ["docker"], path.read_text()
    assert re.match(r"^\$2[aby]\$\d\d\$", users["docker"]), users["docker"]
    candidates = PROVISION_PASSWORD.findall(srv.log)
    working = [c for c in candidates if requests.get(srv.url + "/v2/", auth=("docker", c), timeout=10).status_code == 200]
    assert working, f"no logged password logs in as docker; candidates {candidates}\n{srv.log[-3000:]}"
    password = working[0]
    assert bcrypt_check(password, users["docker"])
    srv.restart()
    assert srv.log.count(password) == 1, "the provisioned password was logged again after a restart"
    assert requests.get(srv.url + "/v2/", auth=("docker", password), timeout=10).status_code == 200


@pytest.mark.pier_only
@pytest.mark.parametrize("formatter", ["text", "json"])
def test_credentials_never_appear_in_the_log(make_server, htpasswd, need_pier, formatter):
    secret = "S3cret-" + os.urandom(6).hex()
    wrong = "Wr0ng-" + os.urandom(6).hex()
    bearer = "tok-" + os.urandom(12).hex()
    path = htpasswd({"logger": secret})
    srv = make_server("pier", config={
        **htpasswd_config(path),
        "log": {"level": "debug", "formatter": formatter, "accesslog": {"disabled": False}},
    })
    reg = Registry(srv.url, auth=("logger", secret))
    reg.push("log/app", "v1", images.image(1))
    assert reg.get_manifest("log/app", "v1").status_code == 200
    assert requests.get(srv.url + "/v2/", auth=("logger", wrong), timeout=10).status_code == 401
    assert requests.get(srv.url + "/v2/", headers={"Authorization": f"Bearer {bearer}"}, timeout=10).status_code == 401
    assert requests.get(f"http://logger:{wrong}@{srv.host}/v2/_catalog", timeout=10).status_code == 401
    srv.stop()
    log = srv.log
    assert "/v2/log/app/manifests/v1" in log, "no access log line to check"
    if formatter == "json":
        lines = [l for l in log.splitlines() if l.startswith("{")]
        assert lines and all(json.loads(l) for l in lines)
    for needle in (secret, wrong, bearer, basic("logger", secret).split()[1], basic("logger", wrong).split()[1]):
        assert needle not in log, f"{needle!r} appears in the {formatter} log"


@pytest.mark.pier_only
def test_pier_user_cli_adds_lists_changes_and_removes_users(tmp_path, need_pier):
    path = tmp_path / "htpasswd"
    pier_user_ok("add", "alice", "--file", str(path), password="alice-pw")
    pier_user_ok("add", "bob", "--file", str(path), "--cost", "11", password="bob-pw")
    users = read_htpasswd(path)
    assert sorted(users) == ["alice", "bob"]
    assert re.match(r"^\$2[aby]\$10\$", users["alice"]), f"default cost is not 10: {users['alice']}"
    assert re.match(r"^\$2[aby]\$11\$", users["bob"]), users["bob"]
    assert bcrypt_check("alice-pw", users["alice"]) and bcrypt_check("bob-pw", users["bob"])
    listed = pier_user_ok("list", "--file", str(path)).split()
    assert "alice" in listed and "bob" in listed
    assert not any("$2" in word for word in listed), "list prints hashes"

    pier_user_ok("passwd", "alice", "--file", str(path), password="alice-new")
    users = read_htpasswd(path)
    assert bcrypt_check("alice-new", users["alice"]) and not bcrypt_check("alice-pw", users["alice"])
    assert bcrypt_check("bob-pw", users["bob"]), "passwd touched another user"

    pier_user_ok("remove", "bob", "--file", str(path))
    assert list(read_htpasswd(path)) == ["alice"]
    listed = pier_user_ok("list", "--file", str(path)).split()
    assert "alice" in listed and "bob" not in listed


@pytest.mark.pier_only
def test_pier_user_file_works_with_the_server(make_server, tmp_path, need_pier):
    path = tmp_path / "htpasswd"
    pier_user_ok("add", "erin", "--file", str(path), password="erin-pw")
    srv = make_server("pier", config=htpasswd_config(path))
    assert requests.get(srv.url + "/v2/", auth=("erin", "erin-pw"), timeout=10).status_code == 200
    assert requests.get(srv.url + "/v2/", auth=("erin", "erin-px"), timeout=10).status_code == 401
    # bcrypt reads a password up to its first NUL: "erin-pw\0anything" must not log in.
    assert requests.get(srv.url + "/v2/", auth=("erin", "erin-pw\0garbage"), timeout=10).status_code == 401


@pytest.mark.pier_only
def test_the_access_log_names_the_user_each_door_let_in_and_nobody_else(make_server, htpasswd):
    """Who pushed or deleted what: `user=` on the lines of requests a user was let in for
    (the registry API, the index's API, the web UI), none on anonymous or refused ones."""
    path = htpasswd({"alice": "alice-pw"})
    srv = make_server("pier", config={**htpasswd_config(path), "storage": {"delete": {"enabled": True}}})
    reg = Registry(srv.url, auth=("alice", "alice-pw"))
    img = images.image(1)
    reg.push("team/app", "v1", img)
    assert reg.delete(f"/v2/team/app/manifests/{img.digest}").status_code == 202
    assert requests.get(srv.url + "/v2/team/app/tags/list", timeout=10).status_code == 401
    assert requests.get(srv.url + "/v2/team/other/tags/list", auth=("alice", "wrong"), timeout=10).status_code == 401
    assert requests.get(srv.url + "/api/v1/repositories/team/app", auth=("alice", "alice-pw"), timeout=10).status_code in (200, 404)
    assert requests.get(srv.url + "/search?q=app", auth=("alice", "alice-pw"), timeout=10).status_code == 200
    assert eventually(lambda: "GET /search" in srv.log, 15), srv.log[-2000:]
    lines = srv.log.splitlines()

    def line(start):
        return next(entry for entry in lines if f"pier: {start} " in entry)

    for start in ("PUT /v2/team/app/manifests/v1", f"DELETE /v2/team/app/manifests/{img.digest}",
                  "GET /api/v1/repositories/team/app", "GET /search"):
        assert " user=alice" in line(start), line(start)
    for start in ("GET /v2/team/app/tags/list", "GET /v2/team/other/tags/list"):
        assert " 401 " in line(start) and "user=" not in line(start), line(start)


def htpasswd_tools(tmp_path):
    """Apache's `htpasswd` and the `pier` binary run under that name, as the image's
    `/bin/htpasswd` link runs it."""
    require_tool("htpasswd")
    link = tmp_path / "bin" / "htpasswd"
    link.parent.mkdir()
    link.symlink_to(pier_bin())
    return {"apache": "/usr/bin/htpasswd", "pier": str(link)}


@pytest.mark.pier_only
def test_pier_answers_as_htpasswd_with_apaches_operations_messages_and_exit_codes(tmp_path, need_pier):
    """The same command lines, side by side with Apache's htpasswd: the same exit codes,
    the same messages, and each one's file verified by the other."""
    tools = htpasswd_tools(tmp_path)
    steps = [
        (["-bB", "{f}", "alice", "pw"], 1, "use '-c' to create it"),   # no file without -c
        (["-cbB", "{f}", "alice", "pw"], 0, "Adding password for user alice"),
        (["-bB", "{f}", "bob", "bob-pw"], 0, "Adding password for user bob"),
        (["-bB", "{f}", "bob", "bob-pw2"], 0, "Updating password for user bob"),
        (["-vb", "{f}", "alice", "pw"], 0, "Password for user alice correct."),
        (["-vb", "{f}", "alice", "wrong"], 3, "password verification failed"),
        (["-vb", "{f}", "carol", "pw"], 6, "User carol not found"),
        (["-D", "{f}", "carol"], 0, "User carol not found"),
        (["-bB", "{f}", "carol", "carol-pw"], 0, "Adding password for user carol"),
        (["-D", "{f}", "carol"], 0, "Deleting password for user carol"),
        (["-Db", "{f}", "carol"], 2, "Usage:"),                           # -b wants a password
        (["-nc", "u"], 2, "only one of -c -n -v -D may be specified"),
        (["-nbB", "a:b", "p"], 6, "illegal character ':'"),
        (["-nbB", "-C", "3", "u", "p"], 3, "Unable to encode with bcrypt"),
        (["-x", "{f}", "u"], 2, "Usage:"),
        (["-bBC12", "--", "{f}", "-dash", "pw"], 0, "Adding password for user -dash"),
        (["-D", "--", "{f}", "-dash"], 0, "Deleting password for user -dash"),
        (["-cb", "{d}/missing/htpasswd", "u", "p"], 1, ""),               # no directories made
    ]
    files = {}
    for name, tool in tools.items():
        files[name] = tmp_path / name / "htpasswd"
        files[name].parent.mkdir()
        for args, code, message in steps:
            out = subprocess.run([tool, *(a.replace("{f}", str(files[name])).replace("{d}", str(tmp_path)) for a in args)],
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == code, (name, args, out.returncode, out.stderr)
            assert message in out.stderr, (name, args, out.stderr)
    # Piped without -i, the password is read twice and must match.
    for name, tool in tools.items():
        out = subprocess.run([tool, str(files[name]), "dave"], input="one\ntwo\n", capture_output=True, text=True, timeout=60)
        assert out.returncode == 3 and "password verification error" in out.stderr, (name, out.stderr)
    # Each file holds alice and bob; each tool verifies the other's file.
    for writer, reader in (("pier", "apache"), ("apache", "pier")):
        assert list(read_htpasswd(files[writer])) == ["alice", "bob"]
        for user, password in (("alice", "pw"), ("bob", "bob-pw2")):
            out = subprocess.run([tools[reader], "-vb", str(files[writer]), user, password], capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, (writer, reader, user, out.stderr)
    # bcrypt only, at Pier's default cost, whatever algorithm was asked for.
    assert all(re.match(r"^\$2y\$10\$", h) for h in read_htpasswd(files["pier"]).values())
    out = subprocess.run([tools["pier"], "-bm", str(files["pier"]), "alice", "md5-asked"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "-m ignored" in out.stderr, out.stderr
    assert read_htpasswd(files["pier"])["alice"].startswith("$2y$10$")
    # Comments stay, and a link to the file stays a link, as with Apache's.
    for name, tool in tools.items():
        real = tmp_path / name / "real"
        real.write_text("# the team's registry users\n\n" + files[name].read_text())
        link = tmp_path / name / "link"
        link.symlink_to(real)
        subprocess.run([tool, "-bB", str(link), "erin", "erin-pw"], check=True, capture_output=True, timeout=60)
        assert link.is_symlink() and real.read_text().startswith("# the team's registry users\n\nalice:"), (name, real.read_text())
        assert list(read_htpasswd(real)) == ["alice", "bob", "erin"]
    # A file that is not UTF-8 is not rewritten with its bytes replaced; -c replaces it unread.
    latin = tmp_path / "latin1"
    latin.write_bytes(b"j\xf6rg:$apr1$Ab1.xY/z$WDuDpMPpGs4QYjEgCayAT0\n")
    out = subprocess.run([tools["pier"], "-b", str(latin), "u", "pw"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "not UTF-8" in out.stderr, out.stderr
    out = subprocess.run([tools["pier"], "-cb", str(latin), "u", "pw"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and list(read_htpasswd(latin)) == ["u"], out.stderr


@pytest.mark.pier_only
def test_the_guides_one_liner_writes_a_file_distribution_and_pier_log_in_with(make_server, tmp_path, need_pier):
    """`docker run --entrypoint htpasswd registry:2.3.0 -Bbn testuser testpassword >
    auth/htpasswd`, with Pier's binary in htpasswd's place (and as `pier htpasswd`)."""
    tools = htpasswd_tools(tmp_path)
    path = tmp_path / "auth" / "htpasswd"
    path.parent.mkdir()
    first = subprocess.run([tools["pier"], "-Bbn", "testuser", "testpassword"], capture_output=True, text=True, timeout=60)
    second = subprocess.run([pier_bin(), "htpasswd", "-Bbn", "other", "otherpassword"], capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
    # Apache's output, byte for byte in shape: the line, then an empty one.
    assert re.fullmatch(r"testuser:\$2y\$10\$[./A-Za-z0-9]{53}\n\n", first.stdout), repr(first.stdout)
    path.write_text(first.stdout + second.stdout)
    for kind in ("distribution", "pier"):
        srv = make_server(kind, config=htpasswd_config(path))
        for user, password in (("testuser", "testpassword"), ("other", "otherpassword")):
            assert requests.get(srv.url + "/v2/", auth=(user, password), timeout=10).status_code == 200, (kind, user)
            assert requests.get(srv.url + "/v2/", auth=(user, password + "x"), timeout=10).status_code == 401, (kind, user)
        srv.stop()


@pytest.mark.pier_only
def test_changing_a_shared_file_keeps_its_mode_and_a_new_htpasswd_file_is_readable_as_apaches(tmp_path, need_pier):
    """nginx's workers read the file Pier shares with them as another user: `pier user`
    and `htpasswd` keep an existing file's mode; a new file from `htpasswd -c` gets 0666
    less the umask as Apache's does, one from `pier user add` stays its owner's."""
    tools = htpasswd_tools(tmp_path)
    shared = tmp_path / "shared"
    subprocess.run(["/usr/bin/htpasswd", "-cbB", str(shared), "alice", "pw"], check=True, capture_output=True, timeout=60)
    shared.chmod(0o640)
    root = os.geteuid() == 0
    if root:
        os.chown(shared, 65534, 65534)  # as if it were nginx's
    pier_user_ok("add", "bob", "--file", str(shared), password="bob-pw")
    subprocess.run([tools["pier"], "-b", str(shared), "carol", "carol-pw"], check=True, capture_output=True, timeout=60)
    assert shared.stat().st_mode & 0o777 == 0o640
    if root:
        assert (shared.stat().st_uid, shared.stat().st_gid) == (65534, 65534)
    assert list(read_htpasswd(shared)) == ["alice", "bob", "carol"]
    fresh = tmp_path / "fresh"
    subprocess.run([tools["pier"], "-cb", str(fresh), "alice", "pw"], check=True, capture_output=True, timeout=60,
                   preexec_fn=lambda: os.umask(0o022))
    assert fresh.stat().st_mode & 0o777 == 0o644
    own = tmp_path / "own"
    pier_user_ok("add", "alice", "--file", str(own), password="pw")
    assert own.stat().st_mode & 0o777 == 0o600


def prometheus_total(text: str, name: str) -> float:
    """Sum of every sample of metric `name` (whatever its labels)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        metric = line.split("{", 1)[0].split(" ", 1)[0]
        if metric == name:
            total += float(line.rsplit(" ", 1)[1])
    return total


def throttled_server(make_server, htpasswd, **http):
    """Pier with alice and bob and a debug server with metrics; returns (server, metrics())."""
    debug = free_port()
    path = htpasswd({"alice": "alice-pw", "bob": "bob-pw"})
    srv = make_server("pier", config={
        **htpasswd_config(path),
        "http": {"debug": {"addr": f"127.0.0.1:{debug}", "prometheus": {"enabled": True}}, **http},
    })

    def metric(name: str) -> float:
        text = requests.get(f"http://127.0.0.1:{debug}/metrics", timeout=10).text
        return prometheus_total(text, name)

    return srv, metric


def assert_throttled(r: requests.Response) -> None:
    assert r.status_code == 429, f"{r.status_code} {r.text[:300]}"
    assert error_codes(r) == ["TOOMANYREQUESTS"], r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 60, r.headers


@pytest.mark.pier_only
def test_repeated_failures_for_one_user_are_throttled_and_counted(make_server, htpasswd, need_pier):
    srv, metric = throttled_server(make_server, htpasswd)
    # bob logged in before the guessing started: his verified credentials stay good.
    assert requests.get(srv.url + "/v2/", auth=("bob", "bob-pw"), timeout=30).status_code == 200
    for i in range(10):
        r = requests.get(srv.url + "/v2/", auth=("alice", f"wrong-{i}"), timeout=30)
        assert r.status_code == 401
    # Over the limit, passwords are not even checked (so a guesser cannot tell a right
    # one): 429 with when to try again, the right password included.
    for password in ("wrong-10", "alice-pw"):
        assert_throttled(requests.get(srv.url + "/v2/", auth=("alice", password), timeout=30))
    assert metric("pier_auth_failures_total") == 10
    assert metric("pier_auth_throttled_total") == 2
    assert metric("pier_auth_password_checks_total") == 11  # bob's login and alice's ten
    assert requests.get(srv.url + "/v2/", auth=("bob", "bob-pw"), timeout=30).status_code == 200


@pytest.mark.pier_only
def test_parallel_guesses_get_no_more_password_checks_than_the_limit(make_server, htpasswd, need_pier):
    """200 simultaneous attempts, the right password at #150: however they interleave, at
    most ten passwords are checked, and every other attempt is refused unchecked."""
    from concurrent.futures import ThreadPoolExecutor

    srv, metric = throttled_server(make_server, htpasswd)

    def attempt_login(i: int) -> int:
        password = "alice-pw" if i == 150 else f"guess-{i}"
        return requests.get(srv.url + "/v2/", auth=("alice", password), timeout=60).status_code

    with ThreadPoolExecutor(max_workers=64) as pool:
        codes = list(pool.map(attempt_login, range(200)))
    checks = metric("pier_auth_password_checks_total")
    assert 1 <= checks <= 10, checks
    assert codes.count(429) >= 190, sorted(set(codes))
    assert codes.count(429) + codes.count(401) + codes.count(200) == 200
    assert codes.count(200) <= 1


@pytest.mark.pier_only
def test_one_users_failures_do_not_refuse_another_user_from_the_same_address(make_server, htpasswd, need_pier):
    srv, _ = throttled_server(make_server, htpasswd)
    for i in range(15):
        requests.get(srv.url + "/v2/", auth=("alice", f"wrong-{i}"), timeout=30)
    # bob never logged in before: his first login from the guesser's address is checked.
    assert requests.get(srv.url + "/v2/", auth=("bob", "bob-pw"), timeout=30).status_code == 200


@pytest.mark.pier_only
def test_behind_a_trusted_proxy_failures_count_per_forwarded_client(make_server, htpasswd, need_pier):
    srv, _ = throttled_server(make_server, htpasswd, trustedproxies=["127.0.0.1/32"])
    guesser = {"X-Forwarded-For": "198.51.100.66"}
    for i in range(10):
        requests.get(srv.url + "/v2/", auth=("alice", f"wrong-{i}"), headers=guesser, timeout=30)
    assert_throttled(requests.get(srv.url + "/v2/", auth=("alice", "alice-pw"), headers=guesser, timeout=30))
    # alice at her own desk, behind the same proxy, logs in.
    desk = {"X-Forwarded-For": "203.0.113.7, 198.51.100.7"}
    assert requests.get(srv.url + "/v2/", auth=("alice", "alice-pw"), headers=desk, timeout=30).status_code == 200
    # What a client writes left of what the proxy appended changes nothing.
    spoofed = {"X-Forwarded-For": "203.0.113.99, 198.51.100.66"}
    assert_throttled(requests.get(srv.url + "/v2/", auth=("alice", "alice-pw-x"), headers=spoofed, timeout=30))


@pytest.mark.pier_only
def test_behind_a_proxy_that_writes_forwarded_a_clients_own_x_forwarded_for_is_ignored(make_server, htpasswd, need_pier):
    srv, _ = throttled_server(make_server, htpasswd, trustedproxies=["127.0.0.1"], forwardedheader="Forwarded")
    proxy = {"Forwarded": "for=198.51.100.66"}
    for i in range(10):
        requests.get(srv.url + "/v2/", auth=("alice", f"wrong-{i}"), headers={**proxy, "X-Forwarded-For": f"203.0.113.{i}"}, timeout=30)
    assert_throttled(requests.get(srv.url + "/v2/", auth=("alice", "guess"), headers={**proxy, "X-Forwarded-For": "203.0.113.99"}, timeout=30))
    desk = {"Forwarded": 'for="[2001:db8::7]:4711"'}
    assert requests.get(srv.url + "/v2/", auth=("alice", "alice-pw"), headers=desk, timeout=30).status_code == 200


@pytest.mark.pier_only
def test_without_trusted_proxies_x_forwarded_for_cannot_escape_the_throttle(make_server, htpasswd, need_pier):
    srv, _ = throttled_server(make_server, htpasswd)
    for i in range(10):
        requests.get(srv.url + "/v2/", auth=("alice", f"wrong-{i}"), headers={"X-Forwarded-For": f"198.51.100.{i}"}, timeout=30)
    fresh = {"X-Forwarded-For": "198.51.100.200"}
    assert_throttled(requests.get(srv.url + "/v2/", auth=("alice", "guess"), headers=fresh, timeout=30))


def test_trusted_proxies_that_are_not_addresses_are_a_configuration_error(tmp_path, need_pier):
    from harness.server import pier_bin

    config = tmp_path / "config.yml"
    config.write_text("version: 0.1\nhttp:\n  trustedproxies: [10.0.0.0/8, proxy.example.com]\n")
    out = subprocess.run([pier_bin(), "config", "check", str(config)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "proxy.example.com" in out.stderr, out.stderr


# ---- real clients -------------------------------------------------------------------------

clients = pytest.mark.clients


@pytest.fixture
def auth_server(make_server, htpasswd, need_pier):
    path = htpasswd({"alice": "alice-pw", "bob": "bob-pw"})
    return make_server("pier", config=htpasswd_config(path))


@clients
@pytest.mark.pier_only
def test_skopeo_copy_with_dest_creds_pushes_and_needs_creds_to_read(auth_server, tmp_path):
    require_tool("skopeo")
    img = images.image(2, layer_size=20_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    dest = f"docker://{auth_server.host}/skopeo/app:v1"
    refused = attempt(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{tmp_path}/src:v1", dest])
    assert refused.returncode != 0
    refused = attempt(["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:nope", f"oci:{tmp_path}/src:v1", dest])
    assert refused.returncode != 0
    run(["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:alice-pw", f"oci:{tmp_path}/src:v1", dest])
    reg = Registry(auth_server.url, auth=("bob", "bob-pw"))
    assert reg.get_manifest("skopeo/app", "v1").content == img.data
    run(["skopeo", "copy", "--src-tls-verify=false", "--src-creds", "bob:bob-pw", dest, f"oci:{tmp_path}/out:v1"])
    assert images.oci_layout_descriptor(tmp_path / "out", "v1")["digest"] == img.digest


@clients
@pytest.mark.pier_only
def test_podman_login_push_and_pull_with_htpasswd(auth_server, tmp_path, podman_factory):
    img = images.image(1, layer_size=20_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    pusher = podman_factory("pusher")
    wrong = pusher.attempt("login", "--tls-verify=false", "-u", "alice", "--password-stdin", auth_server.host, input="bad\n")
    assert wrong.returncode != 0
    pusher("login", "--tls-verify=false", "-u", "alice", "--password-stdin", auth_server.host, input="alice-pw\n")
    image_id = pusher("pull", "-q", f"oci:{tmp_path}/src:v1").splitlines()[-1]
    target = f"{auth_server.host}/podman/app:v1"
    pusher("push", "--tls-verify=false", "--digestfile", str(tmp_path / "digest"), image_id, f"docker://{target}")
    pushed = (tmp_path / "digest").read_text().strip()
    reg = Registry(auth_server.url, auth=("alice", "alice-pw"))
    assert reg.get_manifest("podman/app", "v1").headers["Docker-Content-Digest"] == pushed

    puller = podman_factory("puller")
    assert puller.attempt("pull", "--tls-verify=false", target).returncode != 0
    puller("login", "--tls-verify=false", "-u", "bob", "--password-stdin", auth_server.host, input="bob-pw\n")
    puller("pull", "--tls-verify=false", target)
    info = json.loads(puller("image", "inspect", target))[0]
    assert info["Digest"] == pushed
    assert info["Id"] == image_id


@clients
@pytest.mark.pier_only
def test_oras_push_and_pull_with_basic_auth(auth_server, tmp_path):
    oras_client = pytest.importorskip("oras.client")
    client = oras_client.OrasClient(hostname=auth_server.host, insecure=True, auth_backend="basic")
    client.auth.set_basic_auth("alice", "alice-pw")
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(25_000))
    target = f"{auth_server.host}/oras/art:v1"
    r = client.push(target=target, files=[f"{payload}:application/vnd.pier.test.payload"], disable_path_validation=True)
    assert r.status_code == 201
    files = client.pull(target=target, outdir=str(tmp_path / "out"))
    assert [open(f, "rb").read() for f in files] == [payload.read_bytes()]
    anonymous = Registry(auth_server.url)
    assert anonymous.get_manifest("oras/art", "v1").status_code == 401


@pytest.mark.pier_only
def test_pier_user_refuses_passwords_bcrypt_would_cut(tmp_path, need_pier):
    path = tmp_path / "htpasswd"
    long = pier_user("add", "frank", "--file", str(path), password="x" * 73)
    assert long.returncode != 0 and "72" in long.stderr
    assert pier_user("add", "frank", "--file", str(path), password="x" * 72).returncode == 0



@pytest.mark.pier_only
def test_a_cors_preflight_is_answered_without_credentials_and_reveals_nothing(make_server, htpasswd):
    # A browser's cross-origin preflight (OPTIONS) never carries credentials; distribution
    # answers it 401, so a registry UI on another origin cannot work against it with auth.
    # Pier answers with the endpoint's methods and the configured headers (the CORS ones a
    # UI needs), the same for a repository that exists and one that does not.
    path = htpasswd(USERS)
    srv = make_server("pier", config={
        **htpasswd_config(path),
        "http": {"headers": {"Access-Control-Allow-Origin": ["https://ui.example"]}},
    })
    reg = Registry(srv.url, auth=("alice", USERS["alice"]))
    img = images.image(3)
    assert reg.push("cors/app", "v1", img).status_code == 201
    answers = []
    for repo in ("cors/app", "cors/missing"):
        r = requests.options(f"{srv.url}/v2/{repo}/manifests/v1", headers={
            "Origin": "https://ui.example", "Access-Control-Request-Method": "DELETE",
        }, timeout=10)
        assert r.status_code == 200, r.text
        assert r.headers["Access-Control-Allow-Origin"] == "https://ui.example"
        assert r.content == b""
        answers.append((r.headers["Allow"], r.headers.get("Content-Length")))
    assert answers[0] == answers[1]
    # Everything else still needs credentials.
    assert requests.get(f"{srv.url}/v2/cors/app/manifests/v1", timeout=10).status_code == 401
