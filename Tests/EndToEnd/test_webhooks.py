"""Repository webhooks: Docker Hub and CloudEvents payloads, signed with HMAC-SHA256,
after pushes by real clients; durable delivery through a receiver outage and a restart,
each event once; delivery history and redelivery; addresses a webhook may not reach."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
import requests

from harness import Registry, images
from harness import index_api
from harness.index_api import eventually
from harness.client import error_codes
from harness.receiver import Receiver
from harness.tools import require_tool, run

pytestmark = pytest.mark.pier_only

USERS = {"alice": "alice-pw", "bob": "bob-pw"}
ALICE = ("alice", "alice-pw")
SECRET = "s3cr3t-for-signing"


def api(srv, path: str, auth=ALICE, method: str = "GET", **kw) -> requests.Response:
    return index_api.api(srv, path, auth=auth, method=method, **kw)



def signed(request: dict, secret: str = SECRET) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(request["headers"].get("x-pier-signature-256", ""), expected)


@pytest.fixture
def receiver():
    rx = Receiver().start()
    yield rx
    rx.stop()


@pytest.fixture
def hooked(make_server, htpasswd):
    return configured(make_server, htpasswd)


def configured(make_server, htpasswd, **extra):
    """The `hooked` server: alice's repositories hers (bob may push), webhooks allowed to
    loopback receivers, with `extra` sections added (deletes, a web prefix)."""
    path = htpasswd(USERS)
    return make_server("pier", config={
        "auth": {"htpasswd": {"realm": "pier", "path": str(path)}},
        "access": {"rules": [
            {"repository": "alice/**", "users": ["alice"], "actions": ["pull", "push", "delete"]},
            {"repository": "alice/**", "users": ["bob"], "actions": ["pull", "push"]},
        ]},
        "index": {"webhooks": {"allow": ["127.0.0.0/8"]}},
        **extra,
    })


def create_hook(srv, repo: str, url: str, fmt: str = "dockerhub", events=("push",), secret: str = SECRET) -> dict:
    if api(srv, f"/api/v1/repositories/{repo}").status_code == 404:
        Registry(srv.url, auth=ALICE).push(repo, "seed", images.image(1))
        eventually(lambda: api(srv, f"/api/v1/repositories/{repo}").status_code == 200)
    r = api(srv, f"/api/v1/repositories/{repo}/webhooks", method="POST",
            json={"url": url, "events": list(events), "format": fmt, "secret": secret})
    assert r.status_code == 201, r.text
    assert "secret" not in r.json() and r.json()["has_secret"] is bool(secret)
    return r.json()


def test_pushes_by_skopeo_podman_and_the_api_reach_both_formats_signed(hooked, receiver, tmp_path, podman_factory):
    require_tool("skopeo")
    docker_hook = create_hook(hooked, "alice/app", receiver.url("/dockerhub"))
    cloud_hook = create_hook(hooked, "alice/app", receiver.url("/cloud"), fmt="cloudevents")
    img = images.image(2)
    images.write_oci_layout(tmp_path / "src", img, "v1")
    run(["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:alice-pw",
         f"oci:{tmp_path}/src:v1", f"docker://{hooked.host}/alice/app:skopeo"])
    podman = podman_factory()
    podman("pull", f"oci:{tmp_path}/src:v1")
    image_id = podman("images", "-q").splitlines()[0]
    podman("push", "--tls-verify=false", "--creds", "bob:bob-pw", image_id, f"docker://{hooked.host}/alice/app:podman")
    Registry(hooked.url, auth=ALICE).push("alice/app", "api", images.image(3))

    def by(path):
        return [r for r in receiver.accepted() if r["path"] == path]

    assert receiver.wait_for(lambda _: len(by("/dockerhub")) >= 3 and len(by("/cloud")) >= 3)
    hub = {r["json"]["push_data"]["tag"]: r for r in by("/dockerhub")}
    assert set(hub) == {"skopeo", "podman", "api"}
    for tag, request in hub.items():
        assert signed(request), tag
        body = request["json"]
        assert request["headers"]["content-type"] == "application/json"
        assert request["headers"]["x-pier-event"] == "push" and request["headers"]["x-pier-hook"] == docker_hook["id"]
        assert body["repository"]["repo_name"] == "alice/app" and body["repository"]["namespace"] == "alice"
        assert body["repository"]["name"] == "app" and body["repository"]["is_private"] is False
        assert isinstance(body["push_data"]["pushed_at"], int) and body["push_data"]["digest"].startswith("sha256:")
    assert hub["podman"]["json"]["push_data"]["pusher"] == "bob"
    assert hub["skopeo"]["json"]["push_data"]["pusher"] == "alice"
    cloud = {r["json"]["subject"]: r for r in by("/cloud")}
    assert set(cloud) == {"alice/app:skopeo", "alice/app:podman", "alice/app:api"}
    for request in cloud.values():
        assert signed(request)
        event = request["json"]
        assert request["headers"]["content-type"] == "application/cloudevents+json"
        assert event["specversion"] == "1.0" and event["type"] == "io.pier.repository.push"
        assert event["id"] and event["time"] and event["data"]["repository"] == "alice/app"
    # A delivery is written down after its answer is read: the last one a moment after the
    # receiver has it.
    def history():
        return api(hooked, f"/api/v1/repositories/alice/app/webhooks/{cloud_hook['id']}/deliveries").json()

    assert eventually(lambda: history()["count"] == 3), history()
    assert all(d["succeeded"] and d["status"] == 200 for d in history()["results"])


def test_a_receiver_down_for_a_while_and_a_restart_in_between_lose_nothing_and_duplicate_nothing(hooked, receiver):
    hook = create_hook(hooked, "alice/durable", receiver.url(), events=("push", "tag_delete"))
    receiver.stop()
    reg = Registry(hooked.url, auth=ALICE)
    for tag in ("one", "two", "three"):
        reg.push("alice/durable", tag, images.image(1))
    assert reg.delete("/v2/alice/durable/manifests/two").status_code == 202
    deliveries = f"/api/v1/repositories/alice/durable/webhooks/{hook['id']}/deliveries"
    # Attempts fail while the receiver is down, and are recorded.
    failed = eventually(lambda: [d for d in api(hooked, deliveries).json()["results"] if not d["succeeded"]])
    assert failed and failed[0]["status"] == 0 and failed[0]["error"]
    hooked.stop()
    hooked.start()
    receiver.start()
    got = receiver.wait_for(lambda reqs: len(reqs) >= 4 and reqs, timeout=60)
    time.sleep(1.5)  # anything sent twice would arrive by now
    got = receiver.accepted()
    events = [(r["json"]["event"], r["json"]["push_data"]["tag"]) for r in got]
    assert sorted(events) == sorted([("push", "one"), ("push", "two"), ("push", "three"), ("tag_delete", "two")]), events
    # In the order they happened.
    assert events == [("push", "one"), ("push", "two"), ("push", "three"), ("tag_delete", "two")]


def test_a_delivery_is_redelivered_on_request(hooked, receiver):
    hook = create_hook(hooked, "alice/again", receiver.url())
    Registry(hooked.url, auth=ALICE).push("alice/again", "v1", images.image(1))
    first = receiver.wait_for(lambda reqs: [r for r in reqs if r["json"]["push_data"]["tag"] == "v1"])[0]
    base = f"/api/v1/repositories/alice/again/webhooks/{hook['id']}/deliveries"
    delivery = eventually(lambda: [d for d in api(hooked, base).json()["results"] if '"v1"' in d["request"]])[0]
    # A POST without a body still says it is JSON: one without (what another site's page
    # could send with a browser's remembered credentials, no preflight) is refused.
    r = api(hooked, f"{base}/{delivery['id']}/redeliver", method="POST")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "REQUEST_INVALID", r.text
    json_type = {"Content-Type": "application/json"}
    r = api(hooked, f"{base}/{delivery['id']}/redeliver", method="POST", headers=json_type)
    assert r.status_code == 202, r.text
    again = receiver.wait_for(lambda reqs: len([x for x in reqs if x["json"]["push_data"]["tag"] == "v1"]) == 2 and reqs)
    v1 = [x for x in again if x["json"]["push_data"]["tag"] == "v1"]
    assert v1[0]["body"] == first["body"] or v1[1]["json"]["push_data"] == first["json"]["push_data"]
    history = eventually(lambda: [d for d in api(hooked, base).json()["results"] if d.get("redelivery_of") == delivery["id"]])
    assert history and history[0]["event_id"] == delivery["event_id"]
    assert api(hooked, f"{base}/nope/redeliver", method="POST", headers=json_type).status_code == 404


@pytest.mark.parametrize("url", ["http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/x",
                                 "http://localhost:9/x", "ftp://example.com/x", "not a url", "http://0.0.0.0:9/"])
def test_a_webhook_may_not_target_private_addresses_unless_allowed(make_server, htpasswd, url):
    path = htpasswd(USERS)
    srv = make_server("pier", config={"auth": {"htpasswd": {"realm": "pier", "path": str(path)}}})
    Registry(srv.url, auth=ALICE).push("alice/app", "v1", images.image(1))
    eventually(lambda: api(srv, "/api/v1/repositories/alice/app").status_code == 200)
    r = api(srv, "/api/v1/repositories/alice/app/webhooks", method="POST", json={"url": url, "events": ["push"]})
    assert r.status_code == 400 and error_codes(r) == ["REQUEST_INVALID"], r.text
    assert api(srv, "/api/v1/repositories/alice/app/webhooks").json()["results"] == []


def test_webhooks_belong_to_the_repositorys_administrators(hooked, receiver):
    hook = create_hook(hooked, "alice/admin", receiver.url())
    bob = ("bob", "bob-pw")
    for method, path in (("GET", ""), ("POST", ""), ("GET", f"/{hook['id']}"), ("DELETE", f"/{hook['id']}"),
                         ("GET", f"/{hook['id']}/deliveries")):
        r = api(hooked, f"/api/v1/repositories/alice/admin/webhooks{path}", auth=bob, method=method,
                json={"url": receiver.url(), "events": ["push"]} if method == "POST" else None)
        assert r.status_code == 403, (method, path, r.text)
    # Anonymous callers cannot even see the repository.
    assert api(hooked, "/api/v1/repositories/alice/admin/webhooks", auth=None).status_code == 404


@pytest.mark.parametrize("body", [
    {"url": "http://127.0.0.1:9/", "events": ["pull"]}, {"url": "http://127.0.0.1:9/", "events": []},
    {"url": "http://127.0.0.1:9/"}, {"url": "http://127.0.0.1:9/", "events": ["push"], "format": "xml"},
    {"url": "http://127.0.0.1:9/", "events": ["push"], "active": "yes"},
    {"url": "http://127.0.0.1:9/", "events": ["push"], "owner": "bob"}, {"events": ["push"]},
])
def test_bad_webhook_requests_are_refused_and_make_nothing(hooked, body):
    Registry(hooked.url, auth=ALICE).push("alice/bad", "v1", images.image(1))
    eventually(lambda: api(hooked, "/api/v1/repositories/alice/bad").status_code == 200)
    r = api(hooked, "/api/v1/repositories/alice/bad/webhooks", method="POST", json=body)
    assert r.status_code == 400 and error_codes(r) == ["REQUEST_INVALID"], r.text
    assert api(hooked, "/api/v1/repositories/alice/bad/webhooks").json()["results"] == []


def test_a_webhook_is_edited_paused_and_deleted(hooked, receiver):
    hook = create_hook(hooked, "alice/edit", receiver.url("/a"))
    base = f"/api/v1/repositories/alice/edit/webhooks/{hook['id']}"
    r = api(hooked, base, method="PATCH", json={"url": receiver.url("/b"), "format": "cloudevents"})
    assert r.status_code == 200 and r.json()["url"].endswith("/b") and r.json()["format"] == "cloudevents"
    Registry(hooked.url, auth=ALICE).push("alice/edit", "v1", images.image(1))
    assert receiver.wait_for(lambda reqs: [x for x in reqs if x["path"] == "/b"])
    assert api(hooked, base, method="PATCH", json={"active": False}).json()["active"] is False
    Registry(hooked.url, auth=ALICE).push("alice/edit", "v2", images.image(2))
    time.sleep(1)
    assert len(receiver.accepted()) == 1
    assert api(hooked, base, method="DELETE").status_code == 204
    assert api(hooked, base).status_code == 404


def test_an_organisations_webhook_hears_every_repository_of_the_organisation(make_server, htpasswd, receiver):
    path = htpasswd(USERS)
    srv = make_server("pier", config={"auth": {"htpasswd": {"realm": "pier", "path": str(path)}},
                                      "access": {"admins": ["alice"]},
                                      "index": {"namespaces": True, "webhooks": {"allow": ["127.0.0.0/8"]}}})
    assert api(srv, "/api/v1/orgs", method="POST", json={"name": "acme"}).status_code == 201
    r = api(srv, "/api/v1/orgs/acme/webhooks", method="POST",
            json={"url": receiver.url("/org"), "events": ["push"], "format": "cloudevents", "secret": SECRET})
    assert r.status_code == 201, r.text
    hook = r.json()
    assert api(srv, "/api/v1/orgs/acme/webhooks", auth=("bob", "bob-pw")).status_code == 403
    reg = Registry(srv.url, auth=ALICE)
    for repo in ("acme/api", "acme/web"):
        assert reg.push(repo, "v1", images.image(1)).status_code == 201
    reg.push("alice/own", "v1", images.image(1))  # not the organisation's
    reg.push("acme", "v1", images.image(1))  # one component: in no organisation
    got = receiver.wait_for(lambda reqs: len(reqs) >= 2 and reqs)
    time.sleep(0.5)
    assert sorted(r["json"]["subject"] for r in receiver.accepted()) == ["acme/api:v1", "acme/web:v1"]
    assert all(signed(r) for r in got)
    assert all(r["json"]["data"]["is_private"] is True for r in got)  # private by default
    assert eventually(lambda: api(srv, f"/api/v1/orgs/acme/webhooks/{hook['id']}/deliveries").json()["count"] == 2)
    assert api(srv, f"/api/v1/orgs/acme/webhooks/{hook['id']}", method="DELETE").status_code == 204


def test_deleting_a_repository_tells_the_webhooks_that_go_with_it_and_a_repository_pushed_again_has_none(
        make_server, htpasswd, receiver):
    srv = configured(make_server, htpasswd, storage={"delete": {"enabled": True}})
    reg = Registry(srv.url, auth=ALICE)
    first, second = images.image(1), images.image(2)
    reg.push("alice/del", "v1", first)
    eventually(lambda: api(srv, "/api/v1/repositories/alice/del").status_code == 200)
    create_hook(srv, "alice/del", receiver.url(), events=("push", "tag_delete", "manifest_delete"))
    reg.push("alice/del", "v2", second)
    assert receiver.wait_for(lambda reqs: reqs)
    assert api(srv, "/api/v1/repositories/alice/del", method="DELETE").status_code == 204
    # The hook is gone with the repository by the time its queue is delivered; the
    # deletion is sent all the same, signed with the hook's secret.
    got = receiver.wait_for(lambda reqs: len(reqs) >= 3 and reqs)
    events = [(r["json"]["event"], r["json"]["push_data"]["digest"]) for r in got]
    assert events[0] == ("push", second.digest), events
    assert sorted(events[1:]) == sorted([("manifest_delete", first.digest), ("manifest_delete", second.digest)]), events
    assert all(signed(r) for r in got)
    # Pushed again under the name, the repository starts without the old hooks.
    reg.push("alice/del", "v3", images.image(3))
    eventually(lambda: api(srv, "/api/v1/repositories/alice/del").status_code == 200)
    assert api(srv, "/api/v1/repositories/alice/del/webhooks").json()["results"] == []
    time.sleep(1.5)
    assert len(receiver.accepted()) == 3, [r["json"]["event"] for r in receiver.accepted()]


def test_payload_links_lead_to_the_repositorys_page_as_the_client_reached_the_registry(make_server, htpasswd, receiver):
    # No `http.host`: links start as the pushing client reached the registry; the web UI
    # is under /ui, where `repo_url` must lead.
    srv = configured(make_server, htpasswd, web={"prefix": "/ui"})
    create_hook(srv, "alice/linked", receiver.url("/dockerhub"))
    create_hook(srv, "alice/linked", receiver.url("/cloud"), fmt="cloudevents")
    Registry(srv.url, auth=ALICE).push("alice/linked", "v1", images.image(2))
    got = receiver.wait_for(lambda reqs: len(reqs) >= 2 and reqs)
    hub = next(r["json"] for r in got if r["path"] == "/dockerhub")
    cloud = next(r["json"] for r in got if r["path"] == "/cloud")
    assert hub["repository"]["repo_url"] == f"{srv.url}/ui/r/alice/linked", hub["repository"]
    assert cloud["source"] == f"{srv.url}/alice/linked", cloud
    page = requests.get(hub["repository"]["repo_url"], auth=ALICE, timeout=30)
    assert page.status_code == 200 and "alice/linked" in page.text
