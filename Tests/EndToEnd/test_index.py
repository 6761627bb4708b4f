"""The index (`index`): repositories and tags derived from the registry's events, pull
counts, search (also as `docker search` asks it), stars, visibility through the access
policy, catching up with storage at start, and `pier index rebuild` on a directory written
by distribution 2.8.2. On SQLite, the embedded default."""

from __future__ import annotations

import hashlib
import subprocess
import time

import pytest
import requests

from harness import Registry, images
from harness.index_api import api, eventually
from harness.client import error_codes
from harness.server import free_port, pier_bin

pytestmark = pytest.mark.pier_only

USERS = {"alice": "alice-pw", "bob": "bob-pw"}
POLICY = {
    "rules": [
        {"repository": "alice/**", "users": ["alice"], "actions": ["pull", "push", "delete"]},
        {"repository": "public/**", "anonymous": True, "users": ["*"], "actions": ["pull"]},
        {"repository": "public/**", "users": ["alice"], "actions": ["pull", "push"]},
    ],
}




@pytest.fixture
def open_pier(make_server):
    return make_server("pier")


@pytest.fixture
def guarded(make_server, htpasswd):
    path = htpasswd(USERS)
    return make_server("pier", config={"auth": {"htpasswd": {"realm": "pier", "path": str(path)}}, "access": POLICY},
                       auth=("alice", "alice-pw"))


def test_a_pushed_image_appears_with_its_tags_digest_size_and_pusher(guarded):
    reg = Registry(guarded.url, auth=("alice", "alice-pw"))
    m = images.image(2)
    assert reg.push("alice/app", "v1", m).status_code == 201
    body = eventually(lambda: api(guarded, "/api/v1/repositories/alice/app", auth=("alice", "alice-pw")).json()
                      if api(guarded, "/api/v1/repositories/alice/app", auth=("alice", "alice-pw")).status_code == 200 else None)
    assert body["name"] == "alice/app" and body["namespace"] == "alice" and body["tag_count"] == 1, body
    tags = api(guarded, "/api/v1/repositories/alice/app/tags", auth=("alice", "alice-pw")).json()
    assert tags["count"] == 1
    tag = tags["results"][0]
    assert tag["name"] == "v1" and tag["digest"] == m.digest and tag["pusher"] == "alice", tag
    assert tag["size"] == len(m.data) + sum(b.size for b in m.all_blobs()), tag


def test_a_tag_shows_when_its_image_was_built_and_its_labels_which_describe_and_find_it(open_pier):
    reg = Registry(open_pier.url)
    labels = {"org.opencontainers.image.description": "Kafka topic inspector", "maintainer": "streaming-team"}
    single = images.image(1, labels=labels, created="2026-03-01T12:30:45.123456789Z")
    assert reg.push("tools/inspect", "v1", single).status_code == 201
    tag = eventually(lambda: (api(open_pier, "/api/v1/repositories/tools/inspect/tags").json().get("results") or [None])[0])
    assert tag["created_at"] == "2026-03-01T12:30:45.123Z" and tag["labels"] == labels, tag
    # The label describes a repository that has no description yet.
    assert api(open_pier, "/api/v1/repositories/tools/inspect").json()["description"] == "Kafka topic inspector"
    # The search document is written just after the tag's row.
    assert eventually(lambda: [h["name"] for h in api(open_pier, "/api/v1/search?q=streaming-team").json()["results"]] == ["tools/inspect"])
    # A multi-arch index: its linux/amd64 image speaks for it.
    arm = images.image(1, arch="arm64", labels={"maintainer": "arm-team"}, created="2025-01-01T00:00:00Z")
    amd = images.image(1, arch="amd64", labels={"maintainer": "amd-team"}, created="2025-02-02T00:00:00Z")
    assert reg.push("tools/multi", "v1", images.index([arm, amd])).status_code == 201
    tag = eventually(lambda: (api(open_pier, "/api/v1/repositories/tools/multi/tags").json().get("results") or [None])[0])
    assert tag["created_at"] == "2025-02-02T00:00:00.000Z" and tag["labels"] == {"maintainer": "amd-team"}, tag
    # An image without either says nothing of them.
    assert reg.push("tools/plain", "v1", images.image(1)).status_code == 201
    tag = eventually(lambda: (api(open_pier, "/api/v1/repositories/tools/plain/tags").json().get("results") or [None])[0])
    assert tag.get("created_at") is None and tag["labels"] == {}


def test_tags_sort_by_push_date_or_name_and_page_with_link_headers(open_pier):
    reg = Registry(open_pier.url)
    for tag in ("b", "a", "c"):
        assert reg.push("team/sorted", tag, images.image(1)).status_code == 201
        time.sleep(0.01)
    eventually(lambda: api(open_pier, "/api/v1/repositories/team/sorted").json().get("tag_count") == 3)
    pushed = api(open_pier, "/api/v1/repositories/team/sorted/tags?sort=pushed").json()["results"]
    assert [t["name"] for t in pushed] == ["c", "a", "b"]
    first = api(open_pier, "/api/v1/repositories/team/sorted/tags?sort=name&page_size=2")
    assert [t["name"] for t in first.json()["results"]] == ["a", "b"]
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]
    second = api(open_pier, first.headers["Link"].split(">")[0].lstrip("<"))
    assert [t["name"] for t in second.json()["results"]] == ["c"] and "Link" not in second.headers


