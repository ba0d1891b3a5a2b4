"""A fault-injecting reverse proxy: a faithful emulator behind it, one named fault in it.

The proxy is a small WSGI application served by Werkzeug's threaded server on a free
loopback port, with HTTP/1.1 keep-alive and TCP_NODELAY (as the emulator serves; without
them every request of a run waits for a new connection or for Nagle). Every request is
forwarded to the upstream emulator with one `requests.Session`; the active fault sees the
request on its way in (`on_request`: change it, or answer in the emulator's place) and the
response on its way out (`on_response`: change it).

Requests and responses reach the fault as small immutable dataclasses (method, raw path,
raw query, headers, body bytes / status, headers, body bytes); a fault answers new ones.
Faults that need to know the machine's state first, or to send a second request, use the
`Upstream` they are given. The emulator itself is never changed or switched.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wsgi import get_input_stream

import spec
from emulator.server import call_app, send_head

log = logging.getLogger("tests.faults.proxy")

JSON = "application/json"
# Headers that belong to one connection, never forwarded in either direction.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "host",
}

Headers = tuple[tuple[str, str], ...]


def _header(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def _without(headers: Headers, name: str) -> Headers:
    wanted = name.lower()
    return tuple((key, value) for key, value in headers if key.lower() != wanted)


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


# -- the operations of the spec, recognised by path ----------------------------------------


def _routes() -> list[tuple[str, re.Pattern[str], str, list[str]]]:
    """(METHOD, path regex, operationId, parameter names), most literal paths first."""
    routes = []
    for document in (spec.api(), spec.auth()):
        for operation_id, (method, template, _) in spec.operations(document).items():
            names = re.findall(r"{(\w+)}", template)
            pattern = re.sub(r"\\{(\w+)\\}", r"([^/]+)", re.escape(template))
            routes.append((method, re.compile(f"^{pattern}$"), operation_id, names))
    return sorted(routes, key=lambda route: route[1].pattern.count("([^/]+)"))


ROUTES = _routes()


def route(method: str, path: str) -> tuple[str | None, dict[str, str]]:
    """The operationId and path parameters of a request (None when it is no operation)."""
    for route_method, pattern, operation_id, names in ROUTES:
        match = pattern.match(path)
        if match and route_method == method.upper():
            return operation_id, dict(zip(names, match.groups(), strict=True))
    return None, {}


# -- what a fault sees -----------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A request as the client sent it (path and query raw, as on the wire)."""

    method: str
    path: str
    query: str = ""
    headers: Headers = ()
    body: bytes = b""

    @property
    def operation(self) -> str | None:
        """The spec's operationId of this request, or None."""
        return route(self.method, self.path)[0]

    @property
    def parameters(self) -> dict[str, str]:
        """The path parameters of the operation, by name."""
        return route(self.method, self.path)[1]

    @property
    def params(self) -> dict[str, str]:
        """The query string, decoded (first value of each name)."""
        found: dict[str, str] = {}
        for name, value in parse_qsl(self.query, keep_blank_values=True):
            found.setdefault(name, value)
        return found

    @property
    def json(self) -> Any:
        """The body decoded as JSON, or None."""
        return _decode(self.body)

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    def with_header(self, name: str, value: str | None) -> Request:
        """The same request with one header set (or removed, for None)."""
        headers = _without(self.headers, name)
        if value is not None:
            headers += ((name, value),)
        return dataclasses.replace(self, headers=headers)

    def with_json(self, value: Any) -> Request:
        return dataclasses.replace(self, body=json.dumps(value).encode())

    def with_params(self, **changes: str | None) -> Request:
        """The same request with query parameters set (or removed, for None)."""
        pairs = [
            (name, value)
            for name, value in parse_qsl(self.query, keep_blank_values=True)
            if name not in changes
        ]
        pairs += [(name, value) for name, value in changes.items() if value is not None]
        return dataclasses.replace(self, query=urlencode(pairs))


@dataclass(frozen=True)
class Response:
    """A response on its way to the client."""

    status: int
    headers: Headers = (("Content-Type", JSON),)
    body: bytes = b""

    @property
    def json(self) -> Any:
        return _decode(self.body)

    @property
    # a Response reads its headers as a Request does (one _header helper): shape only
    def is_json(self) -> bool:
        return (self.header("Content-Type") or "").lower().startswith(JSON)

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    def with_header(self, name: str, value: str | None) -> Response:
        headers = _without(self.headers, name)
        if value is not None:
            headers += ((name, value),)
        return dataclasses.replace(self, headers=headers)

    def with_json(self, value: Any, status: int | None = None) -> Response:
        """The same response with a JSON body (compact, as the emulator writes it)."""
        return dataclasses.replace(
            self,
            status=self.status if status is None else status,
            body=json.dumps(value, separators=(",", ":")).encode(),
        ).with_header("Content-Type", self.header("Content-Type") or JSON)


def json_response(status: int, value: Any) -> Response:
    """A new JSON response (what a fault answers in the emulator's place)."""
    return Response(status).with_json(value)


def empty_response(status: int = 204) -> Response:
    return Response(status, headers=(), body=b"")


# -- faults ------------------------------------------------------------------------------------


