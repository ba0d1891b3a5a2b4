"""The serving layer: HTTP/1.1 keep-alive, TCP_NODELAY, bodies left unread, HEAD, stopping."""

from __future__ import annotations

import base64
import http.client
import socket
from urllib.parse import urlsplit

from emulator.config import EmulatorConfig
from emulator.server import start
from tests.emulator.helpers import PASSWORD, USER

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
VMS = "/accounts/conformance/groups/default/virtual_machines"


def _connection(url: str) -> http.client.HTTPConnection:
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    connection.connect()
    return connection


def _exchange(connection, method, path, body=None, headers=None):
    connection.request(method, path, body=body, headers={**AUTH, **(headers or {})})
    reply = connection.getresponse()
    return reply, reply.read()


def test_one_connection_serves_many_requests(api):
    connection = _connection(api.url)
    local = connection.sock.getsockname()
    for _ in range(5):
        reply, _ = _exchange(connection, "GET", VMS)
        assert reply.status == 200 and reply.getheader("Connection") is None
    assert connection.sock.getsockname() == local  # never reconnected
    connection.close()


def test_an_unread_body_is_drained_and_the_connection_keeps_serving(api):
    connection = _connection(api.url)
    reply, _ = _exchange(
        connection, "POST", VMS, b'{"name": "x"}' * 1000, {"Content-Type": "text/xml"}
    )
    assert reply.status == 415
    reply, _ = _exchange(
        connection, "POST", VMS, b'{"name": "x"}', {"Content-Type": "application/json"}
    )
    assert reply.status == 202
    reply, body = _exchange(connection, "GET", VMS)
    assert reply.status == 200 and b'"name":"x"' in body
    connection.close()


def test_head_answers_the_headers_of_get_without_a_body(api):
    connection = _connection(api.url)
    get, body = _exchange(connection, "GET", "/definitions")
    head, empty = _exchange(connection, "HEAD", "/definitions")
    assert head.status == 200 and empty == b""
    assert head.getheader("Content-Length") == str(len(body)) == get.getheader("Content-Length")
    connection.close()


def test_tcp_nodelay_is_set_on_served_connections():
    running = start(EmulatorConfig())
    try:
        connection = _connection(running.url)
        _exchange(connection, "GET", "/definitions")
        (served,) = running.server.connections  # type: ignore[attr-defined]
        assert served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        connection.close()
    finally:
        running.stop()


def test_stop_closes_idle_keep_alive_connections():
    running = start(EmulatorConfig())
    connection = _connection(running.url)
    _exchange(connection, "GET", "/definitions")
    running.stop()
    try:
        connection.request("GET", "/definitions")
        reply = connection.getresponse()
        closed = False
        reply.read()
    except (ConnectionError, http.client.HTTPException, OSError):
        closed = True
    assert closed
    connection.close()
