"""The divergent mode on the wire: the HTTP conventions (media types, methods, bodies, error
wording, refusals in plain text, query values), authentication, and bad input staying clean.
One focused test per divergence of the silence register (spec/register.yaml), against an
emulator with every divergence on (real HTTP on loopback, time moved on by a fake clock).

Where a behaviour could be the reference emulator's by accident, the test also shows the
reference emulator (the `api` fixture) doing otherwise."""

from __future__ import annotations

import pytest
import requests

from emulator import divergent
from tests.emulator.diverged import RUNNING, SETTLE, VENDOR, only, reimage_vm, signal_vm
from tests.emulator.helpers import ACCOUNT, OTP, PASSWORD, USER, Api, error_of, reason_of


# --- conventions ---------------------------------------------------------------------------
def test_content_type_refusal_status(api, dv):
    dv.make("www1")
    text = {"Content-Type": "text/plain"}
    for client, status in ((dv, 400), (api, 415)):
        reply = client.post(client.vms(), data=b'{"name": "x"}', headers=text)
        body = error_of(reply, status)
        assert ("body" in body) is (status == 400)


def test_body_size_limit(dv):
    dv.make("www1", power_on=False)
    fits = b'{"cdrom_url": "http://x/' + b"y" * (200 * 1024) + b'"}'
    reply = dv.put(dv.vm("www1"), data=fits, headers={"Content-Type": "application/json"})
    assert reply.status_code == 200, reply.text[:200]
    big = b'{"cdrom_url": "http://x/' + b"y" * (300 * 1024) + b'"}'
    reply = dv.put(dv.vm("www1"), data=big, headers={"Content-Type": "application/json"})
    assert list(error_of(reply, 400)) == ["body"]
    assert dv.get(dv.vm("www1")).status_code == 200  # still serving


def test_vendor_media_types(dv):
    created = dv.post(dv.vms(), json={"name": "www1", "cores": 1, "memory": 1024})
    dv.clock.advance(SETTLE)
    read = dv.get(dv.vm("www1"))
    updated = dv.put(dv.vm("www1"), json={"autoreboot_on": True})
    for reply in (created, read, updated):
        assert reply.headers["Content-Type"] == VENDOR, reply.request.method
        assert reply.json()["name"] == "www1"
    for url in (dv.vms(), dv.vm("www1") + "/nics", dv.at("/definitions")):
        assert dv.get(url).headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "TRACE", "QUERY"])
def test_unknown_methods_answer_501(dv, method):
    dv.make("www1")
    for path in (dv.vm("www1"), dv.at("/definitions"), dv.at("/nowhere")):
        reply = dv.request(method, path)
        assert reply.status_code == 501, (method, path, reply.status_code)
        assert reply.headers["Content-Type"] == "application/json" and reply.json()["error"]


def test_documented_methods_on_the_wrong_path_are_still_405(dv):
    dv.make("www1")
    reply = dv.post(dv.vm("www1"), json={})
    error_of(reply, 405)
    assert reply.headers["Allow"] == "DELETE, GET, HEAD, PUT"


def test_put_without_body_is_a_no_op(api, dv):
    machine = dv.make("www1")
    reply = dv.put(dv.vm("www1"))  # no body, no Content-Type
    assert reply.status_code == 200 and reply.json() == machine == dv.read("www1")
    disc = dv.post(dv.vm("www1") + "/discs", json={"label": "data", "size": 1024}).json()
    reply = dv.put(dv.vm("www1") + "/discs/data")
    assert reply.status_code == 200 and reply.json() == disc
    api.create("www1")
    assert error_of(api.put(api.vm("www1")), 415)


def test_error_wording_differs_but_names_the_same_attributes(api, dv):
    bad = {"cores": "two", "name": "", "hardware_profile": "virtio1999", "memory": 0,
           "autoreboot_on": 3, "cdrom_url": 12}  # fmt: skip
    api.create("www1", power_on=False)
    dv.make("www1", power_on=False)
    normal = error_of(api.put(api.vm("www1"), json=bad), 400)
    diverged = error_of(dv.put(dv.vm("www1"), json=bad), 400)
    assert set(diverged) == set(normal) == set(bad)
    for name in bad:
        assert diverged[name] and all(isinstance(text, str) for text in diverged[name])
        assert not set(diverged[name]) & set(normal[name]), name
    taken = error_of(dv.post(dv.vms(), json={"name": "www1", "cores": 1, "memory": 1024}), 409)
    assert taken == {"name": ["is in use already"]}
    blank = error_of(dv.post(dv.vms(), json={"name": "x"}), 400)
    assert blank == {"cores": ["must be given"], "memory": ["must be given"]}


