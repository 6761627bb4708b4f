"""The `access` section with htpasswd authentication: admins, groups, rules with `*`
and `**`, anonymous rules, 403 DENIED for known users and 401 for anonymous ones,
the catalog filtered per caller, mounts that need pull on `from`, and deletes."""

from __future__ import annotations

import pytest
import requests

from harness import Registry, Server, images
from harness.auth import parse_challenge, write_htpasswd
from harness.client import error_codes

pytestmark = pytest.mark.pier_only

REALM = "Policy Realm"
USERS = {name: f"{name}-pw" for name in ("alice", "bob", "carol", "dave", "erin")}
POLICY = {
    "admins": ["alice"],
    "groups": {"team-a": ["bob", "carol"]},
    "rules": [
        {"repository": "team-a/*", "groups": ["team-a"], "users": ["dave"], "actions": ["pull", "push"]},
        {"repository": "public/**", "anonymous": True, "users": ["*"], "actions": ["pull"]},
        {"repository": "shared/**", "users": ["erin"], "actions": ["pull"]},
    ],
}
# Pushed by the admin at the start of the module.
SEEDED = ["public/base", "public/deep/tool", "shared/lib", "team-a/app", "team-a/x/y", "team-b/app"]


@pytest.fixture(scope="module")
def policy_server(tmp_path_factory):
    from conftest import require_binary

    require_binary("pier")
    work = tmp_path_factory.mktemp("pier-access")
    write_htpasswd(work / "htpasswd", USERS)
    srv = Server("pier", work, config={
        "auth": {"htpasswd": {"realm": REALM, "path": str(work / "htpasswd")}},
        "access": POLICY,
    })
    srv.start()
    yield srv
    crashed = not srv.alive()
    srv.stop()
    if crashed:
        pytest.fail(f"pier died during the module (exit {srv.returncode})\n{srv.log[-4000:]}")


@pytest.fixture(scope="module")
def content(policy_server):
    admin = as_user(policy_server, "alice")
    out = {}
    for repo in SEEDED:
        img = images.image(1)
        admin.push(repo, "v1", img)
        out[repo] = img
    return out


def as_user(srv, user: str | None) -> Registry:
    return Registry(srv.url, auth=(user, USERS[user]) if user else None)


def assert_denied(r):
    assert r.status_code == 403, f"{r.request.method} {r.url}: expected 403, got {r.status_code} {r.text[:300]}"
    if r.request.method != "HEAD":
        assert "DENIED" in error_codes(r), r.text


def assert_challenged(r):
    assert r.status_code == 401, f"{r.request.method} {r.url}: expected 401, got {r.status_code} {r.text[:300]}"
    scheme, params = parse_challenge(r.headers.get("WWW-Authenticate", ""))
    assert scheme == "Basic" and params.get("realm") == REALM
    assert error_codes(r) == ["UNAUTHORIZED"], r.text


def test_group_member_may_push_in_her_teams_namespace(policy_server, content):
    bob = as_user(policy_server, "bob")
    img = images.image(1)
    bob.push("team-a/x", "v1", img)
    carol = as_user(policy_server, "carol")
    assert carol.get_manifest("team-a/x", "v1").content == img.data
    assert carol.get_blob("team-a/x", img.blobs[-1].digest).content == img.blobs[-1].data


def test_user_named_in_a_rule_may_push_like_the_group(policy_server, content):
    as_user(policy_server, "dave").push("team-a/dave", "v1", images.image(1))


def test_group_member_gets_403_denied_pushing_to_another_team(policy_server, content):
    bob = as_user(policy_server, "bob")
    assert_denied(bob.start_upload("team-b/x"))
    assert_denied(bob.put_manifest("team-b/app", "v2", content["team-b/app"]))
    assert_denied(bob.get_manifest("team-b/app", "v1"))
    assert_denied(bob.head_blob("team-b/app", content["team-b/app"].blobs[0].digest))
    assert_denied(bob.get("/v2/team-b/app/tags/list"))
    assert as_user(policy_server, "alice").get_manifest("team-b/app", "v2").status_code == 404


def test_denied_body_is_the_spec_json(policy_server, content):
    r = as_user(policy_server, "bob").start_upload("team-b/x")
    assert_denied(r)
    assert r.headers["Content-Type"].startswith("application/json")
    err = r.json()["errors"][0]
    assert err["code"] == "DENIED" and isinstance(err.get("message"), str)


