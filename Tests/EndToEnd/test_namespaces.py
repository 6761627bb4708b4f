"""Privacy with `index.namespaces: true`: personal namespaces, repository visibility and
collaborators decide who may do what, through the registry (/v2/), the token server and
the index API alike. The leak matrix: every kind of caller against every place that could
reveal a repository, for a public and a private one; a private repository must look
exactly like one that does not exist to whoever may not see it."""

from __future__ import annotations

import time

import pytest
import requests

from harness import Registry, images
from harness.index_api import api, eventually, try_push
from harness.client import error_codes

pytestmark = pytest.mark.pier_only

USERS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "root": "root-pw"}
CALLERS = {"anonymous": None, "bob": ("bob", "bob-pw"), "carol": ("carol", "carol-pw"),
           "root": ("root", "root-pw"), "alice": ("alice", "alice-pw")}
# Who may see alice/private: its owner, carol (a read collaborator) and root (an admin).
SEES_PRIVATE = {"alice", "carol", "root"}




@pytest.fixture
def namespaced(make_server, htpasswd):
    path = htpasswd(USERS)
    return make_server("pier", config={
        "auth": {"htpasswd": {"realm": "pier", "path": str(path)}},
        "access": {"admins": ["root"]},
        "index": {"namespaces": True, "defaultvisibility": "private"},
    })


@pytest.fixture
def world(namespaced):
    """alice/public (made public), alice/private (private by default, carol reads it)."""
    alice = Registry(namespaced.url, auth=CALLERS["alice"])
    manifest = images.image(1)
    for repo in ("alice/public", "alice/private"):
        assert alice.push(repo, "v1", manifest).status_code == 201
    assert eventually(lambda: api(namespaced, "/api/v1/repositories/alice/private", auth=CALLERS["alice"]).status_code == 200)
    r = api(namespaced, "/api/v1/repositories/alice/public", auth=CALLERS["alice"], method="PATCH", json={"visibility": "public"})
    assert r.status_code == 200 and r.json()["visibility"] == "public", r.text
    r = api(namespaced, "/api/v1/repositories/alice/private/collaborators/carol", auth=CALLERS["alice"], method="PUT",
            json={"role": "read"})
    assert r.status_code == 200, r.text
    return namespaced, manifest



def probes(srv, repo: str, manifest, auth) -> dict[str, tuple]:
    """What each place answers `auth` about `repo`: status and body (headers that carry
    no information about the repository left out)."""
    reg = Registry(srv.url, auth=auth)
    layer = manifest.json["layers"][0]["digest"]
    out = {}

    def record(name, r):
        out[name] = (r.status_code, r.content if r.request.method != "HEAD" else b"")

    record("tags", reg.get(f"/v2/{repo}/tags/list"))
    record("manifest", reg.get_manifest(repo, "v1"))
    record("manifest-head", reg.head_manifest(repo, "v1"))
    record("manifest-digest", reg.get_manifest(repo, manifest.digest))
    record("blob", reg.get_blob(repo, layer))
    record("blob-head", reg.head_blob(repo, layer))
    record("referrers", reg.get(f"/v2/{repo}/referrers/{manifest.digest}"))
    for path in ("", "/tags", "/comments", "/star"):
        record(f"api{path}", api(srv, f"/api/v1/repositories/{repo}{path}", auth=auth))
    return out