def test_pulls_are_counted_per_repository_and_tag(open_pier):
    reg = Registry(open_pier.url)
    reg.push("team/pulled", "v1", images.image(1))
    for _ in range(3):
        assert reg.get_manifest("team/pulled", "v1").status_code == 200
    body = eventually(lambda: (b := api(open_pier, "/api/v1/repositories/team/pulled").json()).get("pull_count") == 3 and b)
    assert body["last_pulled_at"], body
    tag = api(open_pier, "/api/v1/repositories/team/pulled/tags").json()["results"][0]
    assert tag["last_pulled_at"]


def test_search_finds_names_descriptions_and_tags_and_pages(open_pier):
    reg = Registry(open_pier.url)
    described = images.image(1, annotations={"org.opencontainers.image.description": "Nightly database dumps"})
    reg.push("tools/backup", "latest", described)
    reg.push("team/postgres", "15-alpine", images.image(1))
    reg.push("team/web", "v1", images.image(1))
    eventually(lambda: api(open_pier, "/api/v1/search?q=web").json()["count"] == 1)
    assert [r["name"] for r in api(open_pier, "/api/v1/search?q=dumps").json()["results"]] == ["tools/backup"]
    assert [r["name"] for r in api(open_pier, "/api/v1/search?q=alpine").json()["results"]] == ["team/postgres"]
    assert api(open_pier, "/api/v1/repositories/tools/backup").json()["description"] == "Nightly database dumps"
    page = api(open_pier, "/api/v1/search?q=team&page_size=1")
    assert page.json()["count"] == 2 and len(page.json()["results"]) == 1 and 'rel="next"' in page.headers["Link"]


def searched(srv, query: str) -> list[str]:
    r = api(srv, "/api/v1/search", params={"q": query})
    assert r.status_code == 200, r.text
    return [hit["name"] for hit in r.json()["results"]]


def test_search_ranks_the_named_repository_first_then_name_prefixes_then_mentions_by_popularity(open_pier):
    """Docker Hub's order on either engine: the repository whose name is the query, then
    names starting with it, then repositories that only mention it, pulls deciding inside
    each. A 20 KB overview or twenty tags (by which the full-text rank divided) do not
    sink the repository the query names."""
    reg = Registry(open_pier.url)

    def described(text: str):
        return images.image(1, annotations={"org.opencontainers.image.description": text})

    assert reg.push("alice/nginx", "latest", described("Official build of Nginx.")).status_code == 201
    assert reg.push("alice/web", "v1", described("Serves the site through nginx")).status_code == 201
    assert reg.push("bob/nginx-proxy", "v1", images.image(1)).status_code == 201
    assert reg.push("alice/redis-junk", "v1", images.image(1)).status_code == 201
    for i in range(20):
        assert reg.push("bob/redis", f"7.{i}", images.image(1)).status_code == 201
    assert eventually(lambda: api(open_pier, "/api/v1/repositories/bob/redis").json().get("tag_count") == 20)
    overview = "Run the server with a config file and mount your site. " * 370
    r = api(open_pier, "/api/v1/repositories/alice/nginx", method="PATCH", json={"overview": overview})
    assert r.status_code == 200, r.text
    for repo, tag in (("alice/nginx", "latest"), ("bob/redis", "7.0")):
        for _ in range(3):
            assert reg.get_manifest(repo, tag).status_code == 200
    assert eventually(lambda: all(api(open_pier, f"/api/v1/repositories/{repo}").json()["pull_count"] == 3
                                  for repo in ("alice/nginx", "bob/redis")))
    assert searched(open_pier, "nginx") == ["alice/nginx", "bob/nginx-proxy", "alice/web"]
    assert searched(open_pier, "redis") == ["bob/redis", "alice/redis-junk"]
    assert searched(open_pier, "alice/nginx") == ["alice/nginx", "alice/web"]
    # `docker search` reads the same order.
    assert [r["name"] for r in api(open_pier, "/v1/search?q=nginx").json()["results"]] == ["alice/nginx", "bob/nginx-proxy", "alice/web"]


