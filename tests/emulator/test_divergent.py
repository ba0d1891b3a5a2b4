"""The divergent mode: one focused test per divergence of the silence register
(spec/register.yaml), against an emulator with every divergence on (real HTTP on loopback,
time moved on by a fake clock), plus the flags and the Python configuration.

Where a behaviour could be the reference emulator's by accident, the test also shows the
reference emulator (the `api` fixture) doing otherwise.
"""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

import spec
from emulator import divergent, store
from emulator.config import DEFAULT_CLUSTER_DOMAIN, EmulatorConfig
from emulator.divergent import Divergence
from emulator.server import Emulator, start
from tests.emulator.helpers import (
    ACCOUNT,
    API_KEY,
    OTP,
    PASSWORD,
    REPO,
    SEED_FILE,
    USER,
    Api,
    FakeClock,
    Process,
    error_of,
    reason_of,
)

ALL = divergent.register_ids()
SETTLE = 2.0  # seconds of fake time after which any divergent provisioning is over
VENDOR = "application/vnd.bigv.virtual-machine+json"
RUNNING = {"power_on": True, "autoreboot_on": True}


class Diverged(Api):
    """A client of a divergent emulator, with the clock its provisioning runs by."""

    def __init__(self, url: str, clock: FakeClock) -> None:
        super().__init__(url)
        self.clock = clock

    def make(self, name: str, group: str = "default", **attributes: Any) -> dict[str, Any]:
        """Create a machine (cores and memory are required here) and read it once ready."""
        body = {"name": name, "cores": 1, "memory": 1024, **attributes}
        reply = self.post(self.vms(group), json=body)
        assert reply.status_code == 202, reply.text
        self.clock.advance(SETTLE)
        return self.read(reply.json()["id"], group)

    def make_with_disc(self, name: str, **attributes: Any) -> dict[str, Any]:
        """A machine with a disc to image (reimage-without-disc), read once ready."""
        machine = self.make(name, **attributes)
        reply = self.post(self.vm(name) + "/discs", json={"label": "root", "size": 25600})
        assert reply.status_code == 201, reply.text
        return machine

    def groups(self) -> str:
        return self.at(f"/accounts/{ACCOUNT}/groups")


@pytest.fixture(scope="module")
def divergent_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def divergent_emulator(divergent_clock: FakeClock) -> Iterator[Emulator]:
    config = EmulatorConfig(api_key=API_KEY, seed_file=SEED_FILE, divergences=ALL)
    running = start(config, clock=divergent_clock)
    yield running
    running.stop()


@pytest.fixture
def dv(divergent_emulator: Emulator, divergent_clock: FakeClock) -> Diverged:
    """A client of the emulator with every divergence on, back in its seeded state."""
    reply = requests.post(f"{divergent_emulator.url}/_emulator/reset", timeout=30)
    assert reply.status_code == 200, reply.text
    return Diverged(divergent_emulator.url, divergent_clock)


@contextmanager
def only(*ids: str, **settings: Any) -> Iterator[Diverged]:
    """An emulator with only the divergences `ids` on."""
    clock = FakeClock()
    running = start(EmulatorConfig(divergences=frozenset(ids), **settings), clock=clock)
    try:
        yield Diverged(running.url, clock)
    finally:
        running.stop()


def _signal(api: Api, name: str, **body: Any) -> requests.Response:
    return api.post(api.vm(name) + "/signal", json=body)


def _reimage(api: Api, name: str, **body: Any) -> requests.Response:
    return api.post(api.vm(name) + "/reimage", json={"distribution": "jessie", **body})


# --- the register and the configuration --------------------------------------------------
def test_implemented_is_exactly_the_register_entries_with_a_divergent_text():
    entries = spec.register()["entries"]
    divergent_entries = {entry["id"] for entry in entries if "divergent" in entry}
    assert divergent_entries == divergent.IMPLEMENTED


