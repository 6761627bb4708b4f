"""`DELETE /api/v1/repositories/{name}`: a repository's administrators remove it and its
content — manifests, tags, layer links, unfinished uploads — and everything the index held
of it (stars, comments, collaborators, its own webhooks, its search entry). Repositories
nested under it stay; blobs stay for garbage collection, as with distribution; with
deletes disabled (`storage.delete.enabled`) nothing is removed."""

from __future__ import annotations

import pytest

from harness import Registry, images
from harness.client import error_codes
from harness.index_api import api, eventually

pytestmark = pytest.mark.pier_only

USERS = {"alice": "alice-pw", "bob": "bob-pw", "root": "root-pw"}
ALICE, BOB, ROOT = ("alice", "alice-pw"), ("bob", "bob-pw"), ("root", "root-pw")


def config(path, deletes: bool = True) -> dict:
    return {
        "storage": {"delete": {"enabled": deletes}},
        "auth": {"htpasswd": {"realm": "pier", "path": str(path)}},
        "access": {"admins": ["root"]},
        "index": {"namespaces": True, "defaultvisibility": "public", "webhooks": {"allow": ["127.0.0.0/8"]}},
    }


@pytest.fixture
def srv(make_server, htpasswd):
    return make_server("pier", config=config(htpasswd(USERS)))


def populate(srv) -> Registry:
    alice = Registry(srv.url, auth=ALICE)
    alice.push("alice/app", "v1", images.image(1))
    alice.push("alice/app", "v2", images.image(2))
    alice.push("alice/app/sub", "v1", images.image(3))
    assert eventually(lambda: api(srv, "/api/v1/repositories/alice/app").json().get("tag_count") == 2)
    assert eventually(lambda: api(srv, "/api/v1/repositories/alice/app/sub").status_code == 200)
    assert api(srv, "/api/v1/repositories/alice/app/star", auth=BOB, method="PUT").status_code == 204
    assert api(srv, "/api/v1/repositories/alice/app/comments", auth=BOB, method="POST", json={"body": "nice"}).status_code == 201
    r = api(srv, "/api/v1/repositories/alice/app/collaborators/bob", auth=ALICE, method="PUT", json={"role": "write"})
    assert r.status_code == 200, r.text
    r = api(srv, "/api/v1/repositories/alice/app/webhooks", auth=ALICE, method="POST",
            json={"url": "http://127.0.0.1:9/hook", "events": ["push"], "format": "dockerhub", "secret": "s"})
    assert r.status_code == 201, r.text
    return alice


def test_an_owner_deletes_a_repository_with_its_content_and_index_entries(srv):
    alice = populate(srv)
    upload = alice.start_upload("alice/app")
    assert upload.status_code == 202
    # Others may not: a collaborator with write is not an administrator.
    r = api(srv, "/api/v1/repositories/alice/app", auth=BOB, method="DELETE")
    assert r.status_code == 403 and error_codes(r) == ["DENIED"]
    assert api(srv, "/api/v1/repositories/alice/app", method="DELETE").status_code == 401
    assert api(srv, "/api/v1/repositories/alice/app", auth=ALICE, method="DELETE").status_code == 204
    # The registry no longer has it.
    r = alice.get("/v2/alice/app/tags/list")
    assert r.status_code == 404 and error_codes(r) == ["NAME_UNKNOWN"]
    assert alice.get_manifest("alice/app", "v1").status_code == 404
    assert "alice/app" not in alice.catalog()
    assert alice.get(upload.headers["Location"]).status_code == 404
    if "s3" not in srv.config.get("storage", {}):
        repo_dir = srv.root / "docker/registry/v2/repositories/alice/app"
        assert sorted(p.name for p in repo_dir.iterdir()) == ["sub"]
    # The nested repository is untouched.
    assert alice.get_manifest("alice/app/sub", "v1").status_code == 200
    assert "alice/app/sub" in alice.catalog()
    # Nor does the index.
    assert api(srv, "/api/v1/repositories/alice/app", auth=ALICE).status_code == 404
    assert [h["name"] for h in api(srv, "/api/v1/search?q=app").json()["results"]] == ["alice/app/sub"]
    assert api(srv, "/api/v1/users/bob/starred", auth=BOB).json()["results"] == []
    # Pushed again, it starts afresh: no stars, comments, collaborators or webhooks.
    alice.push("alice/app", "v3", images.image(4))
    assert eventually(lambda: api(srv, "/api/v1/repositories/alice/app").status_code == 200)
    body = api(srv, "/api/v1/repositories/alice/app").json()
    assert body["star_count"] == 0 and body["tag_count"] == 1
    assert api(srv, "/api/v1/repositories/alice/app/comments").json()["count"] == 0
    assert api(srv, "/api/v1/repositories/alice/app/collaborators", auth=ALICE).json()["results"] == []
    assert api(srv, "/api/v1/repositories/alice/app/webhooks", auth=ALICE).json()["results"] == []
    assert alice.tags("alice/app") == ["v3"]


def test_an_administrator_deletes_any_repository_and_missing_or_bad_names_are_refused(srv):
    populate(srv)
    assert api(srv, "/api/v1/repositories/alice/app/sub", auth=ROOT, method="DELETE").status_code == 204
    r = api(srv, "/api/v1/repositories/alice/app/sub", auth=ROOT, method="DELETE")
    assert r.status_code == 404 and error_codes(r) == ["NAME_UNKNOWN"]
    r = api(srv, "/api/v1/repositories/alice/nothing", auth=ALICE, method="DELETE")
    assert r.status_code == 404 and error_codes(r) == ["NAME_UNKNOWN"]
    r = api(srv, "/api/v1/repositories/Alice/App", auth=ROOT, method="DELETE")
    assert r.status_code == 400 and error_codes(r) == ["NAME_INVALID"]
    assert Registry(srv.url, auth=ALICE).get_manifest("alice/app", "v1").status_code == 200


def test_a_private_repository_is_deleted_only_by_those_who_see_it_and_others_learn_nothing(srv):
    populate(srv)
    assert api(srv, "/api/v1/repositories/alice/app", auth=ALICE, method="PATCH", json={"visibility": "private"}).status_code == 200
    api(srv, "/api/v1/repositories/alice/app/collaborators/bob", auth=ALICE, method="DELETE")
    missing = api(srv, "/api/v1/repositories/alice/none", auth=BOB, method="DELETE")
    hidden = api(srv, "/api/v1/repositories/alice/app", auth=BOB, method="DELETE")
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content
    assert Registry(srv.url, auth=ALICE).get_manifest("alice/app", "v1").status_code == 200


def test_with_deletes_disabled_nothing_is_removed(make_server, htpasswd):
    srv = make_server("pier", config=config(htpasswd(USERS), deletes=False))
    populate(srv)
    r = api(srv, "/api/v1/repositories/alice/app", auth=ALICE, method="DELETE")
    assert r.status_code == 405 and error_codes(r) == ["UNSUPPORTED"]
    # `Allow` names what still works here, never the method just refused.
    assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "PATCH"}, r.headers.get("Allow")
    assert Registry(srv.url, auth=ALICE).get_manifest("alice/app", "v1").status_code == 200
    body = api(srv, "/api/v1/repositories/alice/app").json()
    assert body["star_count"] == 1 and body["tag_count"] == 2