def test_pull_only_rule_refuses_pushes_with_403(policy_server, content):
    erin = as_user(policy_server, "erin")
    assert erin.get_manifest("shared/lib", "v1").content == content["shared/lib"].data
    assert_denied(erin.start_upload("shared/lib"))
    bob = as_user(policy_server, "bob")
    assert bob.get_manifest("public/base", "v1").status_code == 200
    assert_denied(bob.start_upload("public/base"))


def test_anonymous_pull_of_public_repositories_works_without_credentials(policy_server, content):
    anon = as_user(policy_server, None)
    for repo in ("public/base", "public/deep/tool"):
        img = content[repo]
        r = anon.get_manifest(repo, "v1")
        assert r.status_code == 200 and r.content == img.data, (repo, r.status_code, r.text[:200])
        assert anon.get_blob(repo, img.blobs[-1].digest).content == img.blobs[-1].data
        assert anon.head_manifest(repo, "v1").status_code == 200
        assert anon.get(f"/v2/{repo}/tags/list").json()["tags"] == ["v1"]


def test_empty_basic_credentials_are_anonymous_as_containers_clients_send_them(policy_server, content):
    """skopeo/podman/buildah (containers/image) answer a Basic challenge on /v2/ with
    `Authorization: Basic Og==` (empty user and password) when they have no credentials."""
    r = requests.get(policy_server.url + "/v2/public/base/manifests/v1",
                     headers={"Authorization": "Basic Og==", "Accept": content["public/base"].media_type}, timeout=10)
    assert r.status_code == 200 and r.content == content["public/base"].data, (r.status_code, r.text[:300])
    r = requests.get(policy_server.url + "/v2/team-a/app/manifests/v1", headers={"Authorization": "Basic Og=="}, timeout=10)
    assert_challenged(r)


def test_anonymous_push_to_public_gets_401_with_a_challenge(policy_server, content):
    anon = as_user(policy_server, None)
    assert_challenged(anon.start_upload("public/base"))
    assert_challenged(anon.put_manifest("public/base", "v2", content["public/base"]))
    assert_challenged(anon.delete(f"/v2/public/base/manifests/{content['public/base'].digest}"))


def test_anonymous_pull_outside_anonymous_rules_gets_401(policy_server, content):
    anon = as_user(policy_server, None)
    assert_challenged(anon.get_manifest("team-a/app", "v1"))
    assert_challenged(anon.get_manifest("shared/lib", "v1"))


def test_wrong_password_gets_401_not_the_anonymous_rules(policy_server, content):
    r = Registry(policy_server.url, auth=("bob", "wrong")).get_manifest("public/base", "v1")
    assert_challenged(r)


def test_single_star_matches_one_segment_and_double_star_many(policy_server, content):
    bob = as_user(policy_server, "bob")
    assert bob.get_manifest("team-a/app", "v1").status_code == 200
    # team-a/* does not match team-a/x/y
    assert_denied(bob.get_manifest("team-a/x/y", "v1"))
    assert_denied(bob.start_upload("team-a/x/y"))
    # nor team-a itself
    assert_denied(bob.start_upload("team-a"))
    # public/** matches at any depth
    assert as_user(policy_server, None).get_manifest("public/deep/tool", "v1").status_code == 200
    # and the admin has everything anyway
    assert as_user(policy_server, "alice").get_manifest("team-a/x/y", "v1").status_code == 200


def test_user_without_any_rule_is_denied_but_authenticated(policy_server, content):
    erin = as_user(policy_server, "erin")
    assert erin.get("/v2/").status_code == 200
    assert_denied(erin.get_manifest("team-a/app", "v1"))
    assert_denied(erin.start_upload("team-a/app"))


def test_catalog_lists_only_repositories_the_caller_may_pull(policy_server, content):
    # Every repository pushed in this module so far is either seeded or under team-a/.
    def catalog(user):
        return as_user(policy_server, user).catalog()

    everything = catalog("alice")
    assert set(SEEDED) <= set(everything)
    public = ["public/base", "public/deep/tool"]
    assert catalog(None) == public
    assert catalog("erin") == public + ["shared/lib"]
    bob = catalog("bob")
    assert [r for r in bob if not r.startswith("team-a/")] == public
    assert "team-a/app" in bob and "team-a/x/y" not in bob
    assert all(r.count("/") == 1 for r in bob if r.startswith("team-a/"))
    assert catalog("bob") == catalog("carol")