def test_search_cuts_names_at_dots_underscores_and_hyphens_on_either_engine(open_pier):
    """`v2` finds `alice/app.v2`, `12.x` finds `alice/node-12.x`, and `my-app` finds
    `alice/my_app` as well as `alice/my-app`, on PostgreSQL too (whose parser keeps such
    names whole) as on SQLite."""
    reg = Registry(open_pier.url)
    for name in ("alice/app.v2", "alice/node-12.x", "alice/my_app", "alice/my-app"):
        assert reg.push(name, "v1", images.image(1)).status_code == 201
    assert eventually(lambda: api(open_pier, "/api/v1/search?q=alice").json()["count"] == 4)
    assert searched(open_pier, "v2") == ["alice/app.v2"]
    assert searched(open_pier, "12.x") == ["alice/node-12.x"]
    assert searched(open_pier, "node-12") == ["alice/node-12.x"]
    for query in ("my-app", "my_app", "my.app"):
        assert searched(open_pier, query) == ["alice/my-app", "alice/my_app"], query


@pytest.mark.parametrize("query", ['" OR 1=1 --', "name:*", "NEAR(a b)", "'; DROP TABLE tags; --", "%00", "-", "...", "x" * 3000])
def test_search_input_is_never_query_syntax(open_pier, query):
    Registry(open_pier.url).push("team/safe", "v1", images.image(1))
    r = api(open_pier, "/api/v1/search", params={"q": query})
    assert r.status_code == 200, r.text
    assert eventually(lambda: api(open_pier, "/api/v1/repositories/team/safe").status_code == 200)


@pytest.mark.parametrize("path,code,status", [
    ("/api/v1/search?page_size=0", "PAGINATION_NUMBER_INVALID", 400),
    ("/api/v1/search?page=-1", "PAGINATION_NUMBER_INVALID", 400),
    ("/api/v1/repositories/UPPER/case", "NAME_INVALID", 400),
    ("/api/v1/repositories/nobody/here", "NAME_UNKNOWN", 404),
    ("/api/v1/repositories/team/x/tags?sort=size", None, 404),
    ("/api/v1/nothing", "UNSUPPORTED", 404),
])
def test_bad_requests_get_the_registry_error_shape(open_pier, path, code, status):
    r = api(open_pier, path)
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    if code:
        assert error_codes(r) == [code]


def test_docker_search_endpoints_answer_as_the_docker_cli_reads_them(open_pier):
    Registry(open_pier.url).push("team/searchable", "v1", images.image(1))
    ping = api(open_pier, "/v1/_ping")
    assert ping.status_code == 200
    found = eventually(lambda: (b := api(open_pier, "/v1/search?q=searchable&n=25").json())["num_results"] == 1 and b)
    assert found["query"] == "searchable"
    assert found["results"] == [{"name": "team/searchable", "description": "", "star_count": 0,
                                 "is_official": False, "is_automated": False}]


def test_an_images_description_reaches_docker_search_as_one_line_without_terminal_codes(open_pier):
    """An annotation is pushed, not sent to be checked: it is cleaned, not refused. ESC and
    BEL would drive the terminal `docker search` prints to; NEL and U+2028 break lines."""
    annotation = "  Line one\n\x1b[31mred\x07 \u0085next\u2028line\u2029\t\tend  "
    reg = Registry(open_pier.url)
    assert reg.push("team/escapes", "v1", images.image(1, annotations={"org.opencontainers.image.description": annotation})).status_code == 201
    found = eventually(lambda: (b := api(open_pier, "/v1/search?q=escapes").json())["num_results"] == 1 and b)
    assert found["results"][0]["description"] == "Line one [31mred next line end"
    # The limit counts Unicode scalars: 300 of them, not 300 characters of 201 each.
    accented = ("a" + "\u0301" * 200) * 300
    assert reg.push("team/accents", "v1", images.image(2, annotations={"org.opencontainers.image.description": accented})).status_code == 201
    body = eventually(lambda: (r := api(open_pier, "/api/v1/repositories/team/accents")).status_code == 200 and r.json())
    assert len(body["description"]) == 300 and body["description"] == accented[:300]


def test_stars_need_a_user_and_count_once(guarded):
    Registry(guarded.url, auth=("alice", "alice-pw")).push("public/starry", "v1", images.image(1))
    eventually(lambda: api(guarded, "/api/v1/repositories/public/starry").status_code == 200)
    anonymous = api(guarded, "/api/v1/repositories/public/starry/star", method="PUT")
    assert anonymous.status_code == 401 and error_codes(anonymous) == ["UNAUTHORIZED"]
    for user in ("alice", "alice", "bob"):
        assert api(guarded, "/api/v1/repositories/public/starry/star", auth=(user, USERS[user]), method="PUT").status_code == 204
    body = api(guarded, "/api/v1/repositories/public/starry", auth=("bob", "bob-pw")).json()
    assert body["star_count"] == 2 and body["starred"] is True
    assert api(guarded, "/api/v1/users/bob/starred").json()["results"] == ["public/starry"]
    assert api(guarded, "/api/v1/repositories/public/starry/star", auth=("bob", "bob-pw"), method="DELETE").status_code == 204
    assert api(guarded, "/api/v1/repositories/public/starry").json()["star_count"] == 1