def test_the_leak_matrix(world):
    srv, manifest = world
    for caller, auth in CALLERS.items():
        ghost = probes(srv, "alice/ghost", manifest, auth)
        public = probes(srv, "alice/public", manifest, auth)
        private = probes(srv, "alice/private", manifest, auth)
        # Everyone sees the public repository.
        assert public["manifest"][0] == 200 and public["api"][0] == 200 and public["blob"][0] == 200, (caller, public)
        if caller in SEES_PRIVATE:
            assert private["manifest"][0] == 200 and private["api"][0] == 200 and private["tags"][0] == 200, caller
        else:
            # Indistinguishable from a repository that does not exist, in every place.
            for place, answer in private.items():
                assert answer == ghost[place], (caller, place, answer, ghost[place])
            assert private["manifest"][0] in (401, 403, 404), (caller, private["manifest"])
        catalog = Registry(srv.url, auth=auth).get("/v2/_catalog")
        listed = catalog.json().get("repositories", []) if catalog.status_code == 200 else []
        assert ("alice/private" in listed) == (caller in SEES_PRIVATE), (caller, listed)
        assert "alice/public" in listed or catalog.status_code != 200, (caller, catalog.text)
        for search in ("/api/v1/search?q=alice", "/api/v1/search", "/v1/search?q=private"):
            text = api(srv, search, auth=auth).text
            assert ("alice/private" in text) == (caller in SEES_PRIVATE), (caller, search, text)
        assert "alice/public" in api(srv, "/api/v1/search?q=public", auth=auth).text


def test_a_mount_from_a_private_repository_is_an_upload_for_those_who_cannot_see_it(world):
    srv, manifest = world
    layer = manifest.json["layers"][0]["digest"]
    for caller in ("bob", "carol", "root"):
        reg = Registry(srv.url, auth=CALLERS[caller])
        target = f"{caller}/copy"
        mounted = reg.post(f"/v2/{target}/blobs/uploads/?mount={layer}&from=alice/private")
        ghost = reg.post(f"/v2/{target}/blobs/uploads/?mount={layer}&from=alice/ghost")
        if caller in SEES_PRIVATE:
            assert mounted.status_code == 201, (caller, mounted.text)
        else:
            assert mounted.status_code == ghost.status_code == 202, (caller, mounted.status_code)
            assert reg.head_blob(target, layer).status_code == 404


def test_namespaces_decide_who_pushes_where(namespaced):
    image = images.image(2)
    assert try_push(Registry(namespaced.url, auth=CALLERS["bob"]), "bob/app", "v1", image) == 201
    assert try_push(Registry(namespaced.url, auth=CALLERS["bob"]), "alice/app", "v1", image) in (401, 403)
    assert try_push(Registry(namespaced.url), "bob/other", "v1", image) == 401
    # An admin pushes anywhere; a repository with one name component is nobody's namespace.
    assert try_push(Registry(namespaced.url, auth=CALLERS["root"]), "shared", "v1", image) == 201
    assert try_push(Registry(namespaced.url, auth=CALLERS["bob"]), "shared", "v2", image) in (401, 403)


def test_collaborator_roles_grant_read_write_and_admin(world):
    srv, _ = world
    alice, bob = CALLERS["alice"], CALLERS["bob"]
    image = images.image(3)
    base = "/api/v1/repositories/alice/private/collaborators"
    assert try_push(Registry(srv.url, auth=bob), "alice/private", "bob", image) in (401, 403)
    assert api(srv, f"{base}/bob", auth=alice, method="PUT", json={"role": "write"}).status_code == 200
    assert try_push(Registry(srv.url, auth=bob), "alice/private", "bob", image) == 201
    # write is not admin: bob cannot add collaborators or change visibility.
    assert api(srv, f"{base}/dave", auth=bob, method="PUT", json={"role": "read"}).status_code == 403
    r = api(srv, "/api/v1/repositories/alice/private", auth=bob, method="PATCH", json={"visibility": "public"})
    assert r.status_code == 403
    assert api(srv, f"{base}/bob", auth=alice, method="PUT", json={"role": "admin"}).status_code == 200
    assert api(srv, f"{base}/dave", auth=bob, method="PUT", json={"role": "read"}).status_code == 200
    listed = api(srv, base, auth=alice).json()["results"]
    assert {c["user"]: c["role"] for c in listed} == {"bob": "admin", "carol": "read", "dave": "read"}
    assert [c["granted_by"] for c in listed if c["user"] == "dave"] == ["bob"]
    # Removing the role removes the access at once.
    assert api(srv, f"{base}/bob", auth=alice, method="DELETE").status_code == 204
    assert api(srv, f"{base}/bob", auth=alice, method="DELETE").status_code == 404
    assert Registry(srv.url, auth=bob).get_manifest("alice/private", "v1").status_code in (401, 403)
    for bad in ({"role": "owner"}, {"role": 1}, {}, {"role": "read", "extra": True}):
        assert api(srv, f"{base}/erin", auth=alice, method="PUT", json=bad).status_code == 400, bad


