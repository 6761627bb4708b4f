"""Notifications: distribution's envelope, delivered at least once and in order from a
queue on disk that survives a receiver outage and a restart of Pier."""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from harness import Registry, images
from harness.server import free_port

pytestmark = [pytest.mark.pier_only]


class Receiver:
    """A real HTTP endpoint that records every envelope it accepts."""

    def __init__(self, port):
        self.port = port
        self.envelopes = []
        self.content_types = []
        self.authorizations = []
        self.paths = []
        self.accepted_paths = []
        self.status = 200
        self.server = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.status
                receiver.authorizations.append(self.headers.get("Authorization"))
                receiver.paths.append(self.path)
                if status == 200:
                    receiver.accepted_paths.append(self.path)
                    receiver.content_types.append(self.headers["Content-Type"])
                    receiver.envelopes.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def events(self):
        return [event for envelope in self.envelopes for event in envelope["events"]]

    def wait_for(self, predicate, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self.events):
                return self.events
            time.sleep(0.1)
        raise AssertionError(f"events never matched; got {json.dumps(self.events, indent=1)[:3000]}")


def endpoint_config(port, **extra):
    endpoint = {"name": "receiver", "url": f"http://127.0.0.1:{port}/events", "timeout": "1s", "threshold": 3, "backoff": "200ms"}
    endpoint.update(extra)
    return {"notifications": {"endpoints": [endpoint]}}


def manifest_pushes(events):
    return [e for e in events if e["action"] == "push" and e["target"].get("tag")]


