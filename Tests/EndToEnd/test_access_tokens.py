"""Personal access tokens: made through the API with a password, shown once, stored
hashed, scoped (read, write, delete), expiring and revocable, and accepted wherever a
password is: Basic auth on /v2/ and /api/v1/, and Pier's token server."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
import requests

from harness import Registry, images
from harness.index_api import api, try_push
from harness.client import error_codes

pytestmark = pytest.mark.pier_only

USERS = {"alice": "alice-pw", "bob": "bob-pw"}
ALICE = ("alice", "alice-pw")




@pytest.fixture
def guarded(make_server, htpasswd):
    path = htpasswd(USERS)
    return make_server("pier", config={"auth": {"htpasswd": {"realm": "pier", "path": str(path)}}})


def make_token(srv, scopes, auth=ALICE, **extra) -> dict:
    r = api(srv, "/api/v1/tokens", auth=auth, method="POST", json={"name": "ci", "scopes": scopes, **extra})
    assert r.status_code == 201, r.text
    assert r.headers.get("Cache-Control") == "no-store"
    return r.json()


def test_a_token_is_shown_once_listed_without_its_secret_and_stored_hashed(guarded):
    made = make_token(guarded, ["write"], expires_in_days=30)
    assert made["token"].startswith("pier_pat_") and len(made["token"]) == 49
    assert made["scopes"] == ["write"] and made["expires_at"]
    listed = api(guarded, "/api/v1/tokens", auth=ALICE).json()["results"]
    assert [t["id"] for t in listed] == [made["id"]] and "token" not in listed[0]
    assert api(guarded, "/api/v1/tokens", auth=("bob", "bob-pw")).json()["results"] == []
    stored = b"".join(p.read_bytes() for p in (guarded.root / "pier").glob("index.db*"))
    assert made["token"].encode() not in stored


def test_a_token_works_as_a_password_within_its_scopes(guarded):
    write = make_token(guarded, ["write"])["token"]
    read = make_token(guarded, ["read"])["token"]
    image = images.image(1)
    assert try_push(Registry(guarded.url, auth=("alice", write)), "alice/app", "v1", image) == 201
    assert Registry(guarded.url, auth=("alice", read)).get_manifest("alice/app", "v1").status_code == 200
    assert try_push(Registry(guarded.url, auth=("alice", read)), "alice/app", "v2", image) == 403
    # Deleting needs the delete scope.
    digest = Registry(guarded.url, auth=ALICE).get_manifest("alice/app", "v1").headers["Docker-Content-Digest"]
    assert Registry(guarded.url, auth=("alice", write)).delete(f"/v2/alice/app/manifests/{digest}").status_code == 403
    delete = make_token(guarded, ["delete"])["token"]
    assert Registry(guarded.url, auth=("alice", delete)).delete(f"/v2/alice/app/manifests/{digest}").status_code == 202
    # The index API takes it too; a read-only token reads only.
    assert api(guarded, "/api/v1/search", auth=("alice", read)).status_code == 200
    Registry(guarded.url, auth=ALICE).push("alice/app", "v3", image)
    r = api(guarded, "/api/v1/repositories/alice/app/star", auth=("alice", read), method="PUT")
    assert r.status_code in (403, 404)


def test_a_token_speaks_only_for_its_owner_and_stops_at_once_when_revoked(guarded):
    made = make_token(guarded, ["read"])
    token = made["token"]
    assert Registry(guarded.url, auth=("alice", token)).get("/v2/").status_code == 200
    refused = Registry(guarded.url, auth=("bob", token)).get("/v2/")
    assert refused.status_code == 401 and error_codes(refused) == ["UNAUTHORIZED"]
    assert Registry(guarded.url, auth=("alice", token[:-1] + ("0" if token[-1] != "0" else "1"))).get("/v2/").status_code == 401
    assert api(guarded, f"/api/v1/tokens/{made['id']}", auth=("bob", "bob-pw"), method="DELETE").status_code == 404
    assert api(guarded, f"/api/v1/tokens/{made['id']}", auth=ALICE, method="DELETE").status_code == 204
    assert Registry(guarded.url, auth=("alice", token)).get("/v2/").status_code == 401
    assert api(guarded, f"/api/v1/tokens/{made['id']}", auth=ALICE, method="DELETE").status_code == 404


def index_sql(request, srv, statement: str) -> None:
    """Runs `statement` on the server's index database, SQLite or PostgreSQL."""
    url = (srv.config.get("index") or {}).get("database")
    if url and url.startswith("postgres"):
        request.getfixturevalue("postgres").sql(url.rsplit("/", 1)[1].split("?")[0], statement)
        return
    with sqlite3.connect(srv.root / "pier" / "index.db") as db:
        db.execute(statement)


