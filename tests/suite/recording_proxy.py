"""A small recording proxy on loopback, for the proxy tests: it answers CONNECT (HTTPS) and
forwards plain HTTP, records the request line of each connection it is sent, and reaches
the target from a loopback address of its own (SOURCE), so that the target's log shows
which connections came through it. A forwarded connection is relayed as it is, later
requests on it in absolute form too (the emulator takes them)."""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

SOURCE = "127.0.0.2"  # the proxy's side of every tunnel: loopback, but not 127.0.0.1


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, authority, _ = request_line.split(" ", 2)
        self.server.seen.append(request_line)  # type: ignore[attr-defined]
        if method != "CONNECT":  # forwarding, to a server that takes absolute-form targets
            authority = urlsplit(authority).netloc
        host, port = authority.rsplit(":", 1)
        try:
            upstream = socket.create_connection((host, int(port)), 10, (SOURCE, 0))
        except OSError:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with upstream:
            if method == "CONNECT":
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                upstream.sendall(head)
            _relay(self.request, upstream)


def _relay(one: socket.socket, other: socket.socket) -> None:
    peers = {one: other, other: one}
    while True:
        readable, _, _ = select.select(list(peers), [], [], 60)
        if not readable:
            return
        for sock in readable:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            peers[sock].sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def recording_proxy() -> Iterator[tuple[str, list[str]]]:
    """(the proxy's URL, the request lines it was sent)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
