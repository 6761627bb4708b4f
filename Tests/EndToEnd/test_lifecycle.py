"""Graceful shutdown on SIGTERM and persistence across restarts."""

import signal
import threading
import time

from harness import Registry, images


def graceful_config(kind: str) -> dict | None:
    # distribution only drains when http.draintimeout is set (without it SIGTERM
    # kills it at once, exit -15). Pier drains by default: no extra config.
    return {"http": {"draintimeout": "30s"}} if kind == "distribution" else None


def test_sigterm_on_an_idle_server_exits_zero(make_server, server_kind):
    srv = make_server(server_kind, config=graceful_config(server_kind))
    assert srv.stop(timeout=30) == 0, srv.log[-3000:]


def test_sigterm_lets_an_in_flight_slow_upload_finish_then_exits_zero(make_server, server_kind):
    srv = make_server(server_kind, config=graceful_config(server_kind))
    reg = Registry(srv.url)
    loc = reg.upload_url("e2e/slow")
    chunks, chunk = 12, 64 * 1024
    sent_some = threading.Event()

    def slow_body():
        for i in range(chunks):
            if i == 2:
                sent_some.set()
            yield b"s" * chunk
            time.sleep(0.15)

    result = {}

    def upload():
        try:
            result["response"] = reg.patch(loc, data=slow_body(), headers={"Content-Type": "application/octet-stream"})
        except Exception as e:  # noqa: BLE001 - reported below
            result["error"] = e

    t = threading.Thread(target=upload)
    t.start()
    assert sent_some.wait(10)
    srv.proc.send_signal(signal.SIGTERM)  # mid-request
    t.join(60)
    code = srv.stop(timeout=30)
    assert "error" not in result, f"in-flight upload failed: {result.get('error')}"
    r = result["response"]
    assert r.status_code == 202, r.text
    assert r.headers["Range"] == f"0-{chunks * chunk - 1}"
    assert code == 0, srv.log[-3000:]


def test_content_survives_a_graceful_restart(make_server, server_kind):
    # distribution signs upload-session URLs with http.secret, random per start
    # unless configured; Pier's session URLs need no such setting.
    config = {"http": {"secret": "e2e-fixed-secret"}} if server_kind == "distribution" else None
    srv = make_server(server_kind, config=config)
    reg = Registry(srv.url)
    img = images.image(2)
    idx = images.index([img])
    reg.push("e2e/persist", "img", img)
    reg.push("e2e/persist", "idx", idx)
    loc = reg.upload_url("e2e/persist")
    r = reg.patch_chunk(loc, b"half", 0)
    loc = r.headers["Location"]
    srv.restart()
    assert reg.get_manifest("e2e/persist", "img").content == img.data
    assert reg.get_manifest("e2e/persist", idx.digest).content == idx.data
    for b in img.blobs:
        assert reg.get_blob("e2e/persist", b.digest).content == b.data
    assert sorted(reg.tags("e2e/persist")) == ["idx", "img"]
    # An upload session opened before the restart is either still resumable or
    # cleanly gone (the spec allows both).
    st = reg.get(loc)
    if st.status_code == 404:
        assert "BLOB_UPLOAD_UNKNOWN" in st.text
        return
    assert st.status_code == 204 and st.headers["Range"] == "0-3"
    r = reg.finish_upload(loc, images.sha256(b"half+rest"), b"+rest")
    assert r.status_code == 201, r.text
    assert reg.get_blob("e2e/persist", images.sha256(b"half+rest")).content == b"half+rest"


def test_a_pull_stuck_on_a_client_that_stopped_reading_ends_within_the_drain_time(make_server):
    """`http.draintimeout` bounds a shutdown: a response stuck on a reader that stopped
    held the process until the write timeout (a minute) after the drain time ran out."""
    import socket

    srv = make_server("pier", config={"http": {"draintimeout": "2s", "timeouts": {"write": "300s"}}})
    reg = Registry(srv.url)
    big = images.random_layer(32 * 1024 * 1024)
    assert reg.push_blob("e2e/stuck", big).status_code == 201
    host, port = srv.host.rsplit(":", 1)
    stuck = socket.create_connection((host, int(port)), timeout=10)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.sendall(f"GET /v2/e2e/stuck/blobs/{big.digest} HTTP/1.1\r\nHost: {srv.host}\r\n\r\n".encode())
    assert stuck.recv(1024).startswith(b"HTTP/1.1 200")  # then reads nothing more
    time.sleep(1)
    started = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    srv.proc.wait(timeout=30)
    assert time.monotonic() - started < 15, "the shutdown waited for the stuck response"
    assert "drain time ran out" in srv.log
    stuck.close()