def test_catalog_pagination_only_counts_visible_repositories(policy_server, content):
    reg = as_user(policy_server, "erin")
    union, pages = reg.paginate("/v2/_catalog", "repositories", n=1)
    assert union == ["public/base", "public/deep/tool", "shared/lib"]
    # One repository a page, and no empty page after the last: the server looks ahead for
    # another visible name before it links on.
    assert pages == [["public/base"], ["public/deep/tool"], ["shared/lib"]], pages


def test_mount_from_a_repository_the_user_cannot_pull_starts_an_upload_instead(policy_server, content):
    bob = as_user(policy_server, "bob")
    secret = content["shared/lib"].blobs[-1]
    r = bob.post("/v2/team-a/mount/blobs/uploads/", params={"mount": secret.digest, "from": "shared/lib"})
    assert r.status_code == 202, f"{r.status_code} {r.text}"
    assert "/blobs/uploads/" in r.headers["Location"]
    assert bob.head_blob("team-a/mount", secret.digest).status_code == 404
    # The session is an ordinary upload.
    done = bob.finish_upload(r.headers["Location"], secret.digest, secret.data)
    assert done.status_code == 201


def test_mount_from_a_repository_the_user_may_pull_mounts(policy_server, content):
    bob = as_user(policy_server, "bob")
    blob = content["public/base"].blobs[-1]
    r = bob.post("/v2/team-a/mount2/blobs/uploads/", params={"mount": blob.digest, "from": "public/base"})
    assert r.status_code == 201, f"{r.status_code} {r.text}"
    assert r.headers["Docker-Content-Digest"] == blob.digest
    assert bob.get_blob("team-a/mount2", blob.digest).content == blob.data


def test_admin_may_delete_and_others_may_not(policy_server, content):
    alice, bob = as_user(policy_server, "alice"), as_user(policy_server, "bob")
    img = images.image(1)
    bob.push("team-a/doomed", "v1", img)
    assert_denied(bob.delete(f"/v2/team-a/doomed/manifests/{img.digest}"))
    assert_denied(bob.delete(f"/v2/team-a/doomed/blobs/{img.blobs[-1].digest}"))
    r = alice.delete(f"/v2/team-a/doomed/manifests/{img.digest}")
    assert r.status_code == 202, r.text
    assert alice.get_manifest("team-a/doomed", img.digest).status_code == 404
    r = alice.delete(f"/v2/team-a/doomed/blobs/{img.blobs[-1].digest}")
    assert r.status_code == 202, r.text


def test_admin_may_push_anywhere(policy_server, content):
    as_user(policy_server, "alice").push("anywhere/deep/down", "v1", images.image(1))


def test_without_an_access_section_every_authenticated_user_may_do_everything(make_server, htpasswd, need_pier):
    path = htpasswd({"bob": "bob-pw", "erin": "erin-pw"})
    srv = make_server("pier", config={"auth": {"htpasswd": {"realm": REALM, "path": str(path)}}})
    img = images.image(1)
    Registry(srv.url, auth=("bob", "bob-pw")).push("any/where", "v1", img)
    erin = Registry(srv.url, auth=("erin", "erin-pw"))
    assert erin.get_manifest("any/where", "v1").content == img.data
    assert erin.delete(f"/v2/any/where/manifests/{img.digest}").status_code == 202
    assert_challenged(Registry(srv.url).get_manifest("any/where", "v1"))


@pytest.mark.clients
def test_skopeo_and_podman_pull_public_images_anonymously(policy_server, content, tmp_path, podman_factory):
    from harness.tools import attempt, require_tool, run

    require_tool("skopeo")
    img = content["public/deep/tool"]
    src = f"docker://{policy_server.host}/public/deep/tool:v1"
    raw = run(["skopeo", "inspect", "--raw", "--tls-verify=false", "--no-creds", src])
    assert raw.encode().rstrip(b"\n") == img.data
    run(["skopeo", "copy", "--src-tls-verify=false", "--src-no-creds", src, f"oci:{tmp_path}/out:v1"])
    private = attempt(["skopeo", "inspect", "--raw", "--tls-verify=false", "--no-creds",
                       f"docker://{policy_server.host}/team-a/app:v1"])
    assert private.returncode != 0
    p = podman_factory("anon")
    p("pull", "--tls-verify=false", f"{policy_server.host}/public/base:v1")