def test_the_config_validates_divergences_against_the_register():
    assert EmulatorConfig(divergences={"nic-fields"}).divergences == frozenset({"nic-fields"})
    for bad in ({"no-such-entry"}, {"session-token-not-empty"}):  # unknown; not divergent
        with pytest.raises(ValueError, match=next(iter(bad))) as raised:
            EmulatorConfig(divergences=bad)
        assert "\n" not in str(raised.value)


def test_cluster_domain_default_follows_the_cluster_domain_divergence():
    assert EmulatorConfig().cluster_domain == DEFAULT_CLUSTER_DOMAIN
    assert EmulatorConfig(divergences=ALL).cluster_domain == "divergent.example"
    given = EmulatorConfig(divergences=ALL, cluster_domain=DEFAULT_CLUSTER_DOMAIN)
    assert given.cluster_domain == DEFAULT_CLUSTER_DOMAIN


def test_no_divergence_changes_no_schema():
    api, auth = spec.api(), spec.auth()
    assert Divergence().documents(api, auth) == (api, auth)
    changed, _ = Divergence(ALL).documents(api, auth)
    assert changed != api and api == spec.api()  # a copy is changed, never the spec


def test_divergent_module_stays_pure():
    tree = ast.parse((REPO / "emulator" / "divergent.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}  # fmt: skip
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    forbidden = {"sqlite3", "werkzeug", "http", "requests", "time", "random", "emulator.store"}
    assert not {name for name in imported if name.split(".")[0] in forbidden or name in forbidden}


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
        assert reason_of(_reimage(one, "on", root_password="pw"), 400) == "power_on: must be false"
        assert reason_of(_signal(one, "off", signal="reset"), 400) == "power_on: must be true"
        one.post(one.vm("off") + "/discs", json={"label": "data", "size": 1024})
        assert reason_of(one.delete(one.vm("off") + "/discs/data"), 400).startswith("purge: ")
        one.post(one.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "other"})
        one.create("www1", group="other")
        refused = reason_of(one.delete(one.group("other")), 400)
        assert refused.startswith("virtual_machines: must be empty")
        # a bad value of a known attribute stays a JSON hash
        assert list(error_of(one.put(one.vm("off"), json={"cores": "two"}), 400)) == ["cores"]
    api.create("on", power_on=True)
    refused_json = error_of(_reimage(api, "on", root_password="pw"), 400)
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


# --- names, ids and hostnames --------------------------------------------------------------
def test_names_may_have_uppercase_letters(api, dv):
    machine = dv.make("Web1")
    assert machine["hostname"] == f"Web1.default.{ACCOUNT}.divergent.example"
    assert dv.read("Web1")["id"] == machine["id"]
    assert dv.post(dv.groups(), json={"name": "Staging"}).status_code == 201
    assert "name" in error_of(api.post(api.vms(), json={"name": "Web1"}), 400)


def test_disc_labels_may_have_spaces_and_punctuation(dv):
    dv.make("www1")
    reply = dv.post(dv.vm("www1") + "/discs", json={"label": "my disc!", "size": 1024})
    assert reply.status_code == 201, reply.text
    assert dv.get(dv.vm("www1") + "/discs/my disc!").json()["label"] == "my disc!"


@pytest.mark.parametrize("label", ["vda", "sdb", "hda"])
def test_disc_device_labels_are_accepted(api, dv, label):
    dv.make("www1")
    reply = dv.post(dv.vm("www1") + "/discs", json={"label": label, "size": 1024})
    assert reply.status_code == 201, reply.text
    api.create("www1")  # the reference emulator refuses them, as DOC discs says
    refused = api.post(api.vm("www1") + "/discs", json={"label": label, "size": 1024})
    assert list(error_of(refused, 400)) == ["label"]


def test_cluster_domain(dv):
    assert dv.make("www1")["hostname"] == f"www1.default.{ACCOUNT}.divergent.example"


def test_hostname_kept_on_a_move_until_a_rename(api, dv):
    old = dv.make("www1")["hostname"]
    other = dv.post(dv.groups(), json={"name": "other"}).json()
    moved = dv.put(dv.vm("www1"), json={"group_id": other["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["hostname"] == old == dv.read("www1", group="other")["hostname"]
    renamed = dv.put(dv.vm("www1", group="other"), json={"name": "www2"}).json()
    assert renamed["hostname"] == f"www2.other.{ACCOUNT}.divergent.example"
    api.create("www1")
    group = api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "other"}).json()
    assert ".other." in api.put(api.vm("www1"), json={"group_id": group["id"]}).json()["hostname"]


# --- creating machines ---------------------------------------------------------------------
def test_create_requires_cores_and_memory(dv):
    assert error_of(dv.post(dv.vms(), json={"name": "www1"}), 400) == {
        "cores": ["must be given"],
        "memory": ["must be given"],
    }
    reply = dv.post(dv.vms(), json={"name": "www1", "cores": 1})
    assert list(error_of(reply, 400)) == ["memory"]
    spec_reply = dv.post(dv.group() + "/vm_create", json={"virtual_machine": {"name": "www1"}})
    assert set(error_of(spec_reply, 400)) == {"cores", "memory"}


def test_create_defaults(api):
    with only("create-defaults") as one:
        machine = one.create("www1")
        defaults = (machine["cores"], machine["autoreboot_on"], machine["power_on"])
        assert defaults == (2, False, False)
        assert one.create("www2", autoreboot_on=True, cores=1)["autoreboot_on"] is True
        assert one.create("www3", power_on=True)["power_on"] is True
        spec_body = {"virtual_machine": {"name": "www4"}}
        assert one.post(one.group() + "/vm_create", json=spec_body).status_code == 202
        assert one.read("www4")["power_on"] is False
    assert api.create("www1")["power_on"] is True


def test_create_reply_body_carries_four_attributes(dv):
    reply = dv.post(dv.vms(), json={"name": "www1", "cores": 1, "memory": 1024})
    assert reply.status_code == 202
    assert set(reply.json()) == {"id", "name", "group_id", "power_on"}


def test_vm_create_answers_the_machine(dv):
    body = {"virtual_machine": {"name": "www1", "cores": 1, "memory": 2048},
            "discs": [{"label": "root", "size": 25600}]}  # fmt: skip
    reply = dv.post(dv.group() + "/vm_create", json=body)
    assert reply.status_code == 202, reply.text
    machine = reply.json()
    assert "virtual_machine" not in machine
    assert (machine["name"], machine["memory"]) == ("www1", 2048) and "hostname" in machine


def test_vm_create_takes_up_to_16_discs(dv):
    def create(name: str, count: int) -> requests.Response:
        discs = [{"size": 1024} for _ in range(count)]
        machine = {"name": name, "cores": 1, "memory": 1024}
        return dv.post(dv.group() + "/vm_create", json={"virtual_machine": machine, "discs": discs})

    assert create("www1", 16).status_code == 202
    dv.clock.advance(SETTLE)
    assert len(dv.get(dv.vm("www1") + "/discs").json()) == 16
    assert list(error_of(create("www2", 17), 400)) == ["discs"]


def test_provisioning_time_is_each_machines_own(dv):
    delays = {divergent.provisioning_seconds(vm_id) for vm_id in range(1000)}
    assert min(delays) >= 0.2 and max(delays) <= 1.5 and len(delays) > 5
    body = {"name": "www1", "cores": 1, "memory": 1024, "power_on": True}
    reply = dv.post(dv.vms(), json=body)
    delay = divergent.provisioning_seconds(reply.json()["id"])
    dv.clock.advance(delay - 0.05)
    assert dv.get(dv.vm("www1")).json()["power_on"] is False
    dv.clock.advance(0.1)
    assert dv.get(dv.vm("www1")).json()["power_on"] is True


def test_get_while_provisioning_answers_202(api, dv):
    dv.post(dv.vms(), json={"name": "www1", "cores": 1, "memory": 1024})
    reply = dv.get(dv.vm("www1"))
    assert reply.status_code == 202 and reply.json()["power_on"] is False
    assert dv.get(dv.vms()).status_code == 200
    dv.clock.advance(SETTLE)
    assert dv.get(dv.vm("www1")).status_code == 200
    with only("get-while-provisioning", provision_delay=60) as one:
        one.post(one.vms(), json={"name": "www1"})
        assert one.get(one.vm("www1")).status_code == 202


def test_name_taken_is_409(api, dv):
    dv.make("www1")
    dv.make("www2")
    body = {"name": "www1", "cores": 1, "memory": 1024}
    assert list(error_of(dv.post(dv.vms(), json=body), 409)) == ["name"]
    spec_body = {"virtual_machine": body}
    assert list(error_of(dv.post(dv.group() + "/vm_create", json=spec_body), 409)) == ["name"]
    assert list(error_of(dv.put(dv.vm("www2"), json={"name": "www1"}), 409)) == ["name"]
    assert list(error_of(dv.post(dv.groups(), json={"name": "default"}), 409)) == ["name"]
    dv.delete(dv.vm("www2"))  # a deleted machine keeps its name
    assert list(error_of(dv.post(dv.vms(), json={**body, "name": "www2"}), 409)) == ["name"]
    api.create("www1")
    assert list(error_of(api.post(api.vms(), json={"name": "www1"}), 400)) == ["name"]


def test_names_are_unique_in_the_account(api, dv):
    dv.make("www1")
    dv.post(dv.groups(), json={"name": "other"})
    body = {"name": "www1", "cores": 1, "memory": 1024}
    assert error_of(dv.post(dv.vms("other"), json=body), 409) == {"name": ["is in use already"]}
    dv.make("www2", group="other")
    assert "name" in error_of(dv.put(dv.vm("www2", group="other"), json={"name": "www1"}), 409)
    api.create("www1")
    api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "other"})
    assert api.post(api.vms("other"), json={"name": "www1"}).status_code == 202


