"""auth.token with Pier's own token server (`tokenserver`): Bearer challenges, the
token endpoint (GET and the OAuth2 password grant), the claims it grants (requested
scope ∩ access policy), verification of every way a token can be wrong, real clients
going through the token flow, and distribution trusting tokens Pier issues."""

from __future__ import annotations

import datetime
import json
import os
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness import Registry, Server, images, tokens
from harness.auth import fetch_token, parse_challenge, token_for, write_htpasswd
from harness.client import error_codes
from harness.server import free_port
from harness.tools import attempt, curl, require_tool, run

pytestmark = pytest.mark.pier_only

SERVICE = "pier-test"
ISSUER = "pier"
USERS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}
POLICY = {
    "admins": ["alice"],
    "rules": [
        {"repository": "team/*", "users": ["bob"], "actions": ["pull", "push"]},
        {"repository": "public/**", "anonymous": True, "users": ["*"], "actions": ["pull"]},
    ],
}


def token_config(port: int, work, **token_extra) -> dict:
    return {
        "auth": {"token": {"realm": f"http://127.0.0.1:{port}/token", "service": SERVICE, "issuer": ISSUER,
                           **token_extra}},
        "tokenserver": {"htpasswd": str(work / "htpasswd"), "key": str(work / "keys" / "token.key"),
                        "expiration": "5m"},
        "access": POLICY,
    }


@pytest.fixture(scope="module")
def token_server(tmp_path_factory):
    from conftest import require_binary

    require_binary("pier")
    work = tmp_path_factory.mktemp("pier-token")
    write_htpasswd(work / "htpasswd", USERS)
    (work / "keys").mkdir()
    port = free_port()
    srv = Server("pier", work, config=token_config(port, work), port=port)
    srv.start()
    yield srv
    crashed = not srv.alive()
    srv.stop()
    if crashed:
        pytest.fail(f"pier died during the module (exit {srv.returncode})\n{srv.log[-4000:]}")


def realm(srv) -> str:
    return srv.config["auth"]["token"]["realm"]


def key_path(srv):
    from pathlib import Path

    return Path(srv.config["tokenserver"]["key"])


def get_token(srv, scopes, user: str | None = "bob") -> str:
    auth = (user, USERS[user]) if user else None
    return token_for(realm(srv), SERVICE, scopes, auth=auth)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def granted(payload: dict) -> dict[str, set[str]]:
    """repository name -> actions granted, for entries that grant something."""
    out: dict[str, set[str]] = {}
    for entry in payload.get("access") or []:
        if entry.get("actions"):
            out.setdefault(f"{entry['type']}:{entry['name']}", set()).update(entry["actions"])
    return out


def assert_bearer_challenge(r, scope: str | None = None, error: str | None = None, srv=None):
    assert r.status_code == 401, f"{r.request.method} {r.url}: {r.status_code} {r.text[:300]}"
    scheme, params = parse_challenge(r.headers.get("WWW-Authenticate", ""))
    assert scheme == "Bearer", r.headers.get("WWW-Authenticate")
    if srv is not None:
        assert params.get("realm") == realm(srv) and params.get("service") == SERVICE, params
    if scope is not None:
        assert params.get("scope") == scope, params
    if error is not None:
        assert params.get("error") == error, params
    assert error_codes(r) == ["UNAUTHORIZED"], r.text
    return params


@pytest.fixture(scope="module")
def seeded(token_server):
    """team/app:v1 and public/base:v1 pushed by the admin."""
    tok = get_token(token_server, ["repository:team/app:pull,push", "repository:public/base:pull,push"], "alice")
    reg = Registry(token_server.url, auth=f"Bearer {tok}")
    img, pub = images.image(1), images.image(1)
    reg.push("team/app", "v1", img)
    reg.push("public/base", "v1", pub)
    return {"team/app": img, "public/base": pub}


# ---- challenges ------------------------------------------------------------------------


