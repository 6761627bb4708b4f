"""Pier behind nginx, the usual "registry behind a reverse proxy" setup: nginx
terminates TLS, does auth_basic (a `$2y$` htpasswd file, as `htpasswd -B` writes) and
proxies to Pier's plain listener with X-Forwarded-Proto and the client's Host. Clients
push and pull through nginx, and every URL Pier hands out points at nginx. Also
X-Forwarded-Proto / X-Forwarded-Host sent straight to Pier."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import requests

from harness import RawConnection, Registry, Server, images
from harness.auth import parse_challenge, write_htpasswd
from harness.client import next_link
from harness.nginx import Nginx, nginx_bin, registry_proxy_conf
from harness.pki import CA
from harness.server import free_port
from harness.tools import attempt, curl, eventually, in_ci, require_tool, run

pytestmark = [pytest.mark.pier_only, pytest.mark.usefixtures("need_pier")]

USER, PASSWORD = "proxyuser", "proxy-pw"


@dataclass
class Proxied:
    pier: Server
    nginx: Nginx
    port: int
    ca_path: str
    certs_dir: str

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.host}"

    def registry(self, auth=(USER, PASSWORD)) -> Registry:
        return Registry(self.url, auth=auth, verify=self.ca_path)


@pytest.fixture
def proxied(make_server, tmp_path):
    if nginx_bin() is None:
        msg = "nginx not installed (apt-get install nginx)"
        pytest.fail(msg) if in_ci() else pytest.skip(msg)
    ca = CA()
    tls_dir = tmp_path / "tls"
    ca_path = ca.write(tls_dir / "ca.crt")
    cert, key = ca.server_cert().write(tls_dir, "server")
    certs_dir = tmp_path / "certs.d"
    certs_dir.mkdir()
    (certs_dir / "ca.crt").write_bytes(ca.cert_pem)
    htpasswd = write_htpasswd(tmp_path / "nginx.htpasswd", {USER: PASSWORD}, prefix="2y", cost=5)
    pier = make_server("pier")
    port = free_port()
    nginx = Nginx(tmp_path / "nginx", registry_proxy_conf(port, pier.host, cert, key, str(htpasswd)), [port]).start()
    yield Proxied(pier, nginx, port, ca_path, str(certs_dir))
    nginx.stop()


def test_nginx_asks_for_credentials_and_passes_the_api_through(proxied):
    r = requests.get(proxied.url + "/v2/", verify=proxied.ca_path, timeout=10)
    assert r.status_code == 401
    assert parse_challenge(r.headers["WWW-Authenticate"])[0] == "Basic"
    r = requests.get(proxied.url + "/v2/", auth=(USER, PASSWORD), verify=proxied.ca_path, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Docker-Distribution-Api-Version"] == "registry/2.0"


def test_upload_location_points_at_the_proxy_over_https(proxied):
    r = curl("--cacert", proxied.ca_path, "-u", f"{USER}:{PASSWORD}", "-X", "POST",
             f"{proxied.url}/v2/rp/loc/blobs/uploads/")
    assert r.status == 202, (r, r.body)
    assert r.headers["location"].startswith(f"https://127.0.0.1:{proxied.port}/v2/rp/loc/blobs/uploads/"), r.headers
    r = curl("--cacert", proxied.ca_path, "-u", f"{USER}:{PASSWORD}", "-X", "POST",
             "--resolve", f"localhost:{proxied.port}:127.0.0.1", f"https://localhost:{proxied.port}/v2/rp/loc/blobs/uploads/")
    assert r.status == 202 and r.headers["location"].startswith(f"https://localhost:{proxied.port}/v2/rp/loc/"), r.headers


@pytest.mark.parametrize("mode", ["monolithic", "chunked", "stream"])
def test_blobs_push_and_pull_through_the_proxy(proxied, mode):
    reg = proxied.registry()
    data = images.random_bytes(3 * 1024 * 1024 + 17)  # past nginx's default 1 MiB body limit
    r = reg.push_blob(f"rp/{mode}", data, mode=mode, chunk=512 * 1024)
    assert r.status_code == 201, r.text
    assert r.headers["Location"].startswith(proxied.url + "/v2/"), r.headers["Location"]
    got = reg.get_blob(f"rp/{mode}", images.sha256(data))
    assert got.status_code == 200 and got.content == data


def test_tags_link_header_points_at_the_proxy_or_is_relative(proxied):
    reg = proxied.registry()
    img = images.image(1)
    reg.push("rp/tags", "a", img)
    reg.put_manifest("rp/tags", "b", img)
    r = reg.get("/v2/rp/tags/tags/list", params={"n": 1})
    link = next_link(r)
    assert link, r.headers
    assert link.startswith("/v2/") or link.startswith(proxied.url + "/v2/"), link
    union, _ = reg.paginate("/v2/rp/tags/tags/list", "tags", n=1)
    assert union == ["a", "b"]


@pytest.mark.clients
def test_skopeo_pushes_and_pulls_through_nginx(proxied, tmp_path):
    require_tool("skopeo")
    img = images.image(2, layer_size=200_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    dest = f"docker://{proxied.host}/rp/skopeo:v1"
    refused = attempt(["skopeo", "copy", "--dest-cert-dir", proxied.certs_dir, f"oci:{tmp_path}/src:v1", dest])
    assert refused.returncode != 0
    run(["skopeo", "copy", "--dest-cert-dir", proxied.certs_dir, "--dest-creds", f"{USER}:{PASSWORD}",
         f"oci:{tmp_path}/src:v1", dest])
    assert proxied.registry().get_manifest("rp/skopeo", "v1").content == img.data
    assert Registry(proxied.pier.url).get_manifest("rp/skopeo", "v1").content == img.data
    run(["skopeo", "copy", "--src-cert-dir", proxied.certs_dir, "--src-creds", f"{USER}:{PASSWORD}",
         dest, f"oci:{tmp_path}/out:v1"])
    assert images.oci_layout_descriptor(tmp_path / "out", "v1")["digest"] == img.digest


@pytest.mark.clients
def test_podman_login_push_and_pull_through_nginx(proxied, tmp_path, podman_factory):
    img = images.image(2, layer_size=200_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    p = podman_factory("pusher")
    assert p.attempt("login", "--cert-dir", proxied.certs_dir, "-u", USER, "--password-stdin", proxied.host,
                     input="wrong\n").returncode != 0
    p("login", "--cert-dir", proxied.certs_dir, "-u", USER, "--password-stdin", proxied.host, input=PASSWORD + "\n")
    image_id = p("pull", "-q", f"oci:{tmp_path}/src:v1").splitlines()[-1]
    target = f"{proxied.host}/rp/podman:v1"
    p("push", "--cert-dir", proxied.certs_dir, "--digestfile", str(tmp_path / "digest"), image_id, f"docker://{target}")
    fresh = podman_factory("puller")
    fresh("login", "--cert-dir", proxied.certs_dir, "-u", USER, "--password-stdin", proxied.host, input=PASSWORD + "\n")
    fresh("pull", "--cert-dir", proxied.certs_dir, target)
    info = json.loads(fresh("image", "inspect", target))[0]
    assert info["Digest"] == (tmp_path / "digest").read_text().strip()
    assert info["Id"] == image_id


# ---- forwarded headers sent straight to Pier ----------------------------------------------------


@pytest.fixture
def plain_pier(make_server):
    return make_server("pier")


FORWARDED = [
    ({"X-Forwarded-Proto": "https"}, "https://{host}"),
    ({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example.com"}, "https://registry.example.com"),
    ({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example.com:8443"}, "https://registry.example.com:8443"),
    ({"X-Forwarded-Host": "registry.example.com"}, "http://registry.example.com"),
    ({}, "http://{host}"),
    # RFC 7239, as a proxy that sends no X-Forwarded-* says it (distribution reads it too).
    ({"Forwarded": "for=1.2.3.4;proto=https;host=registry.example.com"}, "https://registry.example.com"),
    ({"Forwarded": 'Proto=https;Host="registry.example.com:8443", for=10.0.0.1;host=inner'}, "https://registry.example.com:8443"),
    ({"Forwarded": "proto=https;host=outer.example", "X-Forwarded-Host": "registry.example.com"}, "https://registry.example.com"),
]


@pytest.mark.parametrize("headers, base", FORWARDED, ids=["proto", "proto+host", "proto+host:port", "host", "none",
                                                           "rfc7239", "rfc7239-quoted-list", "x-forwarded-first"])
def test_forwarded_headers_shape_the_location_of_an_upload(plain_pier, headers, base):
    expected = base.format(host=plain_pier.host) + "/v2/fwd/app/blobs/uploads/"
    args = [x for k, v in headers.items() for x in ("-H", f"{k}: {v}")]
    r = curl("-X", "POST", *args, f"{plain_pier.url}/v2/fwd/app/blobs/uploads/")
    assert r.status == 202, (r, r.body)
    assert r.headers["location"].startswith(expected), (headers, r.headers["location"])
    # The next request of the upload carries the same headers and gets the same base back.
    loc = r.headers["location"]
    path = loc[loc.index("/v2/"):]
    r = curl("-X", "PATCH", *args, "-H", "Content-Type: application/octet-stream", "--data-binary", "abc",
             f"{plain_pier.url}{path}")
    assert r.status == 202, (r, r.body)
    assert r.headers["location"].startswith(expected), (headers, r.headers["location"])


@pytest.mark.parametrize("headers, base", [
    ({"X-Forwarded-Host": "evil.example/phish?x=", "X-Forwarded-Proto": "https"}, "https://{host}"),
    ({"X-Forwarded-Host": "a b", "X-Forwarded-Proto": "javascript:alert(1)//"}, "http://{host}"),
    ({"X-Forwarded-Host": "user@evil.example"}, "http://{host}"),
    ({"X-Forwarded-Host": "[::1]:5000, proxy.internal"}, "http://[::1]:5000"),
], ids=["path-in-host", "space-and-bad-scheme", "userinfo", "ipv6-literal"])
def test_forwarded_headers_that_name_no_host_or_scheme_are_passed_over(plain_pier, headers, base):
    # Distribution writes such values into Location as they are; a URL the server hands
    # out must point at a host, so a proxy's header that is none is not believed.
    args = [x for k, v in headers.items() for x in ("-H", f"{k}: {v}")]
    r = curl("-X", "POST", *args, f"{plain_pier.url}/v2/fwd/odd/blobs/uploads/")
    assert r.status == 202, (r, r.body)
    assert r.headers["location"].startswith(base.format(host=plain_pier.host) + "/v2/fwd/odd/blobs/uploads/"), r.headers["location"]


@pytest.mark.parametrize("hosts", [["evil.example/x"], ["a b"], ["x?y"], ["reg.example", "other.example"]],
                         ids=["path", "space", "query", "two-differing"])
def test_a_host_header_that_is_no_host_or_is_ambiguous_is_a_400(plain_pier, hosts):
    # RFC 9112 §3.2: a server MUST answer 400 to a Host that is not one, or to several.
    with RawConnection(plain_pier.host, timeout=10) as conn:
        head = "POST /v2/fwd/host/blobs/uploads/ HTTP/1.1\r\n" + "".join(f"Host: {v}\r\n" for v in hosts)
        conn.send((head + "Content-Length: 0\r\n\r\n").encode())
        status, headers = conn.read_head()
        body = conn.read_body(headers)
    assert status.startswith("HTTP/1.1 400"), (status, body)
    assert json.loads(body)["errors"][0]["code"] == "REQUEST_INVALID", body
    # The same Host twice, an IPv6 literal, and none at all (HTTP/1.0, health checkers) pass.
    for extra in ([plain_pier.host, plain_pier.host], ["[::1]:5000"]):
        r = curl("-X", "POST", *[x for v in extra for x in ("-H", f"Host: {v}")], f"{plain_pier.url}/v2/fwd/host/blobs/uploads/")
        assert r.status == 202, (extra, r, r.body)
    r = curl("--http1.0", "-H", "Host:", f"{plain_pier.url}/v2/")
    assert r.status == 200, r


def test_forwarded_headers_shape_the_location_of_a_finished_blob_and_manifest(plain_pier):
    reg = Registry(plain_pier.url)
    fwd = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example.com"}
    img = images.image(1)
    for blob in img.blobs:
        loc = reg.upload_url("fwd/done")
        r = reg.put(loc, params={"digest": blob.digest}, data=blob.data,
                    headers={**fwd, "Content-Type": "application/octet-stream"})
        assert r.status_code == 201
        assert r.headers["Location"] == f"https://registry.example.com/v2/fwd/done/blobs/{blob.digest}", r.headers["Location"]
    r = reg.put(f"/v2/fwd/done/manifests/v1", data=img.data, headers={**fwd, "Content-Type": img.media_type})
    assert r.status_code == 201
    assert r.headers["Location"] == f"https://registry.example.com/v2/fwd/done/manifests/{img.digest}", r.headers["Location"]


def test_forwarded_headers_shape_an_absolute_link_header(plain_pier):
    reg = Registry(plain_pier.url)
    img = images.image(1)
    reg.push("fwd/tags", "a", img)
    reg.put_manifest("fwd/tags", "b", img)
    r = reg.get("/v2/fwd/tags/tags/list", params={"n": 1},
                headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example.com"})
    link = next_link(r)
    assert link, r.headers
    assert link.startswith("/v2/") or link.startswith("https://registry.example.com/v2/"), link


def test_nginx_keeps_its_basic_auth_and_pier_reading_the_same_file_knows_who_pushed(make_server, tmp_path):
    """The seeds' setup kept: nginx's `auth_basic` in front, its file made by Apache's
    `htpasswd -c` (MD5, its default). nginx passes the `Authorization` header on, so Pier
    given the same file (and nginx as a trusted proxy) knows the user: the index names the
    pusher and the access line the user, where a Pier without `auth` would see everyone as
    anonymous."""
    if nginx_bin() is None:
        msg = "nginx not installed (apt-get install nginx)"
        pytest.fail(msg) if in_ci() else pytest.skip(msg)
    require_tool("htpasswd")
    shared = tmp_path / "nginx.htpasswd"
    run(["htpasswd", "-cb", str(shared), USER, PASSWORD])
    assert shared.read_text().startswith(f"{USER}:$apr1$")
    ca = CA()
    ca_path = ca.write(tmp_path / "tls" / "ca.crt")
    cert, key = ca.server_cert().write(tmp_path / "tls", "server")
    pier = make_server("pier", config={
        "auth": {"htpasswd": {"realm": "Registry realm", "path": str(shared)}},
        "http": {"trustedproxies": ["127.0.0.1/32"]},
    })
    port = free_port()
    nginx = Nginx(tmp_path / "nginx", registry_proxy_conf(port, pier.host, cert, key, str(shared)), [port]).start()
    try:
        url = f"https://127.0.0.1:{port}"
        assert requests.get(url + "/v2/", verify=ca_path, timeout=10).status_code == 401
        reg = Registry(url, auth=(USER, PASSWORD), verify=ca_path)
        img = images.image(1)
        assert reg.push("rp/who", "v1", img).status_code == 201
        tags = eventually(lambda: (lambda r: r.json() if r.status_code == 200 and r.json().get("count") else None)(
            requests.get(pier.url + "/api/v1/repositories/rp/who/tags", auth=(USER, PASSWORD), timeout=10)), 15)
        assert tags and tags["results"][0]["pusher"] == USER, tags
        assert eventually(lambda: "PUT /v2/rp/who/manifests/v1" in pier.log, 15)
        line = next(entry for entry in pier.log.splitlines() if "PUT /v2/rp/who/manifests/v1" in entry)
        assert f"user={USER}" in line, line
    finally:
        nginx.stop()
