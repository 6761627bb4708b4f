"""A webhook receiver for the tests: an HTTP server on 127.0.0.1 in a thread that records
every POST (path, headers, body) and answers with the status it is told to. It can be
stopped (connections refused) and started again on the same port, as a receiver that goes
down for a while and comes back.

    rx = Receiver().start()
    url = rx.url("/hook")
    rx.wait_for(lambda reqs: len(reqs) >= 2)
"""

from __future__ import annotations

import http.server
import json
import threading
import time

from .server import free_port


class Receiver:
    def __init__(self):
        self.port = free_port()
        self.requests: list[dict] = []
        self.status = 200
        self._server: http.server.ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    status = receiver.status
                    receiver.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self) -> list[dict]:
        """The requests answered 2xx, bodies parsed."""
        with self._lock:
            return [dict(r, json=json.loads(r["body"])) for r in self.requests if 200 <= r["status"] < 300]

    def wait_for(self, check, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check(self.accepted())
            if result:
                return result
            time.sleep(0.05)
        return check(self.accepted())
