"""A raw HTTP/2 client over TLS (the `h2` library): what a test needs to see the frames
themselves, such as the flow-control windows a server grants, which curl and requests hide."""

from __future__ import annotations

import socket
import ssl

import h2.config
import h2.connection
import h2.events


class HTTP2Connection:
    """One TLS connection negotiated to h2 by ALPN, driven a frame exchange at a time."""

    def __init__(self, port: int, ca_path, host: str = "127.0.0.1", timeout: float = 30):
        context = ssl.create_default_context(cafile=str(ca_path))
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection((host, port), timeout=timeout)
        self.sock = context.wrap_socket(raw, server_hostname=host)
        assert self.sock.selected_alpn_protocol() == "h2"
        self.authority = f"{host}:{port}"
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.flush()
        self.events: list = []

    def close(self) -> None:
        self.sock.close()

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def receive(self) -> list:
        """Reads what the server sent once, answers what h2 must (settings, pings) and
        returns the events, also kept in `events`."""
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("the server closed the connection")
        events = self.conn.receive_data(data)
        self.flush()
        self.events.extend(events)
        return events

    def request(self, method: str, path: str, headers: list[tuple[str, str]] = (), end_stream: bool = True) -> int:
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", method), (":path", path), (":scheme", "https"),
                                     (":authority", self.authority), *headers], end_stream=end_stream)
        self.flush()
        return sid

    def send_body(self, sid: int, body: bytes, end_stream: bool = True) -> None:
        """Sends as much as the windows allow, waiting for the server's updates in between."""
        view = memoryview(body)
        while view:
            allowed = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size, len(view))
            if allowed <= 0:
                self.receive()
                continue
            self.conn.send_data(sid, bytes(view[:allowed]))
            view = view[allowed:]
            self.flush()
        if end_stream:
            self.conn.end_stream(sid)
            self.flush()

    def response(self, sid: int) -> tuple[int, dict[str, str], bytes]:
        """Waits for the stream's whole response: status, headers, body."""
        status, headers, body = None, {}, b""
        pos = 0
        while True:
            while pos < len(self.events):
                e = self.events[pos]
                pos += 1
                if getattr(e, "stream_id", None) != sid:
                    continue
                if isinstance(e, h2.events.ResponseReceived):
                    headers = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                               for k, v in e.headers}
                    status = int(headers[":status"])
                elif isinstance(e, h2.events.DataReceived):
                    body += e.data
                    self.conn.acknowledge_received_data(e.flow_controlled_length, sid)
                    self.flush()
                elif isinstance(e, h2.events.StreamEnded):
                    return status, headers, body
                elif isinstance(e, h2.events.StreamReset):
                    raise ConnectionError(f"stream {sid} reset: {e.error_code}")
            self.receive()

    def window_updates(self, sid: int) -> list[int]:
        """Increments of the WINDOW_UPDATE frames received so far for stream `sid` (0: the connection)."""
        return [e.delta for e in self.events if isinstance(e, h2.events.WindowUpdated) and e.stream_id == sid]