def test_anonymous_get_v2_gets_a_bearer_challenge_with_realm_and_service(token_server):
    r = requests.get(token_server.url + "/v2/", timeout=10)
    params = assert_bearer_challenge(r)
    assert params == {"realm": f"http://127.0.0.1:{token_server.port}/token", "service": SERVICE}
    assert r.headers["WWW-Authenticate"] == f'Bearer realm="http://127.0.0.1:{token_server.port}/token",service="{SERVICE}"'


def test_manifest_get_challenge_names_the_repository_pull_scope(token_server):
    r = requests.get(token_server.url + "/v2/team/app/manifests/v1", timeout=10)
    assert_bearer_challenge(r, scope="repository:team/app:pull", srv=token_server)
    assert "error" not in parse_challenge(r.headers["WWW-Authenticate"])[1]


def test_upload_challenge_names_pull_and_push(token_server):
    r = requests.post(token_server.url + "/v2/team/app/blobs/uploads/", timeout=10)
    assert_bearer_challenge(r, scope="repository:team/app:pull,push", srv=token_server)


def test_catalog_challenge_names_the_registry_catalog_scope(token_server):
    r = requests.get(token_server.url + "/v2/_catalog", timeout=10)
    assert_bearer_challenge(r, scope="registry:catalog:*", srv=token_server)


# ---- the token endpoint --------------------------------------------------------------------


def test_token_endpoint_with_basic_credentials_returns_token_access_token_expires_in_issued_at(token_server):
    r = fetch_token(realm(token_server), SERVICE, ["repository:team/app:pull,push"], auth=("bob", "bob-pw"))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["token"] and body["access_token"] == body["token"]
    assert isinstance(body["expires_in"], int) and body["expires_in"] == 300
    issued = datetime.datetime.fromisoformat(body["issued_at"].replace("Z", "+00:00"))
    assert issued.tzinfo is not None
    assert len(body["token"].split(".")) == 3


def test_token_claims_carry_issuer_audience_subject_expiry_and_the_requested_access(token_server):
    tok = get_token(token_server, ["repository:team/app:pull,push"])
    header, claims = tokens.decode(tok)
    assert header["alg"] == "ES256" and header.get("kid")
    assert claims["iss"] == ISSUER
    assert claims["aud"] in (SERVICE, [SERVICE])
    assert claims["sub"] == "bob"
    now = time.time()
    assert claims["exp"] > now
    assert claims["exp"] - claims.get("iat", claims.get("nbf", now)) == pytest.approx(300, abs=5)
    assert claims.get("jti")
    assert claims["access"] == [{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}]


def test_token_kid_is_the_libtrust_fingerprint_of_the_token_certificate(token_server):
    """What distribution looks a rootcertbundle key up by: SHA-256 of the DER
    SubjectPublicKeyInfo, 240 bits, base32, groups of four."""
    header, _ = tokens.decode(get_token(token_server, ["repository:team/app:pull"]))
    cert = x509.load_pem_x509_certificate((key_path(token_server).parent / "token.crt").read_bytes())
    assert header["kid"] == tokens.libtrust_kid(cert.public_key())


def test_granted_access_is_the_intersection_of_requested_scopes_and_the_policy(token_server):
    scopes = ["repository:team/app:pull,push,delete", "repository:other/x:pull,push", "repository:public/base:pull,push"]
    assert granted(tokens.decode(get_token(token_server, scopes, "bob"))[1]) == {
        "repository:team/app": {"pull", "push"},
        "repository:public/base": {"pull"},
    }
    assert granted(tokens.decode(get_token(token_server, scopes, "alice"))[1]) == {
        "repository:team/app": {"pull", "push", "delete"},
        "repository:other/x": {"pull", "push"},
        "repository:public/base": {"pull", "push"},
    }
    assert granted(tokens.decode(get_token(token_server, scopes, "carol"))[1]) == {
        "repository:public/base": {"pull"},
    }


def test_anonymous_token_grants_only_what_the_policy_gives_anonymous_callers(token_server):
    tok = token_for(realm(token_server), SERVICE, ["repository:public/base:pull,push", "repository:team/app:pull"])
    claims = tokens.decode(tok)[1]
    assert granted(claims) == {"repository:public/base": {"pull"}}
    assert not claims.get("sub")