# --- attributes ----------------------------------------------------------------------------
def test_disc_sizes_under_50_are_refused(dv):
    dv.make("www1")
    for size in (1, 49):
        reply = dv.post(dv.vm("www1") + "/discs", json={"label": f"d{size}", "size": size})
        assert list(error_of(reply, 400)) == ["size"]
    assert dv.post(dv.vm("www1") + "/discs", json={"label": "d50", "size": 50}).status_code == 201


def test_memory_must_be_a_multiple_of_256(dv):
    body = {"name": "www1", "cores": 1, "memory": 1000}
    assert error_of(dv.post(dv.vms(), json=body), 400) == {"memory": ["has an unknown value"]}
    spec_body = {"virtual_machine": body}
    assert list(error_of(dv.post(dv.group() + "/vm_create", json=spec_body), 400)) == ["memory"]
    dv.make("www1", power_on=False)
    assert list(error_of(dv.put(dv.vm("www1"), json={"memory": 1000}), 400)) == ["memory"]
    assert dv.put(dv.vm("www1"), json={"memory": 1280}).json()["memory"] == 1280


def test_keymap_is_ignored(dv):
    assert dv.make("www1", keymap="en-gb", power_on=False)["keymap"] is None
    reply = dv.put(dv.vm("www1"), json={"keymap": "fr"})
    assert reply.status_code == 200 and reply.json()["keymap"] is None


