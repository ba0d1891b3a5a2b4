"""The pure core on its own: no HTTP, no store, time passed in."""

from __future__ import annotations

import math

import pytest

import spec
from emulator.addresses import AddressPool
from emulator.errors import ValidationFailed
from emulator.model import Model, example_sendkeys
from emulator.records import state_of
from spec import lifecycle


@pytest.fixture(scope="module")
def model() -> Model:
    return Model(spec.api(), "uk0.bigv.io", provision_delay=10.0)


def _vm(model: Model, **attributes):
    return model.settle(model.new_vm({"name": "www1", **attributes}, 1, "192.0.2.1", 0.0), math.inf)


def test_derivations_agree_with_spec_lifecycle(model):
    vm = _vm(model)
    assert model.hostname("www1", "default", "acc") == lifecycle.hostname(
        "www1", "default", "acc", "uk0.bigv.io"
    )
    for power_on in (True, False):
        state = {**state_of(vm), "power_on": power_on}
        assert (model.head(vm, state, 0.0) is not None) == lifecycle.head_is_set(state)


def test_a_new_machine_provisions_until_its_time_then_powers_as_asked(model):
    vm = model.new_vm({"name": "www1", "power_on": True}, 1, "192.0.2.1", 100.0)
    assert model.provisioning(vm, 105.0)
    shown = model.render_vm(vm, "default", "acc", 105.0)
    assert (shown["power_on"], shown["head"]) == (False, None)
    settled = model.settle(vm, 110.0)
    assert settled.power_on is True and not model.provisioning(settled, 110.0)


def test_unsaid_power_on_is_the_rules_default(model):
    assert _vm(model).power_on == lifecycle.create({}).pending["power_on"]


def test_refusal_names_the_attribute_from_the_state(model):
    off = _vm(model, power_on=False)
    with pytest.raises(ValidationFailed) as raised:
        model.signal(off, {"signal": "reset"}, 0.0)
    assert raised.value.status == lifecycle.refusal_status()
    assert raised.value.body == {"power_on": ["must be true"]}


def test_plain_attributes_apply_and_controlled_ones_follow_the_tables(model):
    running = _vm(model, power_on=True, autoreboot_on=True)
    updated = model.update(running, {"power_on": False, "cores": 4}, 0.0)
    assert (updated.power_on, updated.cores) == (True, 4)  # hard restart: back on


def test_purge_gives_none(model):
    assert model.delete(_vm(model), {"purge": True}, 0.0) is None


def test_sendkeys_come_from_the_definitions_table(model):
    """The `sendkeys` definitions, plus the key names of the spec's own sendkey examples."""
    assert model.definition_value_ok("bigv-sendkeys", "ctrl-alt-delete")
    assert model.definition_value_ok("bigv-sendkeys", "ctrl-alt-del")  # the Python library
    assert model.definition_value_ok("bigv-sendkeys", "a-b-c-ctrl-alt-del")  # ICH's example
    assert not model.definition_value_ok("bigv-sendkeys", "ctrl-alt-nosuchkey")
    assert model.definition_value_ok("bigv-keymap", 7)  # types are the schema's business


def test_the_extra_key_names_are_read_from_the_spec_examples():
    document = spec.api()
    assert "del" in example_sendkeys(document)
    assert "del" not in spec.definitions_table(document)["sendkeys"]
    _, _, signal = spec.operations(document)["signalVirtualMachine"]
    signal["requestBody"]["content"]["application/json"]["examples"] = {}
    assert not Model(document, "uk0.bigv.io").definition_value_ok("bigv-sendkeys", "ctrl-alt-del")


def test_address_pool_skips_network_and_broadcast_and_spans_pools():
    pool = AddressPool(["192.0.2.0/30", "2001:db8::/126"])
    assert [pool.address(slot) for slot in range(5)] == [
        "192.0.2.1",
        "192.0.2.2",
        "2001:db8::1",
        "2001:db8::2",
        "2001:db8::3",
    ]
    assert pool.address(5) is None


def test_privileges_decide_what_an_account_user_may_do(model):
    assert model.access([("account_admin", 1)], 2) is None
    assert model.access([("account_admin", 1)], 1).can_write
    assert not model.access([("vm_console", 1)], 1).can_write
    assert model.access([("cluster_admin", None)], 7).can_write