@dataclass
class Fault:
    """A named way for a target to be wrong (or, with `harmless`, to differ harmlessly).

    Subclasses override the hooks; state a fault needs lives in fields with
    `init=False`, made anew by `fresh()` for every run.
    """

    name: str
    description: str
    breaks: str = ""  # the capability (and rule) the fault breaks
    harmless: bool = False

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        """The request to forward, or a response to answer without forwarding."""
        return request

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        """The response to give the client."""
        return response

    def fresh(self) -> Fault:
        """The same fault with its state reset (a new object)."""
        return dataclasses.replace(self)


NO_FAULT = Fault("faithful-proxy", "Nothing changed: the emulator as it is.", harmless=True)


# -- the upstream ------------------------------------------------------------------------------


class Upstream:
    """The faithful emulator behind the proxy, reached over one keep-alive session."""

    def __init__(self, url: str, pool_size: int = 32) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.clear()  # send the client's headers only
        self.session.trust_env = False
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)

    def send(self, request: Request) -> Response:
        """Forward one request as it is; the upstream's response, hop-by-hop headers removed."""
        url = self.url + request.path + (f"?{request.query}" if request.query else "")
        headers = {key: value for key, value in request.headers if key.lower() not in HOP_BY_HOP}
        reply = self.session.request(
            request.method,
            url,
            headers=headers,
            data=request.body or None,
            allow_redirects=False,
            timeout=120,
        )
        kept = tuple(
            (key, value)
            for key, value in reply.headers.items()
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-encoding"
        )
        return Response(reply.status_code, kept, reply.content)

    def get(self, like: Request, path: str, query: str = "") -> Response:
        """GET `path` with the credentials of the request `like`."""
        return self.send(Request("GET", path, query, _credentials(like.headers)))

    def close(self) -> None:
        self.session.close()


def _credentials(headers: Headers) -> Headers:
    names = {"authorization", "x-yubikey-otp", "accept"}
    return tuple((key, value) for key, value in headers if key.lower() in names)


# -- serving -----------------------------------------------------------------------------------


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive, TCP_NODELAY, header names written as the application gives
    them, quiet logs. The application always reads the whole body and sends Content-Length
    (Werkzeug's own handler closes every connection and drains each one for 10 ms)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 600  # seconds an idle keep-alive connection is kept (longer than any run)

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.environ = self.make_environ()
        declared = environ.get("CONTENT_LENGTH", "").strip()
        if declared and not declared.isdigit():  # the body's end is unknown: no keep-alive
            self.close_connection = True
        try:
            status, headers, payload = call_app(self.server.app, environ)
        except Exception:  # the proxy answers every request itself; this is a last resort
            log.exception("the proxy failed")
            self.close_connection = True
            payload = b'{"error":"the fault-injecting proxy failed"}'
            status = "502 Bad Gateway"
            headers = [("Content-Type", JSON), ("Content-Length", str(len(payload)))]
        code = send_head(self, status, headers)
        self.end_headers()
        if self.command != "HEAD" and code not in (204, 304):
            self.wfile.write(payload)
        self.wfile.flush()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, getattr(self, "path", "?"), code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def log_error(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


@dataclass
class Proxy:
    """The proxy in front of `upstream_url`, applying `fault`; `.url` once started."""

    upstream_url: str
    fault: Fault = field(default_factory=lambda: NO_FAULT)
    host: str = "127.0.0.1"
    url: str = ""
    requests_seen: int = 0
    errors: list[str] = field(default_factory=list)  # faults that raised (a bug of the fault)
    _server: BaseWSGIServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.upstream = Upstream(self.upstream_url)

    # WSGI
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self._lock:
            self.requests_seen += 1
        request = _request_of(environ)
        try:
            answer = self.fault.on_request(request, self.upstream)
            if isinstance(answer, Request):
                response = self.upstream.send(answer)
                response = self.fault.on_response(answer, response, self.upstream)
            else:
                response = answer
        except requests.RequestException as error:
            response = json_response(502, {"error": f"upstream unreachable: {error}"})
            with self._lock:
                self.errors.append(f"{request.method} {request.path}: {error}")
        except Exception as error:  # a bug of the fault: answered, counted, reported
            log.exception("fault %s failed", self.fault.name)
            response = json_response(502, {"error": f"the fault failed: {error!r}"})
            with self._lock:
                self.errors.append(f"{request.method} {request.path}: {error!r}")
        headers = list(_without(response.headers, "Content-Length"))
        body = b"" if response.status in (204, 304) else response.body
        if response.status not in (204, 304):
            headers.append(("Content-Length", str(len(body))))
        start_response(f"{response.status} {_phrase(response.status)}", headers)
        return [body]

    def start(self) -> Proxy:
        server = make_server(self.host, 0, self, threaded=True, request_handler=KeepAliveHandler)
        server.daemon_threads = True
        self._server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            daemon=True,
            name=f"proxy-{self.fault.name}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.upstream.close()

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _request_of(environ: dict[str, Any]) -> Request:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    path, _, query = raw.partition("?")
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").title(), value))
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers.append((key.replace("_", "-").title(), environ[key]))
    length = environ.get("CONTENT_LENGTH", "")
    stream = get_input_stream(environ, safe_fallback=False)
    if environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = stream.read(int(length)) if length.isdigit() else b""
    return Request(environ["REQUEST_METHOD"].upper(), path, query, tuple(headers), body)