def test_cdrom_removal(dv):
    dv.make("www1", power_on=False, cdrom_url="http://example.com/x.iso")
    assert dv.put(dv.vm("www1"), json={"cdrom_url": ""}).json()["cdrom_url"] is None
    assert list(error_of(dv.put(dv.vm("www1"), json={"cdrom_url": None}), 400)) == ["cdrom_url"]
    assert dv.make("www2", cdrom_url="")["cdrom_url"] is None


def test_last_imaged_with_is_null_until_imaged(api, dv):
    assert dv.make_with_disc("www1", power_on=False)["last_imaged_with"] is None
    assert _reimage(dv, "www1").status_code == 200
    dv.clock.advance(SETTLE)
    assert dv.read("www1")["last_imaged_with"] == "jessie"
    assert "last_imaged_with" not in api.create("www1")


def test_put_deleted_true_is_ignored(api, dv):
    machine = dv.make("www1")
    reply = dv.put(dv.vm("www1"), json={"deleted": True})
    assert reply.status_code == 200 and reply.json() == machine == dv.read("www1")
    dv.delete(dv.vm("www1"))
    assert dv.put(dv.vm("www1"), json={"deleted": True}).status_code == 200
    assert dv.read("www1", include_deleted="true")["deleted"] is True
    api.create("www1")
    assert list(error_of(api.put(api.vm("www1"), json={"deleted": True}), 400)) == ["deleted"]


