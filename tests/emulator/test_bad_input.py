"""Bad input (issue 3, item 6): each gets its status and a clear JSON error, never a 500,
and never a changed resource."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

import spec
from emulator.config import MAX_BODY_BYTES
from tests.emulator.helpers import error_of

API = spec.api()
UPDATE = API["components"]["schemas"]["VirtualMachineUpdate"]["properties"]


@pytest.fixture
def machine(api):
    """A machine, and a check that it is unchanged at the end of the test."""
    before = api.create("www1")
    yield before
    assert api.read("www1") == before
    assert [vm["name"] for vm in api.get(api.vms(), params={"include_deleted": "true"}).json()] == [
        "www1"
    ]


def _wrong_type(schema):
    schema = spec.resolve(API, schema)
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return next(v for v in ("text", 12, True, [1], {"a": 1}) if not _fits(v, kinds))


def _fits(value, kinds):
    checks = {"string": str, "integer": int, "boolean": bool, "null": type(None)}
    return any(
        isinstance(value, checks[kind]) and not (kind == "integer" and isinstance(value, bool))
        for kind in kinds
    )


@pytest.mark.parametrize("field", sorted(UPDATE))
def test_wrong_type_for_every_writable_attribute_is_400_naming_it(api, machine, field):
    body = error_of(api.put(api.vm("www1"), json={field: _wrong_type(UPDATE[field])}), 400)
    assert list(body) == [field] and body[field][0].startswith(("is not", "is invalid"))


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"cores": 2**31}, "cores", "is too large"),
        ({"memory": 10**30}, "memory", "is too large"),
        ({"cores": 2.0}, "cores", "is not an integer"),
        ({"cores": True}, "cores", "is not an integer"),
        ({"cores": 0}, "cores", "must be greater than or equal to 1"),
        ({"name": ""}, "name", "can't be blank"),
        ({"name": "UPPER"}, "name", "is invalid"),
        ({"name": "a" * 64}, "name", "is too long (maximum is 63 characters)"),
        ({"hardware_profile": "virtio1999"}, "hardware_profile", "is not included in the list"),
        ({"keymap": "klingon"}, "keymap", "is not included in the list"),
        ({"cdrom_url": "\ud800"}, "cdrom_url", "is invalid"),
    ],
)
def test_bad_values_are_400_with_rails_messages(api, machine, body, field, message):
    assert error_of(api.put(api.vm("www1"), json=body), 400) == {field: [message]}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"cores": 2', "is not valid JSON"),
        (b'{"cores": NaN}', "is not valid JSON"),
        (b'{"cores": Infinity}', "is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "is not valid JSON"),
        (b"\xff\xfe{}", "is not valid UTF-8"),
        (b'{"name": "caf\xe9"}', "is not valid UTF-8"),
        (b"", "can't be blank"),
        (b"   ", "can't be blank"),
        (b"[]", "is not an object"),
        (b"null", "is not an object"),
        (b'"x"', "is not an object"),
    ],
    ids=["truncated", "nan", "infinity", "deep", "bom-latin1", "latin1", "empty", "blank",
         "array", "null", "string"],
)  # fmt: skip
def test_unparseable_bodies_are_400_under_body(api, machine, payload, reason):
    reply = api.put(api.vm("www1"), data=payload, headers={"Content-Type": "application/json"})
    (message,) = error_of(reply, 400)["body"]
    assert message.startswith(reason)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/xml", "application/x-www-form-urlencoded",
     "application/json; charset=latin-1", "multipart/form-data; boundary=x"],
)  # fmt: skip
def test_wrong_content_type_is_415(api, machine, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    reply = api.put(api.vm("www1"), data=b'{"cores": 3}', headers=headers)
    assert "application/json" in error_of(reply, 415)["error"]


@pytest.mark.parametrize("content_type", ["application/json; charset=UTF-8", "Application/JSON"])
def test_json_content_type_is_matched_loosely(api, content_type):
    api.create("www1")
    reply = api.put(api.vm("www1"), data=b'{"cores": 3}', headers={"Content-Type": content_type})
    assert reply.status_code == 200 and reply.json()["cores"] == 3


def test_body_over_one_mebibyte_is_413_and_the_connection_still_serves(api, machine):
    big = b'{"cdrom_url": "' + b"x" * MAX_BODY_BYTES + b'"}'
    reply = api.put(api.vm("www1"), data=big, headers={"Content-Type": "application/json"})
    assert "larger than" in error_of(reply, 413)["error"]
    assert api.get(api.vm("www1")).status_code == 200


def test_chunked_body_over_one_mebibyte_is_413(api, machine):
    def chunks():
        yield b'{"cdrom_url": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    reply = api.put(api.vm("www1"), data=chunks(), headers={"Content-Type": "application/json"})
    error_of(reply, 413)


def test_chunked_body_within_limits_is_read(api):
    api.create("www1")
    reply = api.put(api.vm("www1"), data=iter([b'{"cor', b'es": 5}']),
                    headers={"Content-Type": "application/json"})  # fmt: skip
    assert reply.status_code == 200 and reply.json()["cores"] == 5


@pytest.mark.parametrize(
    "path",
    ["/nowhere", "/accounts/x/y", "/accounts/conformance/groups/default/virtual_machines/www1/x",
     "/accounts//groups", "/accounts/", "/accounts/Not%20Valid", "/accounts/%E2%9C%93"],
)  # fmt: skip
def test_unknown_paths_are_404(api, machine, path):
    error_of(api.get(api.url + path), 404)


VMS = "/accounts/conformance/groups/default/virtual_machines"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", f"{VMS}/www1", "DELETE, GET, HEAD, PUT"),
        ("QUERY", "/accounts", "GET, HEAD"),
        ("TRACE", "/definitions", "GET, HEAD"),
        ("OPTIONS", VMS, "GET, HEAD, POST"),
        ("DELETE", "/definitions", "GET, HEAD"),
        ("POST", f"{VMS}/www1", "DELETE, GET, HEAD, PUT"),
        ("PUT", "/session", "POST"),
    ],
)
def test_undocumented_methods_are_405_with_allow(api, machine, method, path, allow):
    reply = api.request(method, api.url + path, json={"cores": 8})
    error_of(reply, 405)
    assert reply.headers["Allow"] == allow


def _raw(api, request: bytes) -> bytes:
    address = urlsplit(api.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_invalid_content_length_is_400_json(api, machine):
    answer = _raw(
        api,
        b"PUT /accounts/conformance/groups/default/virtual_machines/www1 HTTP/1.1\r\n"
        b"Host: x\r\nAuthorization: Basic YWxpY2U6c2VjcmV0\r\nContent-Type: application/json\r\n"
        b"Content-Length: abc\r\nConnection: close\r\n\r\n{}",
    )
    assert answer.startswith(b"HTTP/1.1 400") and b'"body"' in answer


def test_garbage_request_line_is_answered_in_json(api):
    answer = _raw(api, b"GET /accounts HTTP/9.z\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400") and b"application/json" in answer
