"""A faulty target for the report's tests: a faithful emulator behind a proxy that breaks it.

The emulator runs in-process (`emulator.server.start`); the proxy is a small threaded HTTP
server on loopback that forwards every request and changes some responses on the way out.
The faults are chosen to give a report each kind of entry:

- `GET .../virtual_machines/{virtual_machine}` answers a wrong `hostname` (a documented rule,
  check `vm_hostname_derivation`); the tests accept it as a known deviation;
- `PUT .../virtual_machines/{virtual_machine}` answers a wrong `hostname` too (a failure);
- `GET .../virtual_machines` answers `cores` as a string (a schema failure,
  `response_schema_conformance`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from emulator.config import EmulatorConfig
from emulator.server import start
from tests.faults.proxy import HOP_BY_HOP as PROXY_HOP_BY_HOP

GROUP = r"^/accounts/[^/]+/groups/[^/]+"
ONE_MACHINE = re.compile(GROUP + r"/virtual_machines/[^/]+$")
MACHINES = re.compile(GROUP + r"/virtual_machines$")
# the fault proxy's hop-by-hop headers, and the encoding: requests hands bodies decoded
HOP_BY_HOP = PROXY_HOP_BY_HOP | {"content-encoding"}

GET_MACHINE = "GET /accounts/{account}/groups/{group}/virtual_machines/{virtual_machine}"
PUT_MACHINE = "PUT /accounts/{account}/groups/{group}/virtual_machines/{virtual_machine}"
LIST_MACHINES = "GET /accounts/{account}/groups/{group}/virtual_machines"


def _wrong_hostname(machine: Any) -> Any:
    if isinstance(machine, dict) and isinstance(machine.get("hostname"), str):
        machine["hostname"] = f"{machine.get('name')}.wrong.example"
    return machine


def _cores_as_text(machines: Any) -> Any:
    if isinstance(machines, list):
        for machine in machines:
            if isinstance(machine, dict) and isinstance(machine.get("cores"), int):
                machine["cores"] = str(machine["cores"])
    return machines


def break_response(method: str, path: str, status: int, body: bytes) -> bytes:
    """The faults: the body the proxy answers instead of the emulator's."""
    if not 200 <= status < 300 or not body:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if method in ("GET", "PUT") and ONE_MACHINE.match(path):
        data = _wrong_hostname(data)
    elif method == "GET" and MACHINES.match(path):
        data = _cores_as_text(data)
    else:
        return body
    return json.dumps(data).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _ProxyServer

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        answer = self.server.session().request(
            self.command,
            self.server.upstream + self.path,
            headers=headers,
            data=body,
            allow_redirects=False,
            timeout=60,
        )
        path = self.path.split("?", 1)[0]
        content = break_response(self.command, path, answer.status_code, answer.content)
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD" and answer.status_code not in (204, 304):
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward
    do_OPTIONS = do_TRACE = _forward

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self._local = threading.local()

    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session


@dataclass
class FaultyTarget:
    url: str
    upstream: str


@contextmanager
def faulty_target(config: EmulatorConfig) -> Iterator[FaultyTarget]:
    """A faithful emulator with `config`, reached through the breaking proxy."""
    emulator = start(config)
    proxy = _ProxyServer(emulator.url)
    thread = threading.Thread(target=proxy.serve_forever, name="faulty-proxy", daemon=True)
    thread.start()
    try:
        host, port = proxy.server_address[:2]
        yield FaultyTarget(url=f"http://{host}:{port}", upstream=emulator.url)
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=10)
        emulator.stop()