def test_zone_name_default(dv):
    assert dv.make("www1")["zone_name"] == "default"
    assert dv.make("www2", zone_name="york")["zone_name"] == "york"


def test_head_kept_by_a_stopped_machine(dv):
    head = dv.make("www1", **RUNNING)["head"]
    stopped = dv.put(dv.vm("www1"), json={"autoreboot_on": False, "power_on": False}).json()
    assert stopped["power_on"] is False and stopped["head"] == head is not None
    assert dv.read("www1")["head"] == head
    assert dv.make("never", power_on=False)["head"] is None


def test_update_while_running_refuses_cores_memory_and_profile(dv):
    machine = dv.make("www1", **RUNNING)
    for change in ({"cores": 2}, {"memory": 2048}, {"hardware_profile": "virtio2018"}):
        assert list(error_of(dv.put(dv.vm("www1"), json=change), 400)) == list(change)
    same = {key: machine[key] for key in ("cores", "memory", "hardware_profile")}
    assert dv.put(dv.vm("www1"), json=same).status_code == 200
    assert dv.put(dv.vm("www1"), json={"autoreboot_on": False}).status_code == 200
    dv.make("off", power_on=False)
    assert dv.put(dv.vm("off"), json={"cores": 2, "memory": 2048}).json()["cores"] == 2


def test_moving_a_running_machine_is_refused(api, dv):
    dv.make("www1", **RUNNING)
    other = dv.post(dv.groups(), json={"name": "other"}).json()
    move = {"group_id": other["id"]}
    assert list(error_of(dv.put(dv.vm("www1"), json=move), 400)) == ["group_id"]
    assert dv.read("www1")["group_id"] != other["id"]
    dv.put(dv.vm("www1"), json={"autoreboot_on": False, "power_on": False})
    assert dv.put(dv.vm("www1"), json=move).json()["group_id"] == other["id"]
    api.create("www1", power_on=True)
    group = api.post(api.at(f"/accounts/{ACCOUNT}/groups"), json={"name": "other"}).json()
    assert api.put(api.vm("www1"), json={"group_id": group["id"]}).status_code == 200


@pytest.mark.parametrize("name", ["id", "hostname", "head", "management_address"])
def test_read_only_attributes_in_a_put_are_refused(api, dv, name):
    machine = dv.make("www1", power_on=False)
    assert list(error_of(dv.put(dv.vm("www1"), json={name: machine[name]}), 400)) == [name]
    created = api.create("www1")
    assert api.put(api.vm("www1"), json={name: created[name]}).status_code == 200


def test_overview_embeds_machines_with_fewer_fields(dv):
    dv.make("www1")
    fields = {"id", "name", "hostname", "power_on", "deleted"}
    group = dv.get(dv.group(), params={"view": "overview"}).json()
    assert [set(vm) for vm in group["virtual_machines"]] == [fields]
    account = dv.get(dv.at(f"/accounts/{ACCOUNT}"), params={"view": "overview"}).json()
    embedded = [vm for g in account["groups"] for vm in g["virtual_machines"]]
    assert embedded and all(set(vm) == fields for vm in embedded)
    (listed,) = dv.get(dv.vms(), params={"view": "overview"}).json()
    single = dv.read("www1", view="overview")
    assert {"cores", "memory", "discs", "network_interfaces"} <= set(listed) & set(single)