def test_events_use_distributions_envelope_and_fields(make_server):
    receiver = Receiver(free_port())
    receiver.start()
    try:
        srv = make_server("pier", config=endpoint_config(receiver.port))
        reg = Registry(srv.url)
        img = images.image(1)
        reg.push("events/app", "v1", img)
        requests.get(f"{srv.url}/v2/events/app/manifests/v1", headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.1"})
        requests.delete(f"{srv.url}/v2/events/app/manifests/v1")
        events = receiver.wait_for(lambda evs: any(e["action"] == "delete" for e in evs))
    finally:
        receiver.stop()
    assert set(receiver.content_types) == {"application/vnd.docker.distribution.events.v1+json"}
    push = manifest_pushes(events)[0]
    assert push["target"]["repository"] == "events/app"
    assert push["target"]["digest"] == img.digest and push["target"]["tag"] == "v1"
    assert push["target"]["mediaType"] == img.media_type
    assert push["target"]["size"] == len(img.data) == push["target"]["length"]
    assert push["target"]["url"].endswith(f"/v2/events/app/manifests/{img.digest}")
    for key in ("id", "timestamp", "request", "actor", "source"):
        assert key in push
    assert push["request"]["method"] == "PUT" and push["source"]["instanceID"]
    # `request.addr` as distribution writes it: the peer's host:port, or the client a proxy names.
    assert re.fullmatch(r"127\.0\.0\.1:\d+", push["request"]["addr"]), push["request"]["addr"]
    blob_pushes = [e for e in events if e["action"] == "push" and e["target"]["mediaType"] == "application/octet-stream"]
    assert {e["target"]["digest"] for e in blob_pushes} >= {b.digest for b in img.all_blobs()}
    pull = next(e for e in events if e["action"] == "pull")
    assert pull["target"]["digest"] == img.digest and pull["request"]["addr"] == "203.0.113.7"
    delete = next(e for e in events if e["action"] == "delete")
    assert delete["target"]["tag"] == "v1"


def test_deleting_a_tagged_manifest_by_digest_sends_a_delete_for_each_of_its_tags(make_server):
    receiver = Receiver(free_port())
    receiver.start()
    try:
        srv = make_server("pier", config=endpoint_config(receiver.port))
        reg = Registry(srv.url)
        img = images.image(1)
        reg.push("events/untag", "v1", img)
        assert reg.put_manifest("events/untag", "latest", img).status_code == 201
        assert requests.delete(f"{srv.url}/v2/events/untag/manifests/{img.digest}").status_code == 202
        events = receiver.wait_for(lambda evs: len([e for e in evs if e["action"] == "delete"]) == 3)
    finally:
        receiver.stop()
    deletes = [e["target"] for e in events if e["action"] == "delete"]
    # distribution's order: the manifest, then each tag it took with it.
    assert deletes[0]["digest"] == img.digest and not deletes[0].get("tag")
    assert sorted(d["tag"] for d in deletes[1:]) == ["latest", "v1"]
    assert all(d["repository"] == "events/untag" for d in deletes)


def test_ignored_actions_and_media_types_are_not_sent(make_server):
    receiver = Receiver(free_port())
    receiver.start()
    try:
        config = endpoint_config(receiver.port, ignore={"actions": ["pull"], "mediatypes": ["application/octet-stream"]})
        srv = make_server("pier", config=config)
        reg = Registry(srv.url)
        reg.push("events/ignored", "v1", images.image(1))
        requests.get(f"{srv.url}/v2/events/ignored/manifests/v1")
        events = receiver.wait_for(lambda evs: len(manifest_pushes(evs)) == 1)
        time.sleep(0.5)
        events = receiver.events
    finally:
        receiver.stop()
    assert all(e["action"] != "pull" for e in events)
    assert all(e["target"].get("mediaType") != "application/octet-stream" for e in events)


def test_events_survive_a_receiver_outage_and_a_restart_in_order(make_server):
    receiver = Receiver(free_port())
    receiver.start()
    srv = make_server("pier", config=endpoint_config(receiver.port))
    reg = Registry(srv.url)
    first = images.image(1)
    reg.push("events/outage", "first", first)
    receiver.wait_for(lambda evs: len(manifest_pushes(evs)) == 1)
    receiver.stop()

    later = [images.image(1) for _ in range(4)]
    for index, img in enumerate(later):
        reg.push("events/outage", f"t{index}", img)
    time.sleep(0.5)  # some delivery attempts fail against the stopped receiver
    assert srv.stop() == 0
    srv.start()
    receiver.start()
    events = receiver.wait_for(lambda evs: len(manifest_pushes(evs)) == 5)
    receiver.stop()
    tags = [e["target"]["tag"] for e in manifest_pushes(events)]
    assert tags == ["first", "t0", "t1", "t2", "t3"]
    assert [e["target"]["digest"] for e in manifest_pushes(events)[1:]] == [img.digest for img in later]


def test_mount_events_and_the_v2_media_type_option(make_server):
    receiver = Receiver(free_port())
    receiver.start()
    try:
        config = endpoint_config(receiver.port, mediatype="application/vnd.docker.distribution.events.v2+json")
        srv = make_server("pier", config=config)
        reg = Registry(srv.url)
        img = images.image(1)
        reg.push("events/source", "v1", img)
        layer = img.all_blobs()[0].digest
        r = requests.post(f"{srv.url}/v2/events/target/blobs/uploads/?mount={layer}&from=events/source")
        assert r.status_code == 201
        events = receiver.wait_for(lambda evs: any(e["action"] == "mount" for e in evs))
    finally:
        receiver.stop()
    mount = next(e for e in events if e["action"] == "mount")
    assert mount["target"]["repository"] == "events/target"
    assert mount["target"]["fromRepository"] == "events/source"
    assert mount["target"]["digest"] == layer
    assert set(receiver.content_types) == {"application/vnd.docker.distribution.events.v2+json"}


def test_queue_depth_is_reported_while_the_receiver_is_down(make_server):
    debug = free_port()
    receiver_port = free_port()  # nothing listens: every delivery fails
    config = endpoint_config(receiver_port)
    config["http"] = {"debug": {"addr": f"127.0.0.1:{debug}", "prometheus": {"enabled": True}}}
    srv = make_server("pier", config=config)
    Registry(srv.url).push("events/depth", "v1", images.image(1))
    text = requests.get(f"http://127.0.0.1:{debug}/metrics").text
    depth = [line for line in text.splitlines() if line.startswith("pier_notification_queue_depth")]
    assert depth and float(depth[0].split()[-1]) >= 3


def test_events_name_the_authenticated_user_as_actor(make_server, tmp_path):
    import bcrypt

    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text("alice:" + bcrypt.hashpw(b"alice-pw", bcrypt.gensalt(5)).decode() + "\n")
    receiver = Receiver(free_port())
    receiver.start()
    try:
        config = endpoint_config(receiver.port)
        config["auth"] = {"htpasswd": {"realm": "r", "path": str(htpasswd)}}
        srv = make_server("pier", config=config, auth=("alice", "alice-pw"))
        Registry(srv.url, auth=("alice", "alice-pw")).push("events/actor", "v1", images.image(1))
        events = receiver.wait_for(lambda evs: manifest_pushes(evs))
    finally:
        receiver.stop()
    assert manifest_pushes(events)[0]["actor"] == {"name": "alice"}


def test_endpoints_whose_names_clean_to_one_each_keep_their_own_queue(make_server):
    """`audit log` and `audit_log` (or one name twice, as distribution allows) were given
    one queue directory: the endpoint delivering first removed the events and the other,
    down at the time, never got them."""
    up, down = Receiver(free_port()), Receiver(free_port())
    up.start()
    down.start()
    down.status = 503
    endpoints = [
        {"name": "audit log", "url": f"http://127.0.0.1:{up.port}/events", "timeout": "1s", "backoff": "200ms"},
        {"name": "audit_log", "url": f"http://127.0.0.1:{down.port}/events", "timeout": "1s", "backoff": "200ms"},
        {"name": "audit_log", "url": f"http://127.0.0.1:{down.port}/again", "timeout": "1s", "backoff": "200ms"},
    ]
    srv = make_server("pier", config={"notifications": {"endpoints": endpoints}})
    reg = Registry(srv.url)
    reg.push("events/shared", "v1", images.image(1))
    up.wait_for(lambda evs: len(manifest_pushes(evs)) == 1)
    # Both of the failing endpoints were tried and refused.
    deadline = time.time() + 30
    while time.time() < deadline and {"/events", "/again"} - set(down.paths):
        time.sleep(0.1)
    down.status = 200
    down.wait_for(lambda evs: len(manifest_pushes(evs)) == 2)
    time.sleep(0.5)  # nothing more arrives
    up.stop()
    down.stop()
    pushes = [path for path, envelope in zip(down.accepted_paths, down.envelopes) for _ in manifest_pushes(envelope["events"])]
    assert sorted(pushes) == ["/again", "/events"]
    assert len(manifest_pushes(up.events)) == 1


def test_credentials_in_an_endpoint_url_are_sent_as_basic_authentication_and_never_logged(make_server):
    """distribution (Go's net/http) sends a URL's `user:password@` as Basic authentication;
    Pier sent none, so an endpoint that checks it refused every delivery, and logged the
    password in each failure."""
    receiver = Receiver(free_port())
    receiver.start()
    receiver.status = 500
    srv = make_server("pier", config=endpoint_config(receiver.port, url=f"http://hook:s3cr%40t@127.0.0.1:{receiver.port}/events"))
    reg = Registry(srv.url)
    reg.push("events/creds", "v1", images.image(1))
    deadline = time.time() + 30
    while time.time() < deadline and "notification delivery failing" not in srv.log:
        time.sleep(0.1)
    receiver.status = 200
    receiver.wait_for(lambda evs: len(manifest_pushes(evs)) == 1)
    receiver.stop()
    import base64

    assert set(receiver.authorizations) == {"Basic " + base64.b64encode(b"hook:s3cr@t").decode()}
    assert "notification delivery failing" in srv.log
    assert "s3cr" not in srv.log
