"""Power: the PUT power table, signals and reimage, each expectation read from spec/rules.yaml."""

import pytest

from conformance.judging.predictions import lifecycle
from conformance.judging.verdict import expect, note, step
from conformance.run.scenario import expect_refused, expect_status, scenario, statement_of_outcome

STATE_KEYS = ("power_on", "autoreboot_on")


def _state(machine):
    return {key: machine[key] for key in (*STATE_KEYS, "deleted")}


def _apply(bigv, machines, machine, operation_id, body):
    """Send one request; check its status and the state it leaves against the rules."""
    before = _state(machine)
    outcome = lifecycle.apply(operation_id, before, body)
    by = statement_of_outcome(operation_id, outcome)
    reply = bigv.api.call(operation_id, path={"virtual_machine": machine["id"]}, body=body)
    if outcome.refused:
        expect_refused(
            reply,
            f"the rules refuse {body} on a machine with {before}",
            preferred=lifecycle.refusal_status(),
            rests_on="refusal-status",
            by=by,
        )
        after = machines.read(machine["id"])
        expect(
            _state(after) == before,
            "A refused request changed the machine",
            f"{body} on {before} was refused, yet the machine is now {_state(after)}.",
            by=by,
        )
        return after
    done = "action-echo" if operation_id != "updateVirtualMachine" else "put-ok"
    expect_status(
        reply, 200, f"{body} on a machine with {before} is allowed", by=done if by else None
    )
    wanted = lifecycle.settled(operation_id, before, body, STATE_KEYS)
    rules = ", ".join(outcome.applied) or "no rule: unchanged"
    after = machines.wait_for(
        machine["id"], f"{operation_id} {body} ({rules}) to give {wanted}", by=by, **wanted
    )
    waited, polls = machines.last_wait
    if body.get("signal") == "powerdown" and polls > 1:
        note(
            "powerdown-duration",
            f"A powerdown takes time ({waited:.1f} s here)",
            f"Machine {machine['id']} reached {wanted} {waited:.1f} s after the powerdown.",
        )
    return after


def starting_machine(power_on, autoreboot_on, **_):
    """The machine a power or signal case starts from."""
    return [{"power_on": power_on, "autoreboot_on": autoreboot_on}]


POWER_CASES = [
    # (name, starting power_on, starting autoreboot_on, PUT body)
    ("start", False, True, {"autoreboot_on": True, "power_on": True}),
    ("stop", True, True, {"autoreboot_on": False, "power_on": False}),
    ("hard_restart", True, True, {"autoreboot_on": True, "power_on": False}),
    ("stop_keeps_autoreboot_off", True, False, {"power_on": False}),
]


@pytest.mark.parametrize(("rule", "power_on", "autoreboot_on", "body"), POWER_CASES)
@scenario("0a6d5e31-power-table-put", "vm.power", provisions=starting_machine)
def test_power_table_through_put(bigv, machines, rule, power_on, autoreboot_on, body):
    """
    1. Create a machine with the starting power_on and autoreboot_on.
    2. PUT the power request (the official client's exact bodies).
    3. The machine ends as spec/rules.yaml's power table says.
    """
    with step("1. create"):
        machine = machines.create(power_on=power_on, autoreboot_on=autoreboot_on)
    with step(f"2-3. {rule}: PUT {body}"):
        _apply(bigv, machines, machine, "updateVirtualMachine", body)


SIGNAL_CASES = [
    ("powerdown with autoreboot on comes back", True, True, {"signal": "powerdown"}),
    ("powerdown with autoreboot off stays off", True, False, {"signal": "powerdown"}),
    ("reset keeps running", True, True, {"signal": "reset"}),
    ("sendkey", True, True, {"signal": "sendkey", "data": "ctrl-alt-delete"}),
    ("signal refused while off", False, True, {"signal": "reset"}),
    ("powerdown refused while off", False, False, {"signal": "powerdown"}),
]


@pytest.mark.parametrize(("case", "power_on", "autoreboot_on", "body"), SIGNAL_CASES)
@scenario("6b1f0d47-signals", "vm.signal", provisions=starting_machine)
def test_signal(bigv, machines, case, power_on, autoreboot_on, body):
    """
    1. Create a machine that is on or off, with autoreboot on or off.
    2. Send the signal.
    3. 200 and the state the rules give, or the refusal status with nothing changed.
    """
    with step("1. create"):
        machine = machines.create(power_on=power_on, autoreboot_on=autoreboot_on)
    with step(f"2-3. {case}"):
        _apply(bigv, machines, machine, "signalVirtualMachine", body)


# Scenarios are declared alike (id, capability, the machines they provision): by design.
@scenario(
    "2f8a6c95-reimage-refused-running",
    "vm.reimage",
    provisions=[{"power_on": True, "imaged": True}],
)
def test_reimage_refused_while_running(bigv, machines):
    """
    1. Create a running machine with a disc and an image, as the official client does.
    2. Reimage it: refused, the machine unchanged.
    """
    distribution = bigv.run.definitions.get("distributions", ["wheezy"])[0]
    with step("1. create"):
        machine = machines.create(power_on=True, imaged=True)
    with step("2. reimage while running"):
        body = {"distribution": distribution, "root_password": "Conformance-1"}
        _apply(bigv, machines, machine, "reimageVirtualMachine", body)


@scenario(
    "d93c1e58-reimage-when-off",
    "vm.reimage",
    provisions=[{"power_on": False, "autoreboot_on": True, "imaged": True}],
)
def test_reimage_when_off_leaves_it_on_without_autoreboot(bigv, machines):
    """
    1. Create a machine with a disc and an image, as the official client does; stop it,
       with autoreboot on.
    2. Reimage it: 200, echoing the distribution.
    3. When imaging is over it is on, with autoreboot_on false.
    """
    distribution = bigv.run.definitions.get("distributions", ["wheezy"])[0]
    with step("1. create"):
        machine = machines.create(power_on=False, autoreboot_on=True, imaged=True)
    with step("2-3. reimage"):
        body = {"distribution": distribution, "root_password": "Conformance-1"}
        _apply(bigv, machines, machine, "reimageVirtualMachine", body)


@scenario(
    "a47e2b90-shutdown-stays-off",
    "vm.power",
    provisions=[{"power_on": True, "autoreboot_on": True}],
)
def test_shutdown_and_stay_off(bigv, machines):
    """
    1. Create a running machine with autoreboot on.
    2. PUT autoreboot_on false (the official client's shutdown, first half).
    3. Signal powerdown: it stays off.
    """
    with step("1. create"):
        machine = machines.create(power_on=True, autoreboot_on=True)
    with step("2. autoreboot off"):
        machine = _apply(bigv, machines, machine, "updateVirtualMachine", {"autoreboot_on": False})
    with step("3. powerdown"):
        after = _apply(bigv, machines, machine, "signalVirtualMachine", {"signal": "powerdown"})
        reply = bigv.api.call("getVirtualMachine", path={"virtual_machine": after["id"]})
        expect_status(reply, 200, "the machine is still there", by="get-ok")