def test_network_interfaces_without_mac(api, dv):
    dv.make("www1")
    (nic,) = dv.get(dv.vm("www1") + "/nics").json()
    assert "mac" not in nic and nic["ips"]
    assert "mac" not in dv.get(dv.vm("www1") + f"/nics/{nic['id']}").json()
    assert "mac" not in dv.read("www1", view="overview")["network_interfaces"][0]
    api.create("www1")
    assert "mac" in api.get(api.vm("www1") + "/nics").json()[0]


# --- discs ---------------------------------------------------------------------------------
def test_disc_without_size_gets_25600(dv):
    dv.make("www1")
    reply = dv.post(dv.vm("www1") + "/discs", json={"label": "data"})
    assert reply.status_code == 201 and reply.json()["size"] == 25600


def test_discs_may_shrink(dv):
    dv.make("www1")
    dv.post(dv.vm("www1") + "/discs", json={"label": "data", "size": 4096})
    reply = dv.put(dv.vm("www1") + "/discs/data", json={"size": 2048})
    assert reply.status_code == 200 and reply.json()["size"] == 2048


def test_disc_delete_without_purge_answers_500_in_json(dv):
    dv.make("www1")
    dv.post(dv.vm("www1") + "/discs", json={"label": "data", "size": 1024})
    for query in ({}, {"purge": "false"}):
        assert error_of(dv.delete(dv.vm("www1") + "/discs/data", params=query), 500)["error"]
    assert dv.delete(dv.vm("www1") + "/discs/data", params={"purge": "true"}).status_code == 204


# --- groups --------------------------------------------------------------------------------
def test_group_list_ignores_view_and_include_deleted(dv):
    dv.make("www1")
    query = {"view": "overview", "include_deleted": "true"}
    (group,) = dv.get(dv.groups(), params=query).json()
    assert set(group) == {"id", "account_id", "name"}
    assert "virtual_machines" in dv.get(dv.group(), params=query).json()


def test_a_group_of_deleted_machines_can_be_deleted(dv):
    dv.post(dv.groups(), json={"name": "other"})
    dv.make("www1", group="other")
    dv.make("www2", group="other")
    dv.delete(dv.vm("www1", group="other"))
    assert reason_of(dv.delete(dv.group("other")), 400).startswith("virtual_machines: ")
    dv.delete(dv.vm("www2", group="other"))
    assert dv.delete(dv.group("other")).status_code == 204
    error_of(dv.get(dv.group("other")), 404)
    assert dv.make("www1")["name"] == "www1"  # purged with the group: the name is free


# --- reimage and signal --------------------------------------------------------------------
def test_reimage_without_root_password_is_accepted(dv):
    dv.make_with_disc("www1", power_on=False)
    assert _reimage(dv, "www1").status_code == 200


def test_reimage_echoes_the_root_password(dv):
    dv.make_with_disc("www1", power_on=False)
    reply = _reimage(dv, "www1", root_password="pw")
    assert reply.status_code == 200 and reply.json()["root_password"] == "pw"


def test_a_machine_without_a_disc_cannot_be_reimaged(api, dv):
    dv.make("bare", power_on=False)
    assert reason_of(_reimage(dv, "bare"), 400).startswith("discs: ")  # refusal-media-type
    reimage = {"distribution": "jessie", "root_password": "pw"}
    with only("reimage-without-disc") as one:
        one.create("bare", power_on=False)
        assert error_of(_reimage(one, "bare", **reimage), 400) == {"discs": ["can't be blank"]}
        assert one.read("bare")["power_on"] is False  # nothing changed
        one.post(one.vm("bare") + "/discs", json={"label": "root", "size": 25600})
        assert _reimage(one, "bare", **reimage).status_code == 200
        machine = {"name": "spec", "power_on": False}
        disc = {"label": "root", "size": 25600}
        body = {"virtual_machine": machine, "discs": [disc], "reimage": reimage}
        assert one.post(one.group() + "/vm_create", json=body).status_code == 202
        assert _reimage(one, "spec", **reimage).status_code == 200
        alone = {"virtual_machine": {**machine, "name": "nodisc"}, "reimage": reimage}
        assert list(error_of(one.post(one.group() + "/vm_create", json=alone), 400)) == ["discs"]
        error_of(one.get(one.vm("nodisc")), 404)  # nothing was created
    api.create("bare", power_on=False)
    assert _reimage(api, "bare", **reimage).status_code == 200


