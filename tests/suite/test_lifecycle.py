"""spec/lifecycle.py reads the tables of spec/rules.yaml as the documentation says."""

import pytest

from spec import lifecycle

ON = {"power_on": True, "autoreboot_on": True, "deleted": False}
OFF = {"power_on": False, "autoreboot_on": True, "deleted": False}


@pytest.mark.parametrize(
    ("state", "request_body", "power_on", "rule"),
    [
        (OFF, {"autoreboot_on": True, "power_on": True}, True, "start"),
        (ON, {"autoreboot_on": False, "power_on": False}, False, "stop"),
        (ON, {"autoreboot_on": True, "power_on": False}, True, "hard_restart"),
        (ON, {"power_on": False}, True, "hard_restart"),
        (ON | {"autoreboot_on": False}, {"power_on": False}, False, "stop"),
    ],
)
def test_the_put_power_table(state, request_body, power_on, rule):
    outcome = lifecycle.apply("updateVirtualMachine", state, request_body)
    assert outcome.changes["power_on"] is power_on
    assert outcome.applied == (rule,)


def test_power_requests_that_change_nothing_keep_the_state():
    assert lifecycle.apply("updateVirtualMachine", ON, {"power_on": True}).changes == {}
    assert (
        lifecycle.apply("updateVirtualMachine", OFF | {"deleted": True}, {"power_on": True}).changes
        == {}
    )


def test_undelete_then_start_in_one_request():
    outcome = lifecycle.apply(
        "updateVirtualMachine", OFF | {"deleted": True}, {"deleted": False, "power_on": True}
    )
    assert outcome.changes == {"deleted": False, "power_on": True}
    assert outcome.applied == ("undelete", "start")


@pytest.mark.parametrize(
    ("state", "signal", "power_on"),
    [
        (ON, "powerdown", True),
        (ON | {"autoreboot_on": False}, "powerdown", False),
        (ON, "reset", True),
        (ON, "sendkey", True),
    ],
)
def test_signals_on_a_running_machine(state, signal, power_on):
    outcome = lifecycle.apply("signalVirtualMachine", state, {"signal": signal})
    assert outcome.refused is None
    assert outcome.changes.get("power_on", state["power_on"]) is power_on


@pytest.mark.parametrize("signal", ["powerdown", "reset", "sendkey"])
def test_signals_to_a_stopped_machine_are_refused_naming_power_on(signal):
    assert lifecycle.apply("signalVirtualMachine", OFF, {"signal": signal}).refused == "power_on"


def test_a_signal_no_rule_knows_is_refused_naming_the_signal():
    assert lifecycle.apply("signalVirtualMachine", ON, {"signal": "bogus"}).refused == "signal"


def test_reimage_only_when_off_then_on_without_autoreboot_after_provisioning():
    assert lifecycle.apply("reimageVirtualMachine", ON, {}).refused == "power_on"
    outcome = lifecycle.apply("reimageVirtualMachine", OFF, {"distribution": "x"})
    assert outcome.provisions
    assert outcome.changes == lifecycle.provisioning_state()
    assert outcome.pending == {"power_on": True, "autoreboot_on": False}


def test_delete_soft_and_purge():
    assert lifecycle.apply("deleteVirtualMachine", ON, {}).changes == {
        "deleted": True,
        "power_on": False,
    }
    assert lifecycle.apply("deleteVirtualMachine", ON, {"purge": True}).purged


def test_create_provisions_then_powers_as_asked():
    assert lifecycle.create({}).pending == {"power_on": True}
    assert lifecycle.create({"power_on": False}).pending == {"power_on": False}
    assert lifecycle.create({}).changes == {"power_on": False, "head": None}


def test_derived_attributes_and_hidden_machines():
    assert lifecycle.hostname("www1", "default", "myaccount", "uk0.bigv.io") == (
        "www1.default.myaccount.uk0.bigv.io"
    )
    assert lifecycle.head_is_set({"power_on": True})
    assert not lifecycle.head_is_set({"power_on": False})
    assert lifecycle.hidden("getVirtualMachine", True, {})
    assert not lifecycle.hidden("getVirtualMachine", True, {"include_deleted": True})
    assert not lifecycle.hidden("updateVirtualMachine", True, {})
    assert not lifecycle.hidden("getVirtualMachine", False, {})
    assert lifecycle.refusal_status() == 400
    assert lifecycle.controlled_attributes("updateVirtualMachine") == {"power_on", "deleted"}


KEYS = ("power_on", "autoreboot_on")


@pytest.mark.parametrize(
    ("operation_id", "state", "request_body", "wanted"),
    [
        # the official client's stop, then autoreboot back on: off it stays
        (
            "updateVirtualMachine",
            ON,
            {"autoreboot_on": False, "power_on": False},
            OFF | {"autoreboot_on": False},
        ),
        ("updateVirtualMachine", OFF | {"autoreboot_on": False}, {"autoreboot_on": True}, OFF),
        # a hard restart comes back on; a reimage ends on, without autoreboot
        ("updateVirtualMachine", ON, {"autoreboot_on": True, "power_on": False}, ON),
        ("reimageVirtualMachine", OFF, {"distribution": "x"}, ON | {"autoreboot_on": False}),
    ],
)
def test_settled_is_the_state_once_a_request_has_taken_effect(
    operation_id, state, request_body, wanted
):
    assert lifecycle.settled(operation_id, state, request_body, KEYS) == {
        key: wanted[key] for key in KEYS
    }


def test_settled_is_none_for_a_refused_request():
    assert lifecycle.settled("signalVirtualMachine", OFF, {"signal": "reset"}, KEYS) is None