def test_making_a_repository_private_hides_it_at_once(world):
    srv, _ = world
    bob = CALLERS["bob"]
    assert Registry(srv.url, auth=bob).get_manifest("alice/public", "v1").status_code == 200
    r = api(srv, "/api/v1/repositories/alice/public", auth=CALLERS["alice"], method="PATCH", json={"visibility": "private"})
    assert r.status_code == 200 and r.json()["is_private"] is True
    assert Registry(srv.url, auth=bob).get_manifest("alice/public", "v1").status_code in (401, 403)
    assert Registry(srv.url).get_manifest("alice/public", "v1").status_code == 401
    assert api(srv, "/api/v1/repositories/alice/public", auth=bob).status_code == 404
    bad = api(srv, "/api/v1/repositories/alice/public", auth=CALLERS["alice"], method="PATCH", json={"visibility": "secret"})
    assert bad.status_code == 400 and error_codes(bad) == ["REQUEST_INVALID"]


def test_visibility_and_collaborators_survive_a_restart(world):
    srv, _ = world
    srv.stop()
    srv.start()
    assert Registry(srv.url).get_manifest("alice/public", "v1").status_code == 200
    assert Registry(srv.url, auth=CALLERS["carol"]).get_manifest("alice/private", "v1").status_code == 200
    assert Registry(srv.url, auth=CALLERS["bob"]).get_manifest("alice/private", "v1").status_code in (401, 403)


def test_without_namespaces_visibility_is_refused_and_distribution_semantics_hold(make_server, htpasswd):
    path = htpasswd(USERS)
    srv = make_server("pier", config={"auth": {"htpasswd": {"realm": "pier", "path": str(path)}}})
    Registry(srv.url, auth=CALLERS["alice"]).push("alice/app", "v1", images.image(1))
    # Every authenticated user may do everything, as in distribution.
    assert Registry(srv.url, auth=CALLERS["bob"]).get_manifest("alice/app", "v1").status_code == 200
    eventually(lambda: api(srv, "/api/v1/repositories/alice/app", auth=CALLERS["bob"]).status_code == 200)
    r = api(srv, "/api/v1/repositories/alice/app", auth=CALLERS["bob"], method="PATCH", json={"visibility": "private"})
    assert r.status_code == 400 and "namespaces" in r.text
    assert "visibility" not in api(srv, "/api/v1/repositories/alice/app", auth=CALLERS["bob"]).json()