def test_sendkey_takes_only_the_definitions_keys(api, dv):
    dv.make("www1", **RUNNING)
    strict = _signal(dv, "www1", signal="sendkey", data="ctrl-alt-del")
    assert list(error_of(strict, 400)) == ["data"]
    assert _signal(dv, "www1", signal="sendkey", data="ctrl-alt-delete").status_code == 200
    api.create("www1", power_on=True)
    assert _signal(api, "www1", signal="sendkey", data="ctrl-alt-del").status_code == 200


def test_sendkey_without_data_sends_nothing(dv):
    dv.make("www1", **RUNNING)
    reply = _signal(dv, "www1", signal="sendkey")
    assert reply.status_code == 200 and reply.json() == {"signal": "sendkey"}


def test_a_powerdown_takes_its_time(dv):
    dv.make("www1", power_on=True, autoreboot_on=False)
    assert _signal(dv, "www1", signal="powerdown").status_code == 200
    during = dv.read("www1")
    assert during["power_on"] is True and during["head"] is not None
    dv.clock.advance(divergent.POWERDOWN_SECONDS + 0.5)
    assert dv.read("www1")["power_on"] is False
    dv.make("back", **RUNNING)  # autoreboot_on brings it straight back
    _signal(dv, "back", signal="powerdown")
    dv.clock.advance(divergent.POWERDOWN_SECONDS + 0.5)
    assert dv.read("back")["power_on"] is True


def test_a_stop_during_a_powerdown_is_at_once(dv):
    dv.make("www1", power_on=True, autoreboot_on=False)
    _signal(dv, "www1", signal="powerdown")
    assert dv.put(dv.vm("www1"), json={"power_on": False}).json()["power_on"] is False


# --- state rules ---------------------------------------------------------------------------
def test_refusal_by_state_is_409(dv):
    dv.make("on", **RUNNING)
    dv.make("off", power_on=False)
    # the reason in plain text (refusal-media-type), under `state`
    assert reason_of(_reimage(dv, "on", root_password="pw"), 409).startswith("state: ")
    assert reason_of(_signal(dv, "off", signal="reset"), 409).startswith("state: ")
    with only("refusal-status") as one:
        one.create("www1", power_on=True)
        assert list(error_of(_reimage(one, "www1", root_password="pw"), 409)) == ["state"]
    assert dv.read("on")["power_on"] is True and dv.read("off")["power_on"] is False


def test_reimage_and_signal_of_a_deleted_machine_are_refused(dv):
    dv.make("www1", **RUNNING)
    dv.delete(dv.vm("www1"))
    assert reason_of(_signal(dv, "www1", signal="reset"), 400).startswith("power_on: ")
    assert reason_of(_reimage(dv, "www1", root_password="pw"), 400).startswith("deleted: ")
    assert dv.read("www1", include_deleted="true")["deleted"] is True


def test_start_undeletes_a_deleted_machine(dv):
    dv.make("www1", **RUNNING)
    dv.delete(dv.vm("www1"))
    started = dv.put(dv.vm("www1"), json={"power_on": True}).json()
    assert (started["deleted"], started["power_on"]) == (False, True)
    assert dv.read("www1")["power_on"] is True