def test_error_wording_reaches_nested_hashes():
    assert divergent.reword({"discs": [{}, {"size": ["can't be blank"]}]}) == {
        "discs": [{}, {"size": ["must be given"]}]
    }


def test_refusals_answer_their_reason_as_plain_text(api):
    with only("refusal-media-type") as one:
        one.create("on", power_on=True)
        one.create("off", power_on=False)
        assert (
            reason_of(reimage_vm(one, "on", root_password="pw"), 400) == "power_on: must be false"
        )
        assert reason_of(signal_vm(one, "off", signal="reset"), 400) == "power_on: must be true"
        one.post(one.vm("off") + "/discs", json={"label": "data", "size": 1024})
        assert reason_of(one.delete(one.vm("off") + "/discs/data"), 400).startswith("purge: ")
        one.post(one.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "other"})
        one.create("www1", group="other")
        refused = reason_of(one.delete(one.group("other")), 400)
        assert refused.startswith("virtual_machines: must be empty")
        # a bad value of a known attribute stays a JSON hash
        assert list(error_of(one.put(one.vm("off"), json={"cores": "two"}), 400)) == ["cores"]
    api.create("on", power_on=True)
    refused_json = error_of(reimage_vm(api, "on", root_password="pw"), 400)
    assert refused_json == {"power_on": ["must be false"]}


@pytest.mark.parametrize("payload", [b"[]", b"3", b'"x"', b"null", b'{"cores": 2', b"\xff", b"  "])
def test_a_body_that_is_no_json_object_is_refused_in_plain_text(api, dv, payload):
    dv.make("www1")
    headers = {"Content-Type": "application/json"}
    assert reason_of(dv.put(dv.vm("www1"), data=payload, headers=headers), 400).startswith("body: ")
    assert reason_of(dv.post(dv.vms(), data=payload, headers=headers), 400).startswith("body: ")
    # the auth service's refusals keep their own media type (session-error-media-type)
    session = requests.post(dv.at("/session"), data=payload, headers=headers, timeout=30)
    assert error_of(session, 400) == {"error": "Badly-formed parameters"}
    api.create("www1")
    assert list(error_of(api.put(api.vm("www1"), data=payload, headers=headers), 400)) == ["body"]


def test_query_values_not_understood_are_refused(api, dv):
    dv.make("www1")
    for url, name, value in (
        (dv.vms(), "include_deleted", "yes"),
        (dv.vm("www1"), "view", "full"),
        (dv.group(), "include_deleted", ""),
        (dv.at(f"/accounts/{ACCOUNT}"), "view", "Overview"),
    ):
        assert list(error_of(dv.get(url, params={name: value}), 400)) == [name], (url, name)
    assert list(error_of(dv.delete(dv.vm("www1"), params={"purge": "1"}), 400)) == ["purge"]
    assert dv.read("www1")["deleted"] is False  # refused: nothing was deleted
    for value in ("true", "True", "false", "FALSE"):
        query = {"include_deleted": value, "view": "overview"}
        assert dv.get(dv.vms(), params=query).status_code == 200, value
    assert dv.get(dv.vms(), params={"nosuch": "x"}).status_code == 200  # undeclared: ignored
    assert dv.get(dv.groups(), params={"view": "full"}).status_code == 200  # group-list-overview
    with only("bad-query-values") as one:
        reply = one.get(one.vms(), params={"include_deleted": "yes"})
        assert error_of(reply, 400) == {"include_deleted": ["is not a boolean"]}
        reply = one.get(one.at(f"/accounts/{ACCOUNT}/groups"), params={"view": "x"})
        assert error_of(reply, 400) == {"view": ["is not included in the list"]}
    api.create("www1")
    assert api.get(api.vms(), params={"include_deleted": "yes", "view": "full"}).status_code == 200