def test_a_token_never_grants_a_repository_name_the_registry_would_refuse(token_server):
    # `public/**` is open to anonymous pulls; a path that climbs out of it is no repository.
    scopes = ["repository:public/../team-a/app:pull", "repository:public/./base:pull", "repository:public/base:pull"]
    claims = tokens.decode(token_for(realm(token_server), SERVICE, scopes))[1]
    assert granted(claims) == {"repository:public/base": {"pull"}}


def test_an_oversized_or_unsupported_token_request_gets_a_json_error(token_server):
    big = requests.post(realm(token_server), data=b"grant_type=password&x=" + b"a" * 100_000,
                        headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert big.status_code == 413, big.text
    assert big.json()["errors"][0]["code"] == "SIZE_INVALID"
    refresh = requests.post(realm(token_server), data={"grant_type": "refresh_token", "refresh_token": "x"}, timeout=10)
    assert refresh.status_code == 400 and refresh.json() == {"error": "unsupported_grant_type"}


def test_oauth2_password_grant_post_returns_an_access_token(token_server):
    r = requests.post(realm(token_server), data={
        "grant_type": "password", "service": SERVICE, "client_id": "pier-e2e",
        "scope": "repository:team/app:pull", "username": "bob", "password": "bob-pw",
    }, timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    claims = tokens.decode(body["access_token"])[1]
    assert claims["sub"] == "bob"
    assert granted(claims) == {"repository:team/app": {"pull"}}
    assert body["expires_in"] > 0
    bad = requests.post(realm(token_server), data={
        "grant_type": "password", "service": SERVICE, "client_id": "pier-e2e",
        "scope": "repository:team/app:pull", "username": "bob", "password": "wrong",
    }, timeout=10)
    assert bad.status_code == 401


@pytest.mark.parametrize("auth", [("bob", "wrong"), ("mallory", "bob-pw"), ("bob", "")], ids=["wrong-password", "unknown-user", "empty-password"])
def test_token_server_refuses_wrong_credentials_with_401(token_server, auth):
    r = fetch_token(realm(token_server), SERVICE, ["repository:team/app:pull"], auth=auth)
    assert r.status_code == 401, r.text
    try:
        body = r.json()
    except ValueError:
        body = {}
    assert not (isinstance(body, dict) and (body.get("token") or body.get("access_token"))), r.text


def test_token_key_and_certificate_are_created_side_by_side(token_server):
    key, crt = key_path(token_server), key_path(token_server).parent / "token.crt"
    assert key.exists() and crt.exists()
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    private = tokens.load_private_key(key)
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(serialization.Encoding.DER, pub) == \
        private.public_key().public_bytes(serialization.Encoding.DER, pub)
    assert private.curve.name == "secp256r1"


def test_token_signing_key_is_not_readable_by_group_or_others(token_server):
    mode = key_path(token_server).stat().st_mode & 0o777
    assert mode & 0o077 == 0, f"token.key has mode {oct(mode)}"


# ---- using tokens -------------------------------------------------------------------------


def test_push_and_pull_with_a_bearer_token_via_curl(token_server, tmp_path):
    tok = get_token(token_server, ["repository:team/curl:pull,push"])
    auth = f"Authorization: Bearer {tok}"
    img = images.image(1)
    base = token_server.url
    for blob in img.blobs:
        start = curl("-X", "POST", "-H", auth, f"{base}/v2/team/curl/blobs/uploads/")
        assert start.status == 202, (start, start.body)
        loc = start.headers["location"]
        loc = loc if loc.startswith("http") else base + loc
        (tmp_path / "blob").write_bytes(blob.data)
        sep = "&" if "?" in loc else "?"
        done = curl("-X", "PUT", "-H", auth, "-H", "Content-Type: application/octet-stream",
                    "--data-binary", f"@{tmp_path / 'blob'}", f"{loc}{sep}digest={blob.digest}")
        assert done.status == 201, (done, done.body)
    (tmp_path / "manifest").write_bytes(img.data)
    put = curl("-X", "PUT", "-H", auth, "-H", f"Content-Type: {img.media_type}", "--data-binary",
               f"@{tmp_path / 'manifest'}", f"{base}/v2/team/curl/manifests/v1")
    assert put.status == 201, (put, put.body)
    got = curl("-H", auth, "-H", f"Accept: {img.media_type}", f"{base}/v2/team/curl/manifests/v1")
    assert got.status == 200 and got.body == img.data
    blob = curl("-L", "-H", auth, f"{base}/v2/team/curl/blobs/{img.blobs[-1].digest}")
    assert blob.status == 200 and blob.body == img.blobs[-1].data
    anonymous = curl(f"{base}/v2/team/curl/manifests/v1")
    assert anonymous.status == 401


def test_a_pull_only_token_cannot_push_insufficient_scope(token_server, seeded):
    tok = get_token(token_server, ["repository:team/app:pull"])
    assert requests.get(token_server.url + "/v2/team/app/manifests/v1", headers=bearer(tok), timeout=10).status_code == 200
    r = requests.post(token_server.url + "/v2/team/app/blobs/uploads/", headers=bearer(tok), timeout=10)
    assert_bearer_challenge(r, scope="repository:team/app:pull,push", error="insufficient_scope", srv=token_server)


def test_anonymous_token_pulls_public_repositories(token_server, seeded):
    tok = token_for(realm(token_server), SERVICE, ["repository:public/base:pull"])
    r = requests.get(token_server.url + "/v2/public/base/manifests/v1", headers=bearer(tok), timeout=10)
    assert r.status_code == 200 and r.content == seeded["public/base"].data


def test_catalog_needs_the_registry_catalog_scope(token_server, seeded):
    tok = get_token(token_server, ["registry:catalog:*"], "alice")
    assert granted(tokens.decode(tok)[1]).get("registry:catalog") == {"*"}
    r = requests.get(token_server.url + "/v2/_catalog", headers=bearer(tok), timeout=10)
    assert r.status_code == 200 and {"team/app", "public/base"} <= set(r.json()["repositories"])
    repo_only = get_token(token_server, ["repository:team/app:pull"], "alice")
    r = requests.get(token_server.url + "/v2/_catalog", headers=bearer(repo_only), timeout=10)
    assert r.status_code == 401


# ---- tokens that must be refused ------------------------------------------------------------


def forge(srv, key=None, header_extra=None, **claim_changes) -> str:
    """A token like the ones Pier issues for bob on team/app (pull), signed with `key`
    (default: Pier's own signing key) after applying the claim changes (None deletes)."""
    real = get_token(srv, ["repository:team/app:pull"])
    header, claims = tokens.decode(real)
    now = int(time.time())
    claims.update({"iat": now, "nbf": now, "exp": now + 300, "jti": os.urandom(8).hex()})
    for k, v in claim_changes.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    header.update(header_extra or {})
    return tokens.sign(header, claims, key or tokens.load_private_key(key_path(srv)))


def manifest_get(srv, tok):
    return requests.get(srv.url + "/v2/team/app/manifests/v1", headers=bearer(tok), timeout=10)


def test_a_token_signed_with_piers_key_by_the_test_is_accepted(token_server, seeded):
    """The control for the refusals below: the test's own signing is right."""
    r = manifest_get(token_server, forge(token_server))
    assert r.status_code == 200, r.text


def _foreign_key_own_kid(srv):
    key = tokens.new_es256_key()
    return forge(srv, key=key, header_extra={"kid": tokens.libtrust_kid(key.public_key())})


def _altered_payload(srv):
    real = get_token(srv, ["repository:team/app:pull"])
    claims = tokens.decode(real)[1]
    claims["access"] = [{"type": "repository", "name": "team/app", "actions": ["pull", "push", "delete"]}]
    return tokens.replace_payload(real, claims)


def _alg_none(srv):
    header, claims = tokens.decode(get_token(srv, ["repository:team/app:pull"]))
    return tokens.unsigned(header, claims)


def _x5c_self_signed(srv):
    """A foreign key whose certificate travels in x5c but does not chain to the bundle."""
    from harness.pki import CA
    import base64

    ca = CA("not the token issuer")
    leaf = ca.issue("token-signer")
    der = leaf.cert.public_bytes(serialization.Encoding.DER)
    ca_der = ca.cert.public_bytes(serialization.Encoding.DER)
    return forge(srv, key=leaf.key, header_extra={"kid": tokens.libtrust_kid(leaf.key.public_key()),
                                                    "x5c": [base64.b64encode(der).decode(), base64.b64encode(ca_der).decode()]})


BAD_TOKENS = {
    "garbage": lambda srv: "not-a-jwt",
    "three_garbage_parts": lambda srv: "eyJhbGciOiJFUzI1NiJ9.e30.AAAA",
    "altered_payload": _altered_payload,
    "foreign_key_with_its_own_kid": _foreign_key_own_kid,
    "foreign_key_claiming_piers_kid": lambda srv: forge(srv, key=tokens.new_es256_key()),
    "foreign_key_in_x5c": _x5c_self_signed,
    "expired": lambda srv: forge(srv, iat=int(time.time()) - 900, nbf=int(time.time()) - 900, exp=int(time.time()) - 600),
    "not_yet_valid": lambda srv: forge(srv, nbf=int(time.time()) + 600, exp=int(time.time()) + 900),
    "other_audience": lambda srv: forge(srv, aud="other-service"),
    "other_issuer": lambda srv: forge(srv, iss="someone-else"),
    "no_expiry": lambda srv: forge(srv, exp=None),
    "alg_none": _alg_none,
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_invalid_tokens_are_refused_with_401_invalid_token(token_server, seeded, case):
    tok = BAD_TOKENS[case](token_server)
    r = manifest_get(token_server, tok)
    assert_bearer_challenge(r, scope="repository:team/app:pull", error="invalid_token", srv=token_server)


def test_a_token_for_another_repository_is_refused_with_insufficient_scope(token_server, seeded):
    tok = get_token(token_server, ["repository:team/other:pull"])
    r = manifest_get(token_server, tok)
    assert_bearer_challenge(r, scope="repository:team/app:pull", error="insufficient_scope", srv=token_server)
    forged = forge(token_server, access=[{"type": "repository", "name": "team/apps", "actions": ["pull"]}])
    assert manifest_get(token_server, forged).status_code == 401


def test_a_token_within_the_leeway_of_nbf_is_accepted(token_server, seeded):
    now = int(time.time())
    r = manifest_get(token_server, forge(token_server, nbf=now + 20, iat=now, exp=now + 300))
    assert r.status_code == 200, r.text


def test_basic_credentials_are_not_accepted_by_the_registry_in_token_mode(token_server, seeded):
    r = requests.get(token_server.url + "/v2/team/app/manifests/v1", auth=("bob", "bob-pw"), timeout=10)
    assert_bearer_challenge(r, srv=token_server)


def test_tokens_and_passwords_never_appear_in_the_log(token_server, seeded):
    tok = get_token(token_server, ["repository:team/app:pull"])
    assert manifest_get(token_server, tok).status_code == 200
    manifest_get(token_server, tok + "x")
    log = token_server.log
    assert tok.split(".")[2] not in log and tok.split(".")[1] not in log
    assert "bob-pw" not in log and "alice-pw" not in log


def test_tokens_stay_valid_across_a_restart_the_key_is_kept(make_server, tmp_path, need_pier):
    write_htpasswd(tmp_path / "htpasswd", USERS)
    (tmp_path / "keys").mkdir()
    port = free_port()
    srv = make_server("pier", config=token_config(port, tmp_path), port=port)
    tok = get_token(srv, ["repository:team/app:pull,push"])
    reg = Registry(srv.url, auth=f"Bearer {tok}")
    reg.push("team/app", "v1", images.image(1))
    key_before = key_path(srv).read_bytes()
    srv.restart()
    assert key_path(srv).read_bytes() == key_before
    assert reg.get_manifest("team/app", "v1").status_code == 200


# ---- real clients through the token flow ---------------------------------------------------------

clients = pytest.mark.clients


@clients
def test_podman_login_push_and_pull_through_the_token_server(token_server, tmp_path, podman_factory):
    img = images.image(1, layer_size=20_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    pusher = podman_factory("pusher")
    bad = pusher.attempt("login", "--tls-verify=false", "-u", "bob", "--password-stdin", token_server.host, input="nope\n")
    assert bad.returncode != 0
    pusher("login", "--tls-verify=false", "-u", "bob", "--password-stdin", token_server.host, input="bob-pw\n")
    image_id = pusher("pull", "-q", f"oci:{tmp_path}/src:v1").splitlines()[-1]
    target = f"{token_server.host}/team/podman:v1"
    pusher("push", "--tls-verify=false", "--digestfile", str(tmp_path / "digest"), image_id, f"docker://{target}")
    pushed = (tmp_path / "digest").read_text().strip()
    # bob may not push outside team/*.
    denied = pusher.attempt("push", "--tls-verify=false", image_id, f"docker://{token_server.host}/other/podman:v1")
    assert denied.returncode != 0
    puller = podman_factory("puller")
    puller("login", "--tls-verify=false", "-u", "carol", "--password-stdin", token_server.host, input="carol-pw\n")
    assert puller.attempt("pull", "--tls-verify=false", target).returncode != 0  # carol: no pull on team/*
    puller("login", "--tls-verify=false", "-u", "alice", "--password-stdin", token_server.host, input="alice-pw\n")
    puller("pull", "--tls-verify=false", target)
    assert json.loads(puller("image", "inspect", target))[0]["Digest"] == pushed


@clients
def test_skopeo_login_and_copy_through_the_token_server(token_server, tmp_path):
    require_tool("skopeo")
    authfile = str(tmp_path / "auth.json")
    img = images.image(2, layer_size=20_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    run(["skopeo", "login", "--authfile", authfile, "--tls-verify=false", "-u", "bob", "--password-stdin",
         token_server.host], input="bob-pw\n")
    dest = f"docker://{token_server.host}/team/skopeo:v1"
    run(["skopeo", "copy", "--authfile", authfile, "--dest-tls-verify=false", f"oci:{tmp_path}/src:v1", dest])
    tok = get_token(token_server, ["repository:team/skopeo:pull"])
    assert Registry(token_server.url, auth=f"Bearer {tok}").get_manifest("team/skopeo", "v1").content == img.data
    run(["skopeo", "copy", "--authfile", authfile, "--src-tls-verify=false", dest, f"oci:{tmp_path}/out:v1"])
    assert images.oci_layout_descriptor(tmp_path / "out", "v1")["digest"] == img.digest
    anonymous = attempt(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{tmp_path}/src:v1",
                         f"docker://{token_server.host}/team/skopeo:v2"])
    assert anonymous.returncode != 0


@clients
def test_skopeo_pulls_a_public_image_anonymously_through_the_token_flow(token_server, seeded, tmp_path):
    require_tool("skopeo")
    src = f"docker://{token_server.host}/public/base:v1"
    raw = run(["skopeo", "inspect", "--raw", "--tls-verify=false", "--no-creds", src])
    assert raw.encode().rstrip(b"\n") == seeded["public/base"].data
    private = attempt(["skopeo", "inspect", "--raw", "--tls-verify=false", "--no-creds",
                       f"docker://{token_server.host}/team/app:v1"])
    assert private.returncode != 0


@clients
def test_distribution_accepts_tokens_issued_by_pier(token_server, make_server, tmp_path):
    """The reference registry, with Pier's token.crt as its rootcertbundle and Pier's
    token endpoint as its realm, lets skopeo push with credentials Pier checks."""
    require_tool("skopeo")
    crt = key_path(token_server).parent / "token.crt"
    dist = make_server("distribution", config={"auth": {"token": {
        "realm": realm(token_server), "service": SERVICE, "issuer": ISSUER, "rootcertbundle": str(crt),
    }}})
    img = images.image(1, layer_size=20_000)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    dest = f"docker://{dist.host}/team/interop:v1"
    run(["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "bob:bob-pw", f"oci:{tmp_path}/src:v1", dest])
    tok = get_token(token_server, ["repository:team/interop:pull"])
    r = Registry(dist.url, auth=f"Bearer {tok}").get_manifest("team/interop", "v1")
    assert r.status_code == 200 and r.content == img.data
    denied = attempt(["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "carol:carol-pw",
                      f"oci:{tmp_path}/src:v1", f"docker://{dist.host}/team/interop:v2"])
    assert denied.returncode != 0


# ---- tokens from another issuer: rootcertbundle, x5c, JWKS, signing algorithms ----------------------


def external_claims(repo: str, actions=("pull", "push"), issuer="external-issuer") -> dict:
    now = int(time.time())
    return {"iss": issuer, "sub": "robot", "aud": SERVICE, "iat": now, "nbf": now, "exp": now + 300,
            "jti": os.urandom(8).hex(), "access": [{"type": "repository", "name": repo, "actions": list(actions)}]}


def external_server(make_server, **token):
    """Pier verifying tokens of an external issuer (no tokenserver section)."""
    return make_server("pier", config={"auth": {"token": {
        "realm": "http://127.0.0.1:9/token", "service": SERVICE, "issuer": "external-issuer", **token}}})


def push_pull_with(srv, token: str, repo: str) -> None:
    reg = Registry(srv.url, auth=f"Bearer {token}")
    img = images.image(1)
    reg.push(repo, "v1", img)
    assert reg.get_manifest(repo, "v1").content == img.data


@pytest.mark.parametrize("key_kind", ["ec", "rsa"])
def test_external_tokens_verify_by_the_libtrust_kid_of_a_bundle_certificate(make_server, tmp_path, need_pier, key_kind):
    from harness.pki import CA

    signer = CA("external token signer", key_kind=key_kind)  # a self-signed certificate and its key
    bundle = signer.write(tmp_path / "bundle.crt")
    srv = external_server(make_server, rootcertbundle=bundle)
    kid = tokens.libtrust_kid(signer.key.public_key())
    push_pull_with(srv, tokens.sign({"typ": "JWT", "kid": kid}, external_claims("ext/kid"), signer.key), "ext/kid")
    other = tokens.sign({"typ": "JWT", "kid": "AAAA:BBBB"}, external_claims("ext/kid"), signer.key)
    assert_bearer_challenge(requests.get(srv.url + "/v2/ext/kid/manifests/v1", headers=bearer(other), timeout=10),
                            error="invalid_token")


def test_external_tokens_verify_by_an_x5c_chain_ending_in_the_bundle(make_server, tmp_path, need_pier):
    import base64

    from harness.pki import CA

    root = CA("external token root")
    bundle = root.write(tmp_path / "bundle.crt")
    leaf = root.issue("token signer")
    x5c = [base64.b64encode(leaf.cert.public_bytes(serialization.Encoding.DER)).decode()]
    srv = external_server(make_server, rootcertbundle=bundle)
    push_pull_with(srv, tokens.sign({"typ": "JWT", "x5c": x5c}, external_claims("ext/x5c"), leaf.key), "ext/x5c")
    stranger = CA("stranger").issue("token signer")
    bad_x5c = [base64.b64encode(stranger.cert.public_bytes(serialization.Encoding.DER)).decode()]
    bad = tokens.sign({"typ": "JWT", "x5c": bad_x5c}, external_claims("ext/x5c"), stranger.key)
    assert_bearer_challenge(requests.get(srv.url + "/v2/ext/x5c/manifests/v1", headers=bearer(bad), timeout=10),
                            error="invalid_token")


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_external_tokens_verify_by_a_jwks_key_id(make_server, tmp_path, need_pier, alg):
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from harness.pki import new_key

    key = {"ES256": lambda: new_key("ec"), "RS256": lambda: new_key("rsa"),
           "EdDSA": ed25519.Ed25519PrivateKey.generate}[alg]()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [tokens.jwk(key.public_key(), f"ext-{alg}")]}))
    srv = external_server(make_server, jwks=str(jwks))
    tok = tokens.sign({"typ": "JWT", "kid": f"ext-{alg}"}, external_claims(f"ext/{alg.lower()}"), key)
    assert tokens.decode(tok)[0]["alg"] == alg
    push_pull_with(srv, tok, f"ext/{alg.lower()}")


def test_signingalgorithms_restricts_the_accepted_algorithms(make_server, tmp_path, need_pier):
    from harness.pki import new_key

    ec_key, rsa_key = new_key("ec"), new_key("rsa")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [tokens.jwk(ec_key.public_key(), "ec"), tokens.jwk(rsa_key.public_key(), "rsa")]}))
    srv = external_server(make_server, jwks=str(jwks), signingalgorithms=["ES256"])
    push_pull_with(srv, tokens.sign({"kid": "ec"}, external_claims("ext/algs"), ec_key), "ext/algs")
    refused = tokens.sign({"kid": "rsa"}, external_claims("ext/algs"), rsa_key)
    assert_bearer_challenge(requests.get(srv.url + "/v2/ext/algs/manifests/v1", headers=bearer(refused), timeout=10),
                            error="invalid_token")