def test_namespaces_need_authentication(tmp_path):
    import subprocess

    import yaml

    from harness.server import pier_bin

    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"version": 0.1, "index": {"namespaces": True}}))
    out = subprocess.run([pier_bin(), "config", "check", str(config)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "index.namespaces" in out.stderr


def test_two_instances_on_one_postgres_and_one_bucket_agree(make_server, htpasswd, postgres, seaweedfs):
    """Scale-out: a change through one instance holds through the other (grants within
    about a second, what the database holds at once), and the index sees every push."""
    path = htpasswd(USERS)
    config = {
        "storage": {"s3": seaweedfs.s3_config(seaweedfs.new_bucket()), "redirect": {"disable": True}},
        "auth": {"htpasswd": {"realm": "pier", "path": str(path)}},
        "access": {"admins": ["root"]},
        "index": {"namespaces": True, "defaultvisibility": "private", "database": postgres.new_database()},
    }
    a, b = make_server("pier", config=config), make_server("pier", config=config)
    alice, bob = CALLERS["alice"], CALLERS["bob"]
    assert try_push(Registry(a.url, auth=alice), "alice/app", "v1", images.image(1)) == 201
    assert Registry(b.url, auth=alice).get_manifest("alice/app", "v1").status_code == 200
    assert Registry(b.url, auth=bob).get_manifest("alice/app", "v1").status_code == 403
    assert Registry(b.url).get_manifest("alice/app", "v1").status_code == 401
    assert eventually(lambda: api(b, "/api/v1/repositories/alice/app", auth=alice).status_code == 200)
    # Visibility set through A holds through B.
    assert api(a, "/api/v1/repositories/alice/app", auth=alice, method="PATCH", json={"visibility": "public"}).status_code == 200
    assert eventually(lambda: Registry(b.url).get_manifest("alice/app", "v1").status_code == 200, timeout=15)
    assert "alice/app" in api(b, "/api/v1/search?q=app").text
    # A collaborator added through B may push through A.
    r = api(b, "/api/v1/repositories/alice/app/collaborators/bob", auth=alice, method="PUT", json={"role": "write"})
    assert r.status_code == 200, r.text
    assert eventually(lambda: try_push(Registry(a.url, auth=bob), "alice/app", "bob", images.image(2)) == 201, timeout=15)
    # Stars and comments are in the database: at once.
    assert api(a, "/api/v1/repositories/alice/app/star", auth=bob, method="PUT").status_code == 204
    assert api(b, "/api/v1/repositories/alice/app").json()["star_count"] == 1
    assert api(b, "/api/v1/repositories/alice/app/comments", auth=bob, method="POST", json={"body": "hi"}).status_code == 201
    assert api(a, "/api/v1/repositories/alice/app/comments").json()["count"] == 1
    # Made private again through B: A stops serving it to others.
    assert api(b, "/api/v1/repositories/alice/app", auth=alice, method="PATCH", json={"visibility": "private"}).status_code == 200
    assert eventually(lambda: Registry(a.url).get_manifest("alice/app", "v1").status_code == 401, timeout=15)
    # A user made through A logs in through B; disabled through B, A refuses them.
    body = {"name": "dave", "password": "dave-password"}
    assert api(a, "/api/v1/users", auth=CALLERS["root"], method="POST", json=body).status_code == 201
    dave = ("dave", "dave-password")
    # Two seconds apart (at most nine tries): each refused login counts against dave's
    # throttle (10 a minute from one address); B learns of dave at its next look, each second.
    assert eventually(lambda: Registry(b.url, auth=dave).get("/v2/").status_code == 200, timeout=16, interval=2.0)
    assert Registry(a.url, auth=dave).get("/v2/").status_code == 200
    assert api(b, "/api/v1/users/dave", auth=CALLERS["root"], method="PATCH", json={"disabled": True}).status_code == 200
    assert eventually(lambda: Registry(a.url, auth=dave).get("/v2/").status_code == 401, timeout=15)


def test_piers_token_server_grants_what_the_namespaces_grant(make_server, htpasswd, tmp_path):
    import base64
    import json

    from harness.auth import token_for
    from harness.server import free_port

    path = htpasswd(USERS)
    port = free_port()
    srv = make_server("pier", port=port, config={
        "auth": {"token": {"realm": f"http://127.0.0.1:{port}/token", "service": "pier-test", "issuer": "pier"}},
        "tokenserver": {"htpasswd": str(path), "key": str(tmp_path / "token.key")},
        "index": {"namespaces": True},
    })

    def access(auth, scope):
        token = token_for(f"{srv.url}/token", "pier-test", [scope], auth=auth)
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        return claims.get("access", [])

    scope = "repository:alice/private:pull,push"
    assert access(CALLERS["alice"], scope) == [{"type": "repository", "name": "alice/private", "actions": ["pull", "push"]}]
    assert access(CALLERS["bob"], scope) == []
    assert access(None, scope) == []
    token = token_for(f"{srv.url}/token", "pier-test", [scope], auth=CALLERS["alice"])
    reg = Registry(srv.url)
    reg.session.headers["Authorization"] = f"Bearer {token}"
    assert try_push(reg, "alice/private", "v1", images.image(1)) == 201


def test_an_organisations_teams_decide_who_may_do_what_in_its_namespace(namespaced):
    srv = namespaced
    alice, bob, carol = CALLERS["alice"], CALLERS["bob"], CALLERS["carol"]
    # Only the registry's administrators make organisations (one takes a namespace).
    assert api(srv, "/api/v1/orgs", auth=alice, method="POST", json={"name": "acme"}).status_code == 403
    r = api(srv, "/api/v1/orgs", auth=CALLERS["root"], method="POST", json={"name": "acme"})
    assert r.status_code == 201, r.text
    assert r.json()["teams"] == [{"name": "owners", "permission": "admin", "members": ["root"]}]
    assert api(srv, "/api/v1/orgs/acme/teams/owners/members/alice", auth=CALLERS["root"], method="PUT").status_code == 204
    assert api(srv, "/api/v1/orgs/acme/teams/owners/members/root", auth=alice, method="DELETE").status_code == 204
    image = images.image(4)
    assert try_push(Registry(srv.url, auth=alice), "acme/app", "v1", image) == 201
    assert try_push(Registry(srv.url, auth=bob), "acme/app", "v2", image) in (401, 403)
    assert api(srv, "/api/v1/orgs/acme/teams", auth=alice, method="POST", json={"name": "devs", "permission": "write"}).status_code == 201
    assert api(srv, "/api/v1/orgs/acme/teams", auth=alice, method="POST", json={"name": "viewers"}).status_code == 201
    assert api(srv, "/api/v1/orgs/acme/teams/devs/members/bob", auth=alice, method="PUT").status_code == 204
    assert api(srv, "/api/v1/orgs/acme/teams/viewers/members/carol", auth=alice, method="PUT").status_code == 204
    # A write team pushes; a read team pulls the private repository; neither administers.
    assert try_push(Registry(srv.url, auth=bob), "acme/app", "v2", image) == 201
    assert Registry(srv.url, auth=carol).get_manifest("acme/app", "v1").status_code == 200
    assert try_push(Registry(srv.url, auth=carol), "acme/app", "v3", image) in (401, 403)
    assert api(srv, "/api/v1/orgs/acme/teams", auth=bob, method="POST", json={"name": "x"}).status_code == 403
    eventually(lambda: api(srv, "/api/v1/repositories/acme/app", auth=alice).status_code == 200)
    r = api(srv, "/api/v1/repositories/acme/app", auth=bob, method="PATCH", json={"visibility": "public"})
    assert r.status_code == 403
    # Outsiders see nothing of it, nor the teams; anyone sees that the organisation exists.
    dave = ("root", "root-pw")  # an admin sees all
    assert api(srv, "/api/v1/repositories/acme/app", auth=CALLERS["anonymous"]).status_code == 404
    assert "teams" not in api(srv, "/api/v1/orgs/acme").json()
    assert api(srv, "/api/v1/orgs/acme/teams", auth=dave).status_code == 200
    assert api(srv, "/api/v1/users/bob").json()["organizations"] == ["acme"]
    # Leaving the team takes the rights away at once.
    assert api(srv, "/api/v1/orgs/acme/teams/devs/members/bob", auth=alice, method="DELETE").status_code == 204
    assert try_push(Registry(srv.url, auth=bob), "acme/app", "v4", image) in (401, 403)
    # The owners team keeps a member and its permission.
    assert api(srv, "/api/v1/orgs/acme/teams/owners/members/alice", auth=alice, method="DELETE").status_code == 400
    assert api(srv, "/api/v1/orgs/acme/teams/owners", auth=alice, method="PATCH", json={"permission": "read"}).status_code == 400
    assert api(srv, "/api/v1/orgs/acme/teams/owners", auth=alice, method="DELETE").status_code == 400


def test_an_admin_team_administers_repositories_but_only_owners_manage_teams(namespaced):
    srv = namespaced
    root, alice, bob = CALLERS["root"], CALLERS["alice"], CALLERS["bob"]
    assert api(srv, "/api/v1/orgs", auth=root, method="POST", json={"name": "acme"}).status_code == 201
    assert api(srv, "/api/v1/orgs/acme/teams", auth=root, method="POST", json={"name": "maint", "permission": "admin"}).status_code == 201
    assert api(srv, "/api/v1/orgs/acme/teams/maint/members/alice", auth=root, method="PUT").status_code == 204
    # alice administers acme's repositories ...
    assert try_push(Registry(srv.url, auth=alice), "acme/app", "v1", images.image(1)) == 201
    assert eventually(lambda: api(srv, "/api/v1/repositories/acme/app", auth=alice).status_code == 200)
    r = api(srv, "/api/v1/repositories/acme/app", auth=alice, method="PATCH", json={"visibility": "public"})
    assert r.status_code == 200, r.text
    # ... and sees the teams, but cannot make herself an owner, take the owners' places,
    # or change teams and the organisation's webhooks.
    assert api(srv, "/api/v1/orgs/acme/teams", auth=alice).status_code == 200
    for method, path, body in [
        ("PUT", "/api/v1/orgs/acme/teams/owners/members/alice", None),
        ("PUT", "/api/v1/orgs/acme/teams/owners/members/bob", None),
        ("DELETE", "/api/v1/orgs/acme/teams/owners/members/root", None),
        ("POST", "/api/v1/orgs/acme/teams", {"name": "mine", "permission": "admin"}),
        ("PATCH", "/api/v1/orgs/acme/teams/maint", {"permission": "read"}),
        ("DELETE", "/api/v1/orgs/acme/teams/maint", None),
        ("POST", "/api/v1/orgs/acme/webhooks", {"url": "https://example.com/hook"}),
    ]:
        r = api(srv, path, auth=alice, method=method, json=body)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
    teams = {t["name"]: t["members"] for t in api(srv, "/api/v1/orgs/acme/teams", auth=root).json()["results"]}
    assert teams == {"owners": ["root"], "maint": ["alice"]}
    # An outsider cannot tell a team that exists from one that does not.
    answers = set()
    for team in ("maint", "owners", "nosuchteam"):
        for method in ("GET", "PUT", "DELETE"):
            path = f"/api/v1/orgs/acme/teams/{team}" + ("/members/bob" if method != "GET" else "")
            r = api(srv, path, auth=bob, method=method)
            answers.add((r.status_code, r.content))
    assert len(answers) == 1 and next(iter(answers))[0] == 403, answers


# "٣٣" and "x²" are digits to Unicode, "a..b" a dot too many: none is a name's component.
@pytest.mark.parametrize("name", ["Acme", "-x", "a/b", "", "x" * 65, "\u0663\u0663", "x\u00b2", "a..b"])
def test_an_organisation_cannot_take_a_bad_name(world, name):
    srv, _ = world
    r = api(srv, "/api/v1/orgs", auth=CALLERS["root"], method="POST", json={"name": name})
    assert r.status_code == 400 and error_codes(r) == ["REQUEST_INVALID"], r.text


def test_an_organisation_cannot_take_a_namespace_in_use_which_is_a_conflict_as_a_taken_team_name_is(world):
    """A well-formed name already taken, by repositories or another organisation, conflicts
    with what is there (409, as a user's name taken does); so does a second team of one name."""
    srv, _ = world
    root = CALLERS["root"]
    r = api(srv, "/api/v1/orgs", auth=root, method="POST", json={"name": "alice"})
    assert r.status_code == 409 and error_codes(r) == ["REQUEST_INVALID"] and "holds repositories" in r.text, r.text
    assert api(srv, "/api/v1/orgs", auth=root, method="POST", json={"name": "conflicted"}).status_code == 201
    r = api(srv, "/api/v1/orgs", auth=root, method="POST", json={"name": "conflicted"})
    assert r.status_code == 409 and error_codes(r) == ["REQUEST_INVALID"], r.text
    team = {"name": "devs", "permission": "write"}
    assert api(srv, "/api/v1/orgs/conflicted/teams", auth=root, method="POST", json=team).status_code == 201
    r = api(srv, "/api/v1/orgs/conflicted/teams", auth=root, method="POST", json=team)
    assert r.status_code == 409 and error_codes(r) == ["REQUEST_INVALID"], r.text
    for bad in ("", "Devs", "x" * 65, "\u0663"):
        r = api(srv, "/api/v1/orgs/conflicted/teams", auth=root, method="POST", json={"name": bad})
        assert r.status_code == 400 and error_codes(r) == ["REQUEST_INVALID"], (bad, r.text)


def test_an_organisation_is_deleted_by_its_owners_with_its_teams_and_webhooks_once_it_holds_no_repository(make_server, htpasswd):
    srv = make_server("pier", config={
        "storage": {"delete": {"enabled": True}},
        "auth": {"htpasswd": {"realm": "pier", "path": str(htpasswd(USERS))}},
        "access": {"admins": ["root"]},
        "index": {"namespaces": True, "webhooks": {"allow": ["127.0.0.0/8"]}},
    })
    root, alice, bob = CALLERS["root"], CALLERS["alice"], CALLERS["bob"]
    assert api(srv, "/api/v1/orgs", auth=root, method="POST", json={"name": "acme"}).status_code == 201
    assert api(srv, "/api/v1/orgs/acme/teams/owners/members/alice", auth=root, method="PUT").status_code == 204
    assert api(srv, "/api/v1/orgs/acme/teams", auth=root, method="POST", json={"name": "devs", "permission": "write"}).status_code == 201
    assert api(srv, "/api/v1/orgs/acme/teams/devs/members/bob", auth=root, method="PUT").status_code == 204
    assert try_push(Registry(srv.url, auth=bob), "acme/app", "v1", images.image(1)) == 201
    assert eventually(lambda: api(srv, "/api/v1/repositories/acme/app", auth=alice).status_code == 200)
    r = api(srv, "/api/v1/orgs/acme/webhooks", auth=alice, method="POST",
            json={"url": "http://127.0.0.1:9/hook", "events": ["push"], "format": "dockerhub"})
    assert r.status_code == 201, r.text
    # Only its owners (and the registry's administrators) delete it.
    assert api(srv, "/api/v1/orgs/acme", method="DELETE").status_code == 401
    r = api(srv, "/api/v1/orgs/acme", auth=bob, method="DELETE")
    assert r.status_code == 403 and error_codes(r) == ["DENIED"], r.text
    # Not while a repository lives in its namespace: nobody would administer it.
    r = api(srv, "/api/v1/orgs/acme", auth=alice, method="DELETE")
    assert r.status_code == 409 and error_codes(r) == ["REQUEST_INVALID"], r.text
    assert api(srv, "/api/v1/orgs/acme").status_code == 200
    assert api(srv, "/api/v1/repositories/acme/app", auth=alice, method="DELETE").status_code == 204
    assert api(srv, "/api/v1/orgs/acme", auth=alice, method="DELETE").status_code == 204
    assert api(srv, "/api/v1/orgs/acme").status_code == 404
    assert api(srv, "/api/v1/orgs/acme", auth=root, method="DELETE").status_code == 404
    assert api(srv, "/api/v1/users/bob").json()["organizations"] == []
    assert try_push(Registry(srv.url, auth=bob), "acme/app", "v2", images.image(2)) in (401, 403)
    # Made again, it starts afresh: its creator alone in its owners, no team, no webhook.
    r = api(srv, "/api/v1/orgs", auth=root, method="POST", json={"name": "acme"})
    assert r.status_code == 201, r.text
    assert r.json()["teams"] == [{"name": "owners", "permission": "admin", "members": ["root"]}]
    assert api(srv, "/api/v1/orgs/acme/webhooks", auth=root).json()["results"] == []


def test_leaving_an_organisation_ends_the_collaborations_on_its_repositories(namespaced):
    """A team admin may make anyone a collaborator, themselves included: leaving the
    organisation's last team (removed, or the team deleted) must end every access the
    organisation gave, so no self-granted role outlives the membership."""
    srv = namespaced
    root, alice, bob, carol = CALLERS["root"], CALLERS["alice"], CALLERS["bob"], CALLERS["carol"]
    assert api(srv, "/api/v1/orgs", auth=root, method="POST", json={"name": "acme"}).status_code == 201
    for team in ("ops", "qa"):
        assert api(srv, "/api/v1/orgs/acme/teams", auth=root, method="POST", json={"name": team, "permission": "admin"}).status_code == 201
    for team, member in (("ops", "carol"), ("ops", "bob"), ("qa", "bob")):
        assert api(srv, f"/api/v1/orgs/acme/teams/{team}/members/{member}", auth=root, method="PUT").status_code == 204
    assert try_push(Registry(srv.url, auth=carol), "acme/secret", "v1", images.image(1)) == 201
    assert try_push(Registry(srv.url, auth=alice), "alice/own", "v1", images.image(2)) == 201
    assert eventually(lambda: api(srv, "/api/v1/repositories/alice/own", auth=alice).status_code == 200)
    assert eventually(lambda: api(srv, "/api/v1/repositories/acme/secret", auth=carol).status_code == 200)
    for who in ("carol", "bob", "alice"):
        r = api(srv, f"/api/v1/repositories/acme/secret/collaborators/{who}", auth=carol, method="PUT", json={"role": "admin"})
        assert r.status_code == 200, r.text
    # A collaboration outside the organisation is not the organisation's to end.
    assert api(srv, "/api/v1/repositories/alice/own/collaborators/carol", auth=alice, method="PUT", json={"role": "read"}).status_code == 200

    def collaborators(repo, auth):
        return {c["user"] for c in api(srv, f"/api/v1/repositories/{repo}/collaborators", auth=auth).json()["results"]}

    # alice is an outside collaborator: a refused removal from a team she is not in ends nothing.
    assert api(srv, "/api/v1/orgs/acme/teams/ops/members/alice", auth=root, method="DELETE").status_code == 404
    assert collaborators("acme/secret", root) == {"alice", "bob", "carol"}
    assert api(srv, "/api/v1/orgs/acme/teams/ops/members/carol", auth=root, method="DELETE").status_code == 204
    assert collaborators("acme/secret", root) == {"alice", "bob"}
    assert Registry(srv.url, auth=carol).get_manifest("acme/secret", "v1").status_code in (401, 403, 404)
    assert try_push(Registry(srv.url, auth=carol), "acme/secret", "v2", images.image(3)) in (401, 403, 404)
    assert collaborators("alice/own", alice) == {"carol"}
    # bob is still in qa when ops goes: still in the organisation, his role stays ...
    assert api(srv, "/api/v1/orgs/acme/teams/ops", auth=root, method="DELETE").status_code == 204
    assert collaborators("acme/secret", root) == {"alice", "bob"}
    # ... and goes with his last team.
    assert api(srv, "/api/v1/orgs/acme/teams/qa", auth=root, method="DELETE").status_code == 204
    assert collaborators("acme/secret", root) == {"alice"}
    assert Registry(srv.url, auth=bob).get_manifest("acme/secret", "v1").status_code in (401, 403, 404)


def test_changing_the_default_visibility_publishes_no_existing_repository(make_server, htpasswd, tmp_path):
    """`index.defaultvisibility` is what a new repository is, as Docker Hub's default
    privacy: a registry that turns it to public later does not publish what was private."""
    path = htpasswd(USERS)

    def config(default):
        return {
            "auth": {"htpasswd": {"realm": "pier", "path": str(path)}},
            "index": {"namespaces": True, "defaultvisibility": default},
        }

    srv = make_server("pier", config=config("private"), root=tmp_path / "data")
    alice = Registry(srv.url, auth=CALLERS["alice"])
    assert alice.push("alice/payroll", "v1", images.image(1)).status_code == 201
    assert eventually(lambda: api(srv, "/api/v1/repositories/alice/payroll", auth=CALLERS["alice"]).status_code == 200)
    srv.stop()
    srv = make_server("pier", config=config("public"), root=tmp_path / "data")
    assert Registry(srv.url).get_manifest("alice/payroll", "v1").status_code in (401, 404)
    assert api(srv, "/api/v1/repositories/alice/payroll", auth=CALLERS["alice"]).json()["visibility"] == "private"
    assert "alice/payroll" not in api(srv, "/api/v1/search?q=payroll").text
    # A repository made now is public, as the setting says.
    assert Registry(srv.url, auth=CALLERS["alice"]).push("alice/site", "v1", images.image(2)).status_code == 201
    assert eventually(lambda: Registry(srv.url).get_manifest("alice/site", "v1").status_code == 200)
