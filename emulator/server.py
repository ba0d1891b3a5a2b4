"""Serving: Werkzeug's threaded server with a keep-alive request handler.

Werkzeug's own handler closes every connection after one response; ours keeps HTTP/1.1
connections open (the app always sends Content-Length), sets TCP_NODELAY (without it a
keep-alive response waits ~40 ms for Nagle and delayed ACK) and logs quietly. A request body
the application did not read is drained before the next request, or the connection closed.

`start(config)` runs an emulator on a background thread (for tests and embedding);
`Emulator.serve_forever()` is the blocking serve of the command line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from werkzeug.serving import (
    LISTEN_QUEUE,
    BaseWSGIServer,
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)
from werkzeug.wsgi import LimitedStream

import spec
from emulator import divergent
from emulator.addresses import AddressPool
from emulator.auth import Authenticator
from emulator.config import MAX_BODY_BYTES, EmulatorConfig
from emulator.divergent import Divergence
from emulator.handlers import Services
from emulator.http import App, success_statuses
from emulator.model import Model
from emulator.seed import Seeder
from emulator.store import Ids, Store
from emulator.validation import API_URI, AUTH_URI, SpecValidator

log = logging.getLogger("emulator.server")

DRAIN_LIMIT = 4 * MAX_BODY_BYTES  # an unread body up to this size is read and dropped
IDLE_TIMEOUT = 60.0  # seconds an idle keep-alive connection is kept


class OpenConnections:
    """The sockets the server is serving now, so that stopping can close idle ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            self._sockets.add(connection)

    def discard(self, connection: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(connection)

    def __iter__(self) -> Iterator[socket.socket]:
        with self._lock:
            return iter(list(self._sockets))


def send_head(handler: Any, status: str, headers: list[tuple[str, str]]) -> int:
    """Buffer a WSGI answer's status line and headers on a request handler (with
    `Connection: close` when it is closing the connection); the status code."""
    code = int(status.split(None, 1)[0])
    handler.send_response(code, status.split(None, 1)[1] if " " in status else "")
    for name, value in headers:
        handler.send_header(name, value)
    if handler.close_connection:
        handler.send_header("Connection", "close")
    return code


def call_app(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI application: its status line, headers and whole body (what it raises, raised)."""
    captured: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured[:] = [status, headers]
        return lambda data: None

    payload = b"".join(app(environ, start_response))
    status, headers = captured
    return status, headers, payload


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive and TCP_NODELAY, one WSGI call per request, quiet logs."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT

    def setup(self) -> None:
        super().setup()
        self._connections = getattr(self.server, "connections", OpenConnections())
        self._connections.add(self.connection)

    def handle(self) -> None:
        """Over HTTPS the handshake is made here, on the connection's own thread (not in
        the accepting one, where one slow client would hold up every other); a client
        that fails it is logged quietly and its connection closed."""
        log.debug("connection from %s", self.client_address[0])
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as error:
                log.debug("TLS handshake with %s failed: %s", self.client_address[0], error)
                return
        super().handle()

    def finish(self) -> None:
        self._connections.discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.environ = self.make_environ()
        if not environ.get("wsgi.input_terminated"):  # not chunked: bound it by Content-Length
            declared = environ.get("CONTENT_LENGTH", "").strip()
            length = int(declared) if declared.isdigit() else 0
            if declared and not declared.isdigit():
                self.close_connection = True
            environ["wsgi.input"] = LimitedStream(self.rfile, length)
            environ["wsgi.input_terminated"] = True
        try:
            status, headers, payload = call_app(self.server.app, environ)
        except Exception:  # the app answers every request itself; this is a last resort
            log.exception("the application failed")
            status, headers = "500 INTERNAL SERVER ERROR", [("Content-Type", "application/json")]
            payload = b'{"error":"internal error of the emulator"}'
            headers.append(("Content-Length", str(len(payload))))
            self.close_connection = True
        self._drain(environ["wsgi.input"])
        code = send_head(self, status, headers)
        # Status line, headers and body in one write (one segment, one system call).
        self._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
        if self.command != "HEAD" and code not in (204, 304):
            self._headers_buffer.append(payload)  # type: ignore[attr-defined]
        self.flush_headers()

    def _drain(self, stream: Any) -> None:
        """Read what is left of the request body, or give up and close the connection."""
        left = DRAIN_LIMIT
        try:
            while left > 0:
                chunk = stream.read(min(65536, left))
                if not chunk:
                    return
                left -= len(chunk)
        except (OSError, ValueError):
            pass
        self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol errors (bad request line, headers too long) answered in JSON too."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        payload = json.dumps({"error": message or phrase}).encode()
        self.close_connection = True
        self.request_version = self.protocol_version  # answer with a status line regardless
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, getattr(self, "path", "?"), code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound here so that failing to bind is an OSError to report
    (Werkzeug's own bind prints and exits)."""
    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(get_sockaddr(host, port, family))
        listener.listen(LISTEN_QUEUE)
    except OSError:
        listener.close()
        raise
    return listener


def _url(server: BaseWSGIServer) -> str:
    host, port = server.server_address[:2]
    host = f"[{host}]" if ":" in str(host) else host
    scheme = "https" if getattr(server, "ssl_context", None) is not None else "http"
    return f"{scheme}://{host}:{port}"


def tls_context(config: EmulatorConfig) -> ssl.SSLContext | None:
    """The server's TLS context, or None for plain HTTP; ValueError (one line) when a file
    cannot be used."""
    if config.tls_cert is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
        raise ValueError(
            f"cannot serve TLS with --tls-cert {config.tls_cert} and --tls-key "
            f"{config.tls_key}: {reason}"
        ) from None
    if config.tls_client_ca is not None:
        try:
            context.load_verify_locations(cafile=config.tls_client_ca)
        except (OSError, ssl.SSLError) as error:
            reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
            raise ValueError(
                f"cannot read --tls-client-ca {config.tls_client_ca}: {reason}"
            ) from None
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _serve_tls(server: BaseWSGIServer, context: ssl.SSLContext | None) -> None:
    """Accept TLS connections on the server's socket, the handshake left to each
    connection's thread (KeepAliveHandler.handle)."""
    server.ssl_context = context  # type: ignore[assignment]  # werkzeug: wsgi.url_scheme
    if context is not None:
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )


@dataclass
class Emulator:
    """A bound emulator: its URL, its server and its store."""

    config: EmulatorConfig
    server: BaseWSGIServer
    store: Store
    app: App
    url: str
    _thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop serving, close open connections and the database."""
        self.server.shutdown()
        self.server.server_close()
        for connection in self.server.connections:  # type: ignore[attr-defined]
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.store.close()


def _reset(seeder: Seeder, store: Store, authenticator: Authenticator, now: float) -> None:
    seeder.reset(store, now)
    authenticator.forget()


def create(config: EmulatorConfig, clock: Callable[[], float] = time.time) -> Emulator:
    """Open the store, seed it and bind the server (StoreError, SeedError, OSError if not)."""
    divergence = Divergence(config.divergences)
    api_document, auth_document = spec.api(), spec.auth()
    assert config.cluster_domain is not None
    model = Model(api_document, config.cluster_domain, config.provision_delay, divergence)
    validator = SpecValidator(
        {API_URI: api_document, AUTH_URI: auth_document}, model.definition_value_ok
    )
    seed_validator = validator  # seed files are read by the spec as written, divergent or not
    if divergence:
        api_document, auth_document = divergence.documents(api_document, auth_document)
        validator = SpecValidator(
            {API_URI: api_document, AUTH_URI: auth_document}, model.definition_value_ok
        )
    addresses = AddressPool(config.address_pools)
    seeder = Seeder(config, model, seed_validator, addresses)
    ids = Ids()
    if divergence.on("ids-and-order"):
        ids = Ids(divergent.ID_START, divergent.ID_STEP, newest_first=True)
    store = Store(config.db, config.address_pools, ids)
    try:
        seeder.seed(store, clock())
        otp_refusal = 403 if divergence.on("otp-refusal-status") else 401
        authenticator = Authenticator(store, config.require_otp, otp_refusal)
        services = Services(
            model=model,
            store=store,
            authenticator=authenticator,
            addresses=addresses,
            definitions=[{"id": key, "data": data} for key, data in model.definitions.items()],
        )
        app = App(
            services,
            validator,
            success_statuses([api_document, auth_document]),
            reset=lambda: _reset(seeder, store, authenticator, clock()),
            clock=clock,
        )
        context = tls_context(config)
        listener = _listen(config.host, config.port)
        try:
            server = make_server(
                config.host,
                config.port,
                app,
                threaded=True,
                request_handler=KeepAliveHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # the server holds its own duplicate
        _serve_tls(server, context)
    except BaseException:
        store.close()
        raise
    server.connections = OpenConnections()  # type: ignore[attr-defined]
    return Emulator(config, server, store, app, _url(server))


def start(
    config: EmulatorConfig | None = None, clock: Callable[[], float] = time.time, **settings: Any
) -> Emulator:
    """An emulator serving on a background thread; `.url` to reach it, `.stop()` to end it.

    Give a config, or its settings as keywords; `clock` (seconds) drives provisioning and
    session expiry, so tests can move time on instead of waiting.
    """
    config = config or EmulatorConfig(**settings)
    emulator = create(config, clock)
    thread = threading.Thread(target=emulator.serve_forever, name="emulator", daemon=True)
    emulator._thread = thread
    thread.start()
    return emulator