# ---- hardening: failures that must not lock anyone out, and how long a token may live -------------


def test_bad_bearer_tokens_do_not_count_against_password_logins(make_server, tmp_path, need_pier):
    write_htpasswd(tmp_path / "htpasswd", USERS)
    (tmp_path / "keys").mkdir()
    port = free_port()
    srv = make_server("pier", config=token_config(port, tmp_path), port=port)
    for i in range(25):
        r = requests.get(srv.url + "/v2/", headers=bearer(f"not.a.token{i}"), timeout=10)
        assert r.status_code == 401, r.text
    # The same address still gets a token with the right password.
    r = requests.get(realm(srv), params={"service": SERVICE}, auth=("bob", USERS["bob"]), timeout=30)
    assert r.status_code == 200, r.text


def test_the_token_server_answers_a_guesser_with_429_and_retry_after_but_serves_other_users(make_server, tmp_path, need_pier):
    write_htpasswd(tmp_path / "htpasswd", USERS)
    (tmp_path / "keys").mkdir()
    port = free_port()
    srv = make_server("pier", config=token_config(port, tmp_path), port=port)
    codes = [requests.get(realm(srv), params={"service": SERVICE}, auth=("carol", f"guess-{i}"), timeout=30).status_code
             for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429], codes
    locked = requests.get(realm(srv), params={"service": SERVICE}, auth=("carol", USERS["carol"]), timeout=30)
    assert locked.status_code == 429 and error_codes(locked) == ["TOOMANYREQUESTS"], locked.text
    assert 1 <= int(locked.headers["Retry-After"]) <= 60, locked.headers
    r = requests.get(realm(srv), params={"service": SERVICE}, auth=("bob", USERS["bob"]), timeout=30)
    assert r.status_code == 200, r.text