def test_a_repository_the_caller_may_not_pull_is_answered_as_missing_everywhere(guarded):
    reg = Registry(guarded.url, auth=("alice", "alice-pw"))
    reg.push("alice/secret", "v1", images.image(1))
    reg.push("public/open", "v1", images.image(1))
    assert eventually(lambda: api(guarded, "/api/v1/repositories/alice/secret", auth=("alice", "alice-pw")).status_code == 200)
    api(guarded, "/api/v1/repositories/alice/secret/star", auth=("alice", "alice-pw"), method="PUT")
    missing = api(guarded, "/api/v1/repositories/alice/nothing", auth=("bob", "bob-pw"))
    for auth in (None, ("bob", "bob-pw")):
        for path in ("/api/v1/repositories/alice/secret", "/api/v1/repositories/alice/secret/tags",
                     "/api/v1/repositories/alice/secret/star"):
            method = "PUT" if path.endswith("/star") else "GET"
            r = api(guarded, path, auth=auth, method=method)
            if auth is None and method == "PUT":
                assert r.status_code in (401, 404)
                continue
            assert (r.status_code, r.json()) == (missing.status_code, missing.json()), (path, auth)
        for search in ("/api/v1/search?q=secret", "/api/v1/search", "/v1/search?q=alice"):
            assert "alice/secret" not in api(guarded, search, auth=auth).text, (search, auth)
        assert "alice/secret" not in api(guarded, "/api/v1/users/alice/starred", auth=auth).text
    assert "alice/secret" in api(guarded, "/api/v1/search?q=secret", auth=("alice", "alice-pw")).text
    assert "public/open" in api(guarded, "/api/v1/search?q=open").text


def test_wrong_credentials_are_refused_not_treated_as_anonymous(guarded):
    r = api(guarded, "/api/v1/search", auth=("alice", "wrong"))
    assert r.status_code == 401 and error_codes(r) == ["UNAUTHORIZED"]


def test_a_directory_written_by_distribution_is_browsable_after_start(make_server, tmp_path):
    root = tmp_path / "shared-root"
    dist = make_server("distribution", root=root)
    reg = Registry(dist.url)
    reg.push("legacy/app", "1.0", images.image(1))
    reg.push("legacy/app", "2.0", images.image(2))
    reg.push("legacy/multi", "latest", images.index([images.image(1, arch="amd64"), images.image(1, arch="arm64")]))
    dist.stop()
    pier = make_server("pier", root=root)
    # The index reads storage in the background: wait for the whole repository.
    body = eventually(lambda: (r := api(pier, "/api/v1/repositories/legacy/app")).status_code == 200
                      and r.json()["tag_count"] == 2 and r.json())
    assert body and body["tag_count"] == 2
    multi = eventually(lambda: (r := api(pier, "/api/v1/repositories/legacy/multi/tags")).status_code == 200
                       and r.json()["results"] and r.json())
    assert multi["results"][0]["platforms"] == ["linux/amd64", "linux/arm64"]


