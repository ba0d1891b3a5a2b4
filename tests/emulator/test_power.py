"""Power (bigv-api.md sections 5.3, 5.5, 5.6): the PUT power table, reimage and signals.

What each request should do is read from spec/rules.yaml (through spec.lifecycle), so these
tests check that the emulator applies the tables rather than restating them.
"""

from __future__ import annotations

import pytest

from spec import lifecycle
from tests.emulator.helpers import error_of

STATE = ("power_on", "autoreboot_on")


def _machine(api, power_on, autoreboot_on):
    return api.create("m", power_on=power_on, autoreboot_on=autoreboot_on)


def _expected(operation_id, machine, body):
    before = {key: machine[key] for key in (*STATE, "deleted")}
    outcome = lifecycle.apply(operation_id, before, body)
    plain = (
        {k: v for k, v in body.items() if k in STATE} if operation_id.startswith("update") else {}
    )
    plain = {
        k: v for k, v in plain.items() if k not in lifecycle.controlled_attributes(operation_id)
    }
    wanted = {**before, **plain, **outcome.changes, **outcome.pending}
    return outcome, {key: wanted[key] for key in STATE}


@pytest.mark.parametrize(
    ("name", "power_on", "autoreboot_on", "body"),
    [
        ("start", False, True, {"autoreboot_on": True, "power_on": True}),
        ("stop", True, True, {"autoreboot_on": False, "power_on": False}),
        ("hard restart", True, True, {"autoreboot_on": True, "power_on": False}),
        ("python start", False, False, {"power_on": True}),
        ("python restart", True, True, {"power_on": False}),
        ("stop without autoreboot", True, False, {"power_on": False}),
        ("already on", True, True, {"power_on": True}),
        ("already off", False, True, {"power_on": False}),
        ("shutdown and stay off, step 1", True, True, {"autoreboot_on": False}),
    ],
)
def test_the_put_power_table(api, name, power_on, autoreboot_on, body):
    machine = _machine(api, power_on, autoreboot_on)
    _, wanted = _expected("updateVirtualMachine", machine, body)
    reply = api.put(api.vm("m"), json=body)
    assert reply.status_code == 200, reply.text
    assert {key: reply.json()[key] for key in STATE} == wanted
    assert {key: api.read("m")[key] for key in STATE} == wanted


def test_hard_restart_comes_back_on(api):
    _machine(api, True, True)
    assert api.put(api.vm("m"), json={"autoreboot_on": True, "power_on": False}).json()["power_on"]


@pytest.mark.parametrize(
    ("power_on", "autoreboot_on", "body"),
    [
        (True, True, {"signal": "powerdown"}),
        (True, False, {"signal": "powerdown"}),
        (True, True, {"signal": "reset"}),
        (True, False, {"signal": "sendkey", "data": "ctrl-alt-delete"}),
    ],
)
def test_signals_on_a_running_machine(api, power_on, autoreboot_on, body):
    machine = _machine(api, power_on, autoreboot_on)
    _, wanted = _expected("signalVirtualMachine", machine, body)
    reply = api.post(api.vm("m") + "/signal", json=body)
    assert reply.status_code == 200 and reply.json() == body
    assert {key: api.read("m")[key] for key in STATE} == wanted


def test_powerdown_with_autoreboot_comes_back_and_without_stays_off(api):
    _machine(api, True, True)
    api.post(api.vm("m") + "/signal", json={"signal": "powerdown"})
    assert api.read("m")["power_on"] is True
    api.put(api.vm("m"), json={"autoreboot_on": False})
    api.post(api.vm("m") + "/signal", json={"signal": "powerdown"})
    assert api.read("m")["power_on"] is False


@pytest.mark.parametrize("signal", ["powerdown", "reset", "sendkey"])
def test_signals_are_refused_while_off_and_change_nothing(api, signal):
    machine = _machine(api, False, True)
    body = {"signal": signal, "data": "esc"} if signal == "sendkey" else {"signal": signal}
    outcome, _ = _expected("signalVirtualMachine", machine, body)
    assert outcome.refused == "power_on"
    assert error_of(api.post(api.vm("m") + "/signal", json=body), 400) == {
        "power_on": ["must be true"]
    }
    assert api.read("m") == machine


@pytest.mark.parametrize(
    ("data", "ok"),
    [("ctrl-alt-delete", True), ("a-b-c", True), ("minus", True), ("ctrl-alt-del", True),
     ("a-b-c-ctrl-alt-del", True), ("ctrl-alt-nosuchkey", False), ("f13", False),
     ("ctrl--alt", False), ("", False)],
)  # fmt: skip
def test_sendkey_keys_come_from_the_definitions(api, data, ok):
    """Keys of the `sendkeys` definitions, and those of the spec's own examples (`del`)."""
    _machine(api, True, True)
    reply = api.post(api.vm("m") + "/signal", json={"signal": "sendkey", "data": data})
    if ok:
        assert reply.status_code == 200
    else:
        assert "data" in error_of(reply, 400)


def test_sendkey_needs_data_and_unknown_signals_are_refused(api):
    _machine(api, True, True)
    assert error_of(api.post(api.vm("m") + "/signal", json={"signal": "sendkey"}), 400) == {
        "data": ["can't be blank"]
    }
    assert error_of(api.post(api.vm("m") + "/signal", json={"signal": "halt"}), 400) == {
        "signal": ["is not included in the list"]
    }


def test_reimage_only_when_off_then_on_with_autoreboot_off(api):
    machine = _machine(api, True, True)
    body = {"distribution": "wheezy", "root_password": "mysecurepassword"}
    assert error_of(api.post(api.vm("m") + "/reimage", json=body), 400) == {
        "power_on": ["must be false"]
    }
    assert api.read("m") == machine
    api.put(api.vm("m"), json={"autoreboot_on": False, "power_on": False})
    reply = api.post(api.vm("m") + "/reimage", json=body)
    assert reply.status_code == 200 and reply.json() == {"distribution": "wheezy"}
    after = api.read("m")
    assert (after["power_on"], after["autoreboot_on"], after["last_imaged_with"]) == (
        True,
        False,
        "wheezy",
    )


def test_reimage_distribution_comes_from_the_definitions(api):
    _machine(api, False, True)
    body = {"distribution": "windows95", "root_password": "x"}
    assert error_of(api.post(api.vm("m") + "/reimage", json=body), 400) == {
        "distribution": ["is not included in the list"]
    }


def test_reimage_and_signal_never_reach_a_deleted_machine(api):
    _machine(api, False, True)
    api.delete(api.vm("m"))
    body = {"distribution": "wheezy", "root_password": "x"}
    error_of(api.post(api.vm("m") + "/reimage", json=body), 404)
    error_of(api.post(api.vm("m") + "/signal", json={"signal": "reset"}), 404)