def test_maxlifetime_refuses_tokens_valid_for_longer(make_server, tmp_path, need_pier):
    from harness.pki import CA

    signer = CA("long-lived token signer")
    bundle = signer.write(tmp_path / "bundle.crt")
    srv = external_server(make_server, rootcertbundle=bundle, maxlifetime="10m")
    kid = tokens.libtrust_kid(signer.key.public_key())
    push_pull_with(srv, tokens.sign({"typ": "JWT", "kid": kid}, external_claims("ext/short"), signer.key), "ext/short")
    claims = external_claims("ext/short")
    claims["exp"] = claims["iat"] + 30 * 86400
    r = requests.get(srv.url + "/v2/ext/short/manifests/v1", headers=bearer(tokens.sign({"typ": "JWT", "kid": kid}, claims, signer.key)),
                     timeout=10)
    assert_bearer_challenge(r, error="invalid_token")


def test_a_token_server_expiration_over_maxlifetime_is_a_configuration_error(tmp_path, need_pier):
    import subprocess

    from harness.server import pier_bin

    config = tmp_path / "config.yml"
    config.write_text(
        "version: 0.1\nauth:\n  token:\n    realm: http://127.0.0.1:5000/token\n    service: s\n    issuer: pier\n"
        f"    maxlifetime: 5m\ntokenserver:\n  htpasswd: {tmp_path}/htpasswd\n  key: {tmp_path}/token.key\n  expiration: 1h\n"
    )
    out = subprocess.run([pier_bin(), "config", "check", str(config)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "tokenserver.expiration" in out.stderr, out.stderr
