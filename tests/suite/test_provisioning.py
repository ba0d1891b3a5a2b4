"""Machines made ahead for the scenarios (conformance.run.provisioning), against a live emulator
that takes its time to provision: creates are sent at once, taken by their owner with their
exchanges, held back by the budget, and never lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from conformance.run.provisioning import (
    Provisioner,
    creation_body,
    declared,
    documented_attributes,
)
from conformance.run.safety import Budget, Names
from conformance.run.scenario import Machines
from tests.suite.conftest import api_for, emulator_process

OWNER, OTHER = "scenarios/test_x.py::test_a", "scenarios/test_x.py::test_b"
DELAY = 0.5  # seconds the emulator takes to provision


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator:
    with emulator_process("--provision-delay", str(DELAY)) as running:
        yield running


def _creates(emulator) -> int:
    return sum(1 for method, path, _ in emulator.requests_answered() if method == "POST")


DOCUMENTED = {  # the spec's `full` create example: the original page's machine
    "cores": 1,
    "memory": 1024,
    "power_on": True,
    "autoreboot_on": True,
    "hardware_profile": "virtio2013",
}


def test_a_machine_asked_to_be_off_is_created_running():
    body = creation_body("n", {"power_on": False, "cores": 2}, {})
    assert body == DOCUMENTED | {"name": "n", "power_on": True, "cores": 2}
    body = creation_body("n", {"autoreboot_on": False}, {})
    assert body == DOCUMENTED | {"name": "n", "autoreboot_on": False}


def test_machines_are_created_as_the_documentation_and_clients_create_them():
    """The page's attributes, with values from the target's own /definitions where the record
    says they come from there."""
    assert documented_attributes({}) == DOCUMENTED
    listed = {"hardware_profiles": ["virtio2018", "virtio2013"]}
    assert documented_attributes(listed)["hardware_profile"] == "virtio2013"
    other = {"hardware_profiles": ["virtio2018"]}
    assert documented_attributes(other)["hardware_profile"] == "virtio2018"


def test_declarations_are_lists_or_functions_of_the_parameters():
    assert declared([{}], {"x": 1}) == [{}]
    assert declared(lambda x, **_: [{"cores": x}], {"x": 2, "y": 3}) == [{"cores": 2}]
    assert declared(None, {}) == []


def test_every_declared_create_goes_out_at_once_and_its_owner_takes_it(slow_emulator):
    recorded: list = []
    api = api_for(slow_emulator.url, recorded)
    names, budget = Names("bvtest"), Budget(None)
    provisioner = Provisioner(api, names, budget)
    provisioner.plan([(OWNER, [{}, {"power_on": False}]), (OTHER, [{"cores": 2}])])
    before = _creates(slow_emulator)
    provisioner.send()
    assert _creates(slow_emulator) - before == 3, "all three sent before anyone waits"
    assert budget.alive == 3
    assert recorded == [], "nothing is recorded for the test running while they are sent"

    machines = Machines(api, names, budget, provisioner, OWNER)
    off = machines.create(power_on=False)
    assert (off["power_on"], off["autoreboot_on"]) == (False, True)
    assert recorded[0][0] == "createVirtualMachine", "replayed for the owner"
    assert machines.undeclared == []
    assert budget.alive == 3, "taken machines were counted when sent"

    # the owner's other order is never taken: its machine is purged with the owner's
    assert machines.purge_all() == []
    assert budget.alive == 1
    assert provisioner.orders.get(OWNER) is None
    # another scenario asking for attributes it did not declare creates its own, slower
    other = Machines(api, names, budget, provisioner, OTHER)
    other.create(cores=4)
    assert other.undeclared == [{"cores": 4}]
    assert len(provisioner.untaken(OTHER)) == 1, "the declared one, never taken"


def test_the_budget_holds_creates_back_until_there_is_room(slow_emulator):
    api = api_for(slow_emulator.url, [])
    names, budget = Names("bvtest"), Budget(1)
    provisioner = Provisioner(api, names, budget)
    provisioner.plan([(OWNER, [{}]), (OTHER, [{}])])
    before = _creates(slow_emulator)
    provisioner.send()
    assert _creates(slow_emulator) - before == 1
    first = Machines(api, names, budget, provisioner, OWNER)
    first.create()
    first.purge_all()
    provisioner.send()  # what the next scenario's fixture does
    assert _creates(slow_emulator) - before == 2
    second = Machines(api, names, budget, provisioner, OTHER)
    second.create()
    assert second.purge_all() == []


def test_a_create_that_could_not_be_sent_fails_its_owner_not_the_test_running(slow_emulator):
    api = api_for("http://127.0.0.1:9", [])  # nothing listens on the discard port
    provisioner = Provisioner(api, Names("bvtest"), Budget(None))
    provisioner.plan([(OWNER, [{}])])
    provisioner.send()  # raises nothing here
    with pytest.raises(requests.ConnectionError):
        Machines(api, Names("bvtest"), Budget(None), provisioner, OWNER).create()