def test_an_expired_token_is_refused(guarded, request):
    made = make_token(guarded, ["read"], expires_in_days=1)
    assert Registry(guarded.url, auth=("alice", made["token"])).get("/v2/").status_code == 200
    index_sql(request, guarded, f"UPDATE access_tokens SET expires_at = 1 WHERE id = '{made['id']}'")
    assert Registry(guarded.url, auth=("alice", made["token"])).get("/v2/").status_code == 401


def test_tokens_are_managed_with_a_password_not_a_token(guarded):
    token = make_token(guarded, ["delete"])["token"]
    r = api(guarded, "/api/v1/tokens", auth=("alice", token), method="POST", json={"name": "x", "scopes": ["read"]})
    assert r.status_code == 403 and error_codes(r) == ["DENIED"]
    assert api(guarded, "/api/v1/tokens").status_code == 401


@pytest.mark.parametrize("body", [
    {"name": "x", "scopes": ["admin"]}, {"name": "x", "scopes": []}, {"name": "x"}, {"name": "", "scopes": ["read"]},
    {"name": "x", "scopes": ["read"], "expires_in_days": 0}, {"name": "x", "scopes": ["read"], "expires_in_days": True},
    {"name": "x", "scopes": ["read"], "expires_in_days": "7"}, {"name": "x", "scopes": "read"},
    {"name": "x", "scopes": ["read"], "owner": "bob"}, {"name": "x" * 101, "scopes": ["read"]},
])
def test_bad_token_requests_are_refused_and_make_nothing(guarded, body):
    r = api(guarded, "/api/v1/tokens", auth=ALICE, method="POST", json=body)
    assert r.status_code == 400 and error_codes(r) == ["REQUEST_INVALID"], r.text
    assert api(guarded, "/api/v1/tokens", auth=ALICE).json()["results"] == []


def test_piers_token_server_takes_a_token_as_the_password_and_grants_within_its_scopes(make_server, htpasswd, tmp_path):
    from harness.auth import token_for
    from harness.server import free_port

    path = htpasswd(USERS)
    port = free_port()
    srv = make_server("pier", port=port, config={
        "auth": {"token": {"realm": f"http://127.0.0.1:{port}/token", "service": "pier-test", "issuer": "pier"}},
        "tokenserver": {"htpasswd": str(path), "key": str(tmp_path / "token.key")},
    })
    # A bearer token speaks for its scopes for minutes, whatever password it came from: it
    # never makes a credential that outlives it. The API takes the password itself.
    for scopes in ([], ["repository:alice/app:pull"]):
        password_token = token_for(f"{srv.url}/token", "pier-test", scopes, auth=ALICE)
        r = requests.post(f"{srv.url}/api/v1/tokens", headers={"Authorization": f"Bearer {password_token}"},
                          json={"name": "ci", "scopes": ["delete"]}, timeout=30)
        assert r.status_code == 403 and error_codes(r) == ["DENIED"], r.text
    r = requests.post(f"{srv.url}/api/v1/tokens", auth=ALICE, json={"name": "ci", "scopes": ["read"]}, timeout=30)
    assert r.status_code == 201, r.text
    assert requests.get(f"{srv.url}/api/v1/tokens", auth=("alice", "wrong"), timeout=30).status_code == 401
    pat = r.json()["token"]
    bearer = token_for(f"{srv.url}/token", "pier-test", ["repository:alice/app:pull,push"], auth=("alice", pat))
    claims = json.loads(base64.urlsafe_b64decode(bearer.split(".")[1] + "=="))
    assert claims["sub"] == "alice"
    assert claims["access"] == [{"type": "repository", "name": "alice/app", "actions": ["pull"]}]
    assert claims["pier_limit"] == ["pull"]
    # The bearer token keeps the read-only token's limits in the index API too: it cannot
    # make itself a stronger token.
    r = requests.post(f"{srv.url}/api/v1/tokens", headers={"Authorization": f"Bearer {bearer}"},
                      json={"name": "escalate", "scopes": ["delete"]}, timeout=30)
    assert r.status_code == 403 and error_codes(r) == ["DENIED"], r.text


def test_a_token_stops_working_when_its_user_leaves_the_htpasswd_file(guarded, htpasswd):
    token = make_token(guarded, ["write"])["token"]
    assert Registry(guarded.url, auth=("alice", token)).get("/v2/").status_code == 200
    htpasswd({"bob": "bob-pw"})  # the same file, rewritten without alice
    import time
    time.sleep(1.1)  # the file is looked at again at most once a second
    assert Registry(guarded.url, auth=("alice", token)).get("/v2/").status_code == 401