def test_pier_index_rebuild_reads_a_directory_written_by_distribution(make_server, tmp_path):
    root = tmp_path / "shared-root"
    dist = make_server("distribution", root=root)
    Registry(dist.url).push("legacy/one", "v1", images.image(1))
    Registry(dist.url).push("legacy/two", "v1", images.image(1))
    dist.stop()
    config = tmp_path / "pier.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}\n")
    out = subprocess.run([pier_bin(), "index", "rebuild", str(config)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "indexed 2 repositories, 2 tags" in out.stdout
    assert (root / "pier" / "index.db").exists()
    assert not (root / "docker" / "registry" / "v2" / "pier").exists()


def test_pier_index_rebuild_reads_a_bucket_written_by_distribution(make_server, seaweedfs, tmp_path):
    import yaml

    bucket = seaweedfs.new_bucket()
    storage = {"s3": seaweedfs.s3_config(bucket), "redirect": {"disable": True}}
    dist = make_server("distribution", config={"storage": storage})
    Registry(dist.url).push("legacy/one", "v1", images.image(1))
    Registry(dist.url).push("legacy/one", "v2", images.image(2))
    Registry(dist.url).push("legacy/two", "v1", images.image(1))
    dist.stop()
    database = f"sqlite://{tmp_path / 'index.db'}"
    config = tmp_path / "pier.yml"
    config.write_text(yaml.safe_dump({"version": 0.1, "storage": storage, "index": {"database": database}}))
    out = subprocess.run([pier_bin(), "index", "rebuild", str(config)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "indexed 2 repositories, 3 tags" in out.stdout
    pier = make_server("pier", config={"storage": storage, "index": {"database": database}})
    assert api(pier, "/api/v1/repositories/legacy/one").json()["tag_count"] == 2
    assert sorted(r["name"] for r in api(pier, "/api/v1/search?q=legacy").json()["results"]) == ["legacy/one", "legacy/two"]


def test_pushes_made_while_the_index_could_not_be_opened_are_indexed_at_the_next_start(make_server, tmp_path):
    """An index database this build cannot open (here a schema from a newer Pier; in life
    PostgreSQL down at the start, a locked file) leaves the registry serving without it.
    What is pushed meanwhile is marked in storage, and the next start that has its index
    re-reads what was marked and clears the marks, rather than never indexing it."""
    import sqlite3

    # An SQLite file of its own, so that the test tampers with it under --index=postgres too.
    database = tmp_path / "index.db"
    srv = make_server("pier", config={"index": {"database": f"sqlite://{database}"}})
    Registry(srv.url).push("team/before", "v1", images.image(1))
    assert eventually(lambda: api(srv, "/api/v1/repositories/team/before").status_code == 200)
    srv.stop()
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)")
    srv.start()
    assert "newer than this build" in srv.log_path.read_text()
    Registry(srv.url).push("team/during", "v1", images.image(2))
    assert api(srv, "/api/v1/search").status_code == 404  # served without the index
    marks = srv.root / "docker" / "registry" / "v2" / "_pier" / "index" / "unindexed"

    def marked():
        return sorted(p.name for p in marks.iterdir()) if marks.exists() else []

    # One mark per repository changed, named by the SHA-256 of its name.
    assert eventually(lambda: marked() == [hashlib.sha256(b"team/during").hexdigest()])
    # A pull is noted as its tag's use, which retention's keep.within reads.
    assert Registry(srv.url).get_manifest("team/before", "v1").status_code == 200
    use = srv.root / "docker" / "registry" / "v2" / "_pier" / "uses" / "team" / "before" / "_tags" / "v1"
    assert eventually(use.exists)
    srv.stop()
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM schema_migrations WHERE version = 9999")
    srv.start()
    assert eventually(lambda: api(srv, "/api/v1/repositories/team/during").status_code == 200)
    assert eventually(lambda: marked() == [])
    assert api(srv, "/api/v1/repositories/team/before").status_code == 200


def test_the_api_lives_under_http_prefix_and_its_links_carry_it(make_server):
    srv = make_server("pier", config={"http": {"prefix": "/registry/"}}, ready_statuses=(404,))
    base = srv.url + "/registry/v2"
    for i in range(3):
        repo, img = f"team/prefixed{i}", images.image(i)
        for blob in img.blobs:
            r = requests.post(f"{base}/{repo}/blobs/uploads/?digest={images.sha256(blob.data)}", data=blob.data,
                              headers={"Content-Type": "application/octet-stream"}, timeout=30)
            assert r.status_code == 201, r.text
        r = requests.put(f"{base}/{repo}/manifests/v1", data=img.data, headers={"Content-Type": img.media_type}, timeout=30)
        assert r.status_code == 201, r.text
    assert eventually(lambda: api(srv, "/registry/api/v1/search?q=prefixed").json().get("count") == 3)
    first = api(srv, "/registry/api/v1/search?q=prefixed&page_size=2")
    assert first.headers["Link"].startswith("</registry/api/v1/search?")
    second = api(srv, first.headers["Link"].split(">")[0].lstrip("<"))
    assert len(second.json()["results"]) == 1 and "Link" not in second.headers
    assert api(srv, "/registry/api/v1/repositories/team/prefixed0").json()["tag_count"] == 1
    assert api(srv, "/registry/v1/search?q=prefixed").json()["num_results"] == 3
    # Outside the prefix nothing is served, as for /v2/.
    root = api(srv, "/api/v1/search?q=prefixed")
    assert root.status_code == 404 and "results" not in root.json()


def test_index_disabled_turns_the_api_off(make_server):
    srv = make_server("pier", config={"index": {"disabled": True}})
    Registry(srv.url).push("team/app", "v1", images.image(1))
    assert api(srv, "/api/v1/search").status_code == 404
    assert not (srv.root / "pier" / "index.db").exists()


@pytest.mark.parametrize("key,value", [("database", "mysql://x"), ("database", "postgres://u:secret@db"),
                                       ("database", "postgres://u:secret@db/pier?sslmode=sometimes"),
                                       ("webhooks", {"allow": ["not-a-range"]}), ("defaultvisibility", "hidden")])
def test_index_settings_not_supported_yet_are_refused_by_name(tmp_path, key, value):
    import yaml

    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"version": 0.1, "index": {key: value}}))
    out = subprocess.run([pier_bin(), "config", "check", str(config)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and f"index.{key}" in out.stderr, out.stderr
    assert "secret" not in out.stderr


def test_a_postgres_url_is_accepted_and_its_password_never_shown(tmp_path):
    import yaml

    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"version": 0.1, "index": {"database": "postgres://pier:s3cr%40t@db.internal:6432/registry?sslmode=require"}}))
    out = subprocess.run([pier_bin(), "config", "check", str(config)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "db.internal:6432/registry" in out.stdout and "s3cr" not in out.stdout + out.stderr


def test_an_unreachable_postgres_leaves_the_registry_serving(make_server):
    port = free_port()
    srv = make_server("pier", config={"index": {"database": f"postgres://pier:hunter2@127.0.0.1:{port}/pier?sslmode=disable"}})
    Registry(srv.url).push("team/app", "v1", images.image(1))
    assert api(srv, "/api/v1/search").status_code == 404
    assert "index database could not be opened" in srv.log and "hunter2" not in srv.log


def test_a_deleted_tag_leaves_the_index(open_pier):
    reg = Registry(open_pier.url)
    reg.push("team/short", "keep", images.image(1))
    reg.push("team/short", "drop", images.image(2))
    eventually(lambda: api(open_pier, "/api/v1/repositories/team/short").json().get("tag_count") == 2)
    assert reg.delete("/v2/team/short/manifests/drop").status_code == 202
    assert eventually(lambda: [t["name"] for t in api(open_pier, "/api/v1/repositories/team/short/tags").json()["results"]] == ["keep"])
    assert eventually(lambda: api(open_pier, "/api/v1/search?q=drop").json()["count"] == 0)


def test_page_numbers_too_large_are_refused_or_capped_never_a_crash(open_pier):
    huge = "9223372036854775807"
    assert api(open_pier, f"/api/v1/search?page={huge}").status_code == 400
    assert api(open_pier, f"/api/v1/search?page={huge}0").status_code == 400
    assert api(open_pier, f"/api/v1/repositories/team/x/tags?page={huge}").status_code in (400, 404)
    assert api(open_pier, f"/v1/search?q=a&page={huge}&n=100").status_code == 200
    assert api(open_pier, "/v2/").status_code == 200


def test_a_token_shows_only_the_repositories_its_claims_name(make_server, tmp_path):
    from harness.auth import token_for, write_htpasswd
    from harness.server import free_port

    write_htpasswd(tmp_path / "htpasswd", USERS)
    port = free_port()
    realm = f"http://127.0.0.1:{port}/token"
    srv = make_server("pier", port=port, config={
        "auth": {"token": {"realm": realm, "service": "pier-test", "issuer": "pier"}},
        "tokenserver": {"htpasswd": str(tmp_path / "htpasswd"), "key": str(tmp_path / "keys" / "token.key")},
    })
    writer = token_for(realm, "pier-test", ["repository:team/one:pull,push", "repository:team/two:pull,push"], auth=("alice", "alice-pw"))
    reg = Registry(srv.url, auth=f"Bearer {writer}")
    reg.push("team/one", "v1", images.image(1))
    reg.push("team/two", "v1", images.image(1))
    eventually(lambda: api(srv, "/api/v1/search", headers={"Authorization": f"Bearer {writer}"}).json()["count"] == 2)
    anonymous = token_for(realm, "pier-test", ["repository:team/one:pull"], auth=None)
    scoped = token_for(realm, "pier-test", ["repository:team/one:pull"], auth=("bob", "bob-pw"))
    assert api(srv, "/api/v1/search", headers={"Authorization": f"Bearer {anonymous}"}).json()["count"] == 0
    assert [r["name"] for r in api(srv, "/api/v1/search", headers={"Authorization": f"Bearer {scoped}"}).json()["results"]] == ["team/one"]
    hidden = api(srv, "/api/v1/repositories/team/two", headers={"Authorization": f"Bearer {scoped}"})
    assert hidden.status_code == 404 and error_codes(hidden) == ["NAME_UNKNOWN"]


def test_description_and_overview_are_edited_by_repository_admins_only(guarded):
    Registry(guarded.url, auth=("alice", "alice-pw")).push("alice/tool", "v1", images.image(1))
    Registry(guarded.url, auth=("alice", "alice-pw")).push("public/tool", "v1", images.image(1))
    eventually(lambda: api(guarded, "/api/v1/repositories/public/tool").status_code == 200)
    alice = ("alice", "alice-pw")
    overview = "# Tool\nRun it with `tool --help`. See [docs](https://example.com/docs).\n\n<script>alert(1)</script>"
    r = api(guarded, "/api/v1/repositories/alice/tool", auth=alice, method="PATCH",
            json={"description": "Searchable widget tool", "overview": overview})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["description"] == "Searchable widget tool" and body["overview"] == overview
    assert "<h1>Tool</h1>" in body["overview_html"] and "<script" not in body["overview_html"]
    assert 'href="https://example.com/docs"' in body["overview_html"]
    # Search reads the new description at once.
    assert "alice/tool" in api(guarded, "/api/v1/search?q=widget", auth=alice).text
    # Only the description: the overview stays.
    r = api(guarded, "/api/v1/repositories/alice/tool", auth=alice, method="PATCH", json={"description": "Short"})
    assert r.json()["overview"] == overview
    # public/** is pushed by alice but she may not delete there: not its administrator; bob may only pull.
    for auth, status, code in ((alice, 403, "DENIED"), (("bob", "bob-pw"), 403, "DENIED"), (None, 401, "UNAUTHORIZED")):
        r = api(guarded, "/api/v1/repositories/public/tool", auth=auth, method="PATCH", json={"description": "x"})
        assert (r.status_code, error_codes(r)) == (status, [code]), (auth, r.text)
    # Bob cannot even see alice/tool: as if it did not exist.
    r = api(guarded, "/api/v1/repositories/alice/tool", auth=("bob", "bob-pw"), method="PATCH", json={"description": "x"})
    assert r.status_code == 404 and error_codes(r) == ["NAME_UNKNOWN"]
    assert api(guarded, "/api/v1/repositories/public/tool").json()["description"] == ""


@pytest.mark.parametrize("body,headers,status", [
    (b"{not json", {"Content-Type": "application/json"}, 400),
    (b"[1, 2]", {"Content-Type": "application/json"}, 400),
    (b'{"description": "x", "stars": 5}', {"Content-Type": "application/json"}, 400),
    (b'{"description": 42}', {"Content-Type": "application/json"}, 400),
    (b'{"description": "line\\u0000break"}', {"Content-Type": "application/json"}, 400),
    (b'{"description": "' + b"d" * 301 + b'"}', {"Content-Type": "application/json"}, 400),
    # One line is one line: NEL and the line and paragraph separators break it too.
    (b'{"description": "line\\u0085break"}', {"Content-Type": "application/json"}, 400),
    (b'{"description": "line\\u2028break"}', {"Content-Type": "application/json"}, 400),
    (b'{"description": "line\\u2029break"}', {"Content-Type": "application/json"}, 400),
    # 300 characters of 200 combining accents each: 60,300 scalars, 120 KB.
    (('{"description": "' + ("a" + "\u0301" * 200) * 300 + '"}').encode(), {"Content-Type": "application/json"}, 400),
    (b'{"overview": "' + b"o" * 160_000 + b'"}', {"Content-Type": "application/json"}, 413),
    (b'{"description": "x"}', {"Content-Type": "text/plain"}, 400),
    (b'{"description": "x"}', {}, 400),  # no type: what a cross-site post without a preflight sends
])
def test_bad_bodies_are_refused_and_nothing_is_stored_half(open_pier, body, headers, status):
    Registry(open_pier.url).push("team/strict", "v1", images.image(1))
    eventually(lambda: api(open_pier, "/api/v1/repositories/team/strict").status_code == 200)
    api(open_pier, "/api/v1/repositories/team/strict", method="PATCH", json={"description": "kept", "overview": "kept too"})
    r = api(open_pier, "/api/v1/repositories/team/strict", method="PATCH", data=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["errors"][0]["code"] in ("REQUEST_INVALID", "SIZE_INVALID")
    after = api(open_pier, "/api/v1/repositories/team/strict").json()
    assert (after["description"], after["overview"]) == ("kept", "kept too")


def test_comments_are_posted_paged_edited_and_deleted_by_their_author_or_an_admin(guarded):
    Registry(guarded.url, auth=("alice", "alice-pw")).push("public/talk", "v1", images.image(1))
    Registry(guarded.url, auth=("alice", "alice-pw")).push("alice/talk", "v1", images.image(1))
    eventually(lambda: api(guarded, "/api/v1/repositories/public/talk").status_code == 200)
    bob, alice = ("bob", "bob-pw"), ("alice", "alice-pw")
    base = "/api/v1/repositories/public/talk/comments"
    assert api(guarded, base, method="POST", json={"body": "hi"}).status_code == 401
    hostile = "Nice! <img src=x onerror=alert(1)> [x](javascript:alert(1)) **bold**"
    r = api(guarded, base, auth=bob, method="POST", json={"body": hostile})
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["author"] == "bob" and first["body"] == hostile and first.get("updated_at") is None
    assert "<img" not in first["body_html"] and "href" not in first["body_html"]
    assert "<strong>bold</strong>" in first["body_html"]
    for i in range(3):
        api(guarded, base, auth=alice, method="POST", json={"body": f"comment {i}"})
    page = api(guarded, base + "?page=1&page_size=2")
    assert page.json()["count"] == 4 and [c["author"] for c in page.json()["results"]] == ["bob", "alice"]
    assert 'rel="next"' in page.headers["Link"]
    one = f"{base}/{first['id']}"
    # Alice may push to public/** but not delete there: she is not its administrator.
    assert api(guarded, one, auth=alice, method="PATCH", json={"body": "edited by alice"}).status_code == 403
    edited = api(guarded, one, auth=bob, method="PATCH", json={"body": "edited"})
    assert edited.status_code == 200 and edited.json()["body"] == "edited" and edited.json()["updated_at"]
    assert api(guarded, one, auth=bob, method="DELETE").status_code == 204
    assert api(guarded, one).status_code == 404 and error_codes(api(guarded, one)) == ["NOT_FOUND"]
    # A comment id from another repository is not found here.
    other = api(guarded, "/api/v1/repositories/alice/talk/comments", auth=alice, method="POST", json={"body": "mine"}).json()
    assert api(guarded, f"{base}/{other['id']}", auth=alice).status_code == 404
    # Bob cannot see alice/talk at all, nor its comments.
    assert api(guarded, f"/api/v1/repositories/alice/talk/comments/{other['id']}", auth=bob).status_code == 404
    for bad in ("/api/v1/repositories/public/talk/comments/abc", "/api/v1/repositories/public/talk/comments/-1",
                "/api/v1/repositories/public/talk/comments/99999999999999999999"):
        assert api(guarded, bad).status_code == 404
    # The limit counts Unicode scalars: 500 characters of 11 scalars each are 5,500.
    for body in ({"body": ""}, {"body": "   "}, {"body": "x" * 5001}, {"body": ("a" + "\u0301" * 10) * 500}, {"text": "hi"},
                 {"body": None}):
        r = api(guarded, base, auth=bob, method="POST", json=body)
        assert r.status_code == 400 and error_codes(r) == ["REQUEST_INVALID"], body


def test_comments_are_rate_limited_per_user(guarded):
    Registry(guarded.url, auth=("alice", "alice-pw")).push("public/busy", "v1", images.image(1))
    eventually(lambda: api(guarded, "/api/v1/repositories/public/busy").status_code == 200)
    base = "/api/v1/repositories/public/busy/comments"
    statuses = [api(guarded, base, auth=("bob", "bob-pw"), method="POST", json={"body": f"spam {i}"}).status_code
                for i in range(12)]
    assert statuses == [201] * 10 + [429] * 2
    refused = api(guarded, base, auth=("bob", "bob-pw"), method="POST", json={"body": "more"})
    assert error_codes(refused) == ["TOOMANYREQUESTS"] and int(refused.headers["Retry-After"]) >= 1
    # Another user is not held back by bob.
    assert api(guarded, base, auth=("alice", "alice-pw"), method="POST", json={"body": "hello"}).status_code == 201
    assert api(guarded, base).json()["count"] == 11


def test_the_openapi_document_describes_every_endpoint_and_each_answers(guarded):
    doc = api(guarded, "/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    Registry(guarded.url, auth=("alice", "alice-pw")).push("alice/doc", "v1", images.image(1))
    eventually(lambda: api(guarded, "/api/v1/repositories/alice/doc", auth=("alice", "alice-pw")).status_code == 200)
    for path, item in doc["paths"].items():
        # Items that need an id, organisations (which need index.namespaces) and the list of
        # users (administrators only) are left out.
        if "get" not in item or "{id}" in path or "{delivery}" in path or "/orgs" in path or path == "/api/v1/users":
            continue
        concrete = path.replace("{name}", "alice/doc").replace("{user}", "alice")
        r = api(guarded, concrete, auth=("alice", "alice-pw"))
        assert r.status_code == 200, (path, r.status_code, r.text)
    # Every route the API answers is in the document.
    for documented in ("/api/v1/repositories/{name}/webhooks/{id}/deliveries/{delivery}/redeliver", "/api/v1/tokens/{id}",
                       "/api/v1/repositories/{name}/collaborators/{user}", "/api/v1/repositories/{name}/comments/{id}",
                       "/api/v1/users"):
        assert documented in doc["paths"]


def test_a_method_an_endpoint_does_not_take_is_a_405_naming_those_it_does_before_anything_else(guarded):
    """RFC 9110 requires `Allow` on every 405: what the document lists for the path (and
    HEAD wherever GET is). A wrong method is told before the caller's rights or the body's
    type are looked at: a POST without JSON to an endpoint that takes no POST is a 405."""
    doc = api(guarded, "/api/v1/openapi.json").json()
    ids = {"{name}": "alice/doc", "{user}": "alice", "{id}": "1", "{delivery}": "1", "{org}": "acme", "{team}": "devs"}
    for path, item in doc["paths"].items():
        concrete = path
        for placeholder, value in ids.items():
            concrete = concrete.replace(placeholder, value)
        documented = [m.upper() for m in ("get", "put", "post", "delete", "patch") if m in item]
        expected = set(documented) | ({"HEAD"} if "GET" in documented else set())
        for method in {"GET", "PUT", "POST", "DELETE", "PATCH"} - set(documented):
            for auth in (None, ("alice", "alice-pw")):
                r = requests.request(method, guarded.url + concrete, auth=auth, data=b"name=x",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
                assert r.status_code == 405 and error_codes(r) == ["UNSUPPORTED"], (method, path, r.status_code, r.text)
                assert set(r.headers["Allow"].split(", ")) == expected, (method, path, r.headers.get("Allow"))
    # A method the document lists still reaches the endpoint and its own checks.
    r = requests.post(guarded.url + "/api/v1/tokens", auth=("alice", "alice-pw"), data=b"name=x", timeout=30)
    assert r.status_code == 400 and "application/json" in r.text
