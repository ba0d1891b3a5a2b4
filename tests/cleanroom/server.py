"""HTTP/1.1 keep-alive server on the standard library, with TCP_NODELAY."""

import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .errors import Reply, json_reply
from .routes import handle
from .store import State

MAX_BODY = 1024 * 1024


class BodyError(Exception):
    """A request body that cannot be read; answered, then the connection is closed."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Handler(BaseHTTPRequestHandler):
    """Hands every method to routes.handle."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    default_request_version = "HTTP/1.0"
    server_version = "bigv-cleanroom"
    timeout = 60

    def version_string(self) -> str:
        """Server header."""
        return self.server_version

    def __getattr__(self, name: str):
        if name.startswith("do_"):
            return self._any
        raise AttributeError(name)

    def log_message(self, format: str, *args) -> None:
        """Quiet."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        """Protocol-level errors (bad request line, headers too long) as JSON."""
        self.close_connection = True
        self._send(json_reply(code, {"error": message or self.responses.get(code, ("",))[0]}))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not raw.strip().isdigit():
            raise BodyError(400, "bad Content-Length")
        length = int(raw)
        if length > MAX_BODY:
            raise BodyError(413, "request body too large")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        data = b""
        while True:
            line = self.rfile.readline(1026)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BodyError(400, "bad chunked body") from None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return data
            if len(data) + size > MAX_BODY:
                raise BodyError(413, "request body too large")
            data += self.rfile.read(size)
            self.rfile.readline(3)

    def _any(self) -> None:
        try:
            body = self._read_body()
        except BodyError as err:
            self.close_connection = True
            self._send(json_reply(err.status, {"error": err.message}))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            reply = handle(self.server.state, self.command, self.path, headers, body)
        except Exception:
            reply = json_reply(500, {"error": "internal server error"})
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.content_type and reply.status != 204:
            self.send_header("Content-Type", reply.content_type)
        body = b"" if reply.status == 204 else reply.body
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)


class Server(ThreadingHTTPServer):
    """Threading server carrying the shared state."""

    daemon_threads = True

    def __init__(self, address: tuple, state: State):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.state = state

    def base_url(self) -> str:
        """http://host:port of the bound socket."""
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