def test_deleted_machines_are_purged_after_300_seconds(dv):
    dv.make("www1")
    dv.delete(dv.vm("www1"))
    dv.clock.advance(divergent.UNDELETE_WINDOW - 1)
    assert dv.read("www1", include_deleted="true")["deleted"] is True
    dv.clock.advance(2)
    error_of(dv.get(dv.vm("www1"), params={"include_deleted": "true"}), 404)
    assert dv.make("www1")["deleted"] is False  # the name is free again


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


# --- the command line ----------------------------------------------------------------------
def _poll(call: Any, done: Any, timeout: float = 60.0) -> Any:
    """Call until `done(result)` (real time: generous, never a bound under test)."""
    deadline = time.monotonic() + timeout
    result = call()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(0.1)
        result = call()
    return result


def _second_line(process: Process) -> str:
    assert process.process.stderr is not None
    return process.process.stderr.readline()


@pytest.mark.slow
def test_divergent_flag_turns_every_divergence_on():
    with Process("--divergent") as process:
        assert f"divergences: {len(ALL)} on" in _second_line(process)
        api = Api(process.url)
        reply = api.post(api.vms(), json={"name": "vm1", "cores": 1, "memory": 1024})
        assert reply.status_code == 202 and reply.headers["Content-Type"] == VENDOR
        read = _poll(lambda: api.get(api.vm("vm1")), lambda reply: reply.status_code == 200)
        assert read.json()["hostname"].endswith(".divergent.example")
        assert error_of(api.post(api.vms(), json={"name": "vm2"}), 400).keys() == {
            "cores",
            "memory",
        }
        assert process.terminate() == 0


@pytest.mark.slow
def test_divergent_flag_keeps_a_given_cluster_domain():
    with Process("--divergent", "--cluster-domain", "example.test") as process:
        api = Api(process.url)
        created = api.post(api.vms(), json={"name": "vm1", "cores": 1, "memory": 1024})
        assert created.status_code == 202
        read = api.get(api.vm("vm1"))
        assert read.json()["hostname"] == f"vm1.default.{ACCOUNT}.example.test"


@pytest.mark.slow
def test_diverge_flag_turns_on_one_entry_at_a_time():
    with Process("--diverge", "nic-fields", "--diverge", "extra-fields") as process:
        assert "divergences: 2 on" in _second_line(process)
        api = Api(process.url)
        machine = api.create("vm1")
        assert machine["x_divergent"] is True
        assert machine["hostname"].endswith(f".{DEFAULT_CLUSTER_DOMAIN}")
        assert "mac" not in api.get(api.vm("vm1") + "/nics").json()[0]
    with Process() as process:
        assert "divergences: none" in _second_line(process)


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["no-such-entry", "nic-id-range"])
def test_an_unknown_divergence_is_one_line_and_exit_2(flag):
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "0", "--diverge", flag],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert flag in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_help_documents_both_flags():
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0
    assert "--divergent" in done.stdout and "--diverge ID" in done.stdout


def test_readme_documents_the_divergent_mode():
    readme = (Path(divergent.__file__).parent / "README.md").read_text(encoding="utf-8")
    for needle in ("--divergent", "--diverge ID", "divergences", "ctrl-alt-del"):
        assert needle in readme


def test_a_database_file_made_before_the_divergent_columns_gains_them(tmp_path):
    """A --db file of an older emulator (without the columns the divergent mode keeps)
    opens, gains them and serves its machines."""
    db = tmp_path / "bigv.db"
    running = start(EmulatorConfig(db=db))
    Api(running.url).create("www1")
    running.stop()
    with sqlite3.connect(db) as connection:
        for name, _ in store.ADDED_VM_COLUMNS:
            connection.execute(f"ALTER TABLE virtual_machines DROP COLUMN {name}")
    running = start(EmulatorConfig(db=db, divergences=ALL))
    try:
        api = Api(running.url)
        assert api.read("www1")["name"] == "www1"
        api.delete(api.vm("www1"))
        assert api.read("www1", include_deleted="true")["deleted"] is True
    finally:
        running.stop()