def test_ids_and_order(dv):
    first, second, third = (dv.make(f"vm{n}") for n in range(3))
    assert first["id"] >= divergent.ID_START
    assert [second["id"] - first["id"], third["id"] - second["id"]] == [7, 7]
    assert [vm["name"] for vm in dv.get(dv.vms()).json()] == ["vm2", "vm1", "vm0"]
    dv.post(dv.groups(), json={"name": "other"})
    assert [group["name"] for group in dv.get(dv.groups()).json()] == ["other", "default"]
    assert all(group["id"] >= divergent.ID_START for group in dv.get(dv.groups()).json())
    (disc,) = [dv.post(dv.vm("vm0") + "/discs", json={"size": 1024}).json()]
    assert disc["id"] >= divergent.ID_START
    # Accounts are seeded, never created by a request: they keep their ids and order, so
    # a client taking the first account listed still finds the configured one.
    assert [account["name"] for account in dv.get(dv.at("/accounts")).json()] == [
        ACCOUNT,
        "readonly",
    ]


def test_extra_fields(api, dv):
    machine = dv.make("www1")
    assert machine["type"] == "application/vnd.bigv.virtual-machine"
    assert machine["x_divergent"] is True and "appliance" in machine
    assert "x_divergent" not in api.create("www1")


# --- authentication ------------------------------------------------------------------------
def test_otp_refusal_status_is_403():
    with only("otp-refusal-status", require_otp=True) as one:
        assert "error" in error_of(one.get(one.vms()), 403)
        error_of(one.get(one.vms(), headers={"X-Yubikey-Otp": "not-modhex"}), 403)
        assert one.get(one.vms(), headers={"X-Yubikey-Otp": OTP}).status_code == 200
        wrong = Api(one.url, auth=(USER, "wrong"))
        error_of(wrong.get(wrong.vms(), headers={"X-Yubikey-Otp": OTP}), 401)


def test_session_error_media_type_is_json(dv):
    reply = requests.post(dv.at("/session"), json={"username": USER, "password": "x"}, timeout=30)
    assert error_of(reply, 400) == {"error": "Bad login credentials"}
    reply = requests.post(dv.at("/session"), json={"username": USER}, timeout=30)
    assert error_of(reply, 400) == {"error": "Badly-formed parameters"}


def test_credentials_shape_ignores_a_validity_that_is_no_number(api, dv):
    body = {"username": USER, "password": PASSWORD, "validity": "an hour"}
    reply = requests.post(dv.at("/session"), json=body, timeout=30)
    assert reply.status_code == 200 and reply.text
    session = requests.get(dv.at(f"/session/{reply.text}"), timeout=30)
    assert session.status_code == 200 and session.json()["username"] == USER
    assert requests.post(api.at("/session"), json=body, timeout=30).status_code == 400


# --- bad input stays clean -----------------------------------------------------------------
NOT_OBJECTS = (b'{"cores": 2', b"\xff\xfe{}", b"[]")


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("PUT", "", b'{"cores": 2'),
        ("PUT", "", b"\xff\xfe{}"),
        ("PUT", "", b"[]"),
        ("PUT", "", b'{"cores": 99999999999999}'),
        ("PUT", "", b'{"group_id": 123456789}'),
        ("POST", "/signal", b'{"signal": "sendkey", "data": "ctrl--alt"}'),
        ("POST", "/signal", b'{"signal": "nope"}'),
        ("POST", "/reimage", b'{"distribution": "nope"}'),
        ("POST", "/discs", b'{"label": "", "size": "big"}'),
        ("PUT", "/discs/nosuch", b'{"size": 10}'),
        ("DELETE", "/discs/nosuch", b""),
    ],
)
def test_bad_input_is_never_a_server_error(dv, method, suffix, payload):
    dv.make("www1", **RUNNING)
    headers = {"Content-Type": "application/json"}
    reply = dv.request(method, dv.vm("www1") + suffix, data=payload, headers=headers)
    assert 400 <= reply.status_code < 500, reply.text
    if payload in NOT_OBJECTS:  # refusal-media-type: the body as a whole, in plain text
        assert reason_of(reply, 400).startswith("body: ")
    else:
        assert reply.headers["Content-Type"] == "application/json" and reply.json()
