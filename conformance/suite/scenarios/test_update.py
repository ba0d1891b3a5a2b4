"""Partial updates: every writable attribute persists; unknown ones are ignored; read-only
ones do not change; renames, moves and the hardware profile."""

from schemathesis.core import NOT_SET

import spec
from conformance.judging import register
from conformance.judging.checks import hostname_problem
from conformance.judging.predictions import lifecycle
from conformance.judging.verdict import expect, note, step
from conformance.run.scenario import expect_status, new_group, read_differs, scenario

API = spec.api()
UPDATE = API["components"]["schemas"]["VirtualMachineUpdate"]["properties"]
READ_ONLY = [
    name
    for name, schema in API["components"]["schemas"]["VirtualMachine"]["properties"].items()
    if schema.get("readOnly") and name in API["components"]["schemas"]["VirtualMachine"]["required"]
]


def _documented_values(name):
    """The values the spec's request examples (the documentation's and the official
    clients' bodies) give an attribute, in order."""
    found = []
    for operation_id in ("updateVirtualMachine", "createVirtualMachine"):
        _, _, operation = spec.operations(API)[operation_id]
        media = operation["requestBody"]["content"]["application/json"]
        for example in media.get("examples", {}).values():
            value = spec.resolve(API, example)["value"].get(name, NOT_SET)
            if value is not NOT_SET and value not in found:
                found.append(value)
    return found


def _new_value(bigv, machine, name, schema):
    """A valid value for a writable attribute that differs from the machine's: one the
    target's /definitions lists, one the documentation's examples use, or for a flag its
    opposite."""
    definitions = bigv.run.definitions
    current = machine.get(name)
    section = API["x-definition-formats"].get(schema.get("format", ""))
    if section:
        return next((value for value in definitions.get(section, []) if value != current), None)
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "boolean" in kinds:
        return not current
    return next((value for value in _documented_values(name) if value != current), None)


# attribute -> the register entry its being writable rests on (keymap: DOC's list only)
RESTS_ON = register.attribute_entries("vm_update_applied")


@scenario("5a7f3c22-update-each-writable", "vm.update", provisions=[{"power_on": False}])
def test_each_writable_attribute_persists(bigv, machines):
    """
    1. Create a machine that is off (so no power rule applies, and a change that must wait
       for the machine to be off can be made).
    2. For each writable attribute the tables do not decide (power_on, deleted), PUT a new
       value (one /definitions lists or the documentation's examples use): 200, and the
       answer carries it.
    3. Read the machine: every value persisted.
    """
    with step("1. create"):
        machine = machines.create(power_on=False)
    plain = set(UPDATE) - lifecycle.controlled_attributes("updateVirtualMachine")
    sent = {}
    for name in sorted(plain - {"name", "group_id"}):
        value = _new_value(bigv, machine, name, UPDATE[name])
        if value is None:
            continue
        with step(f"2. update {name}"):
            reply = bigv.api.call(
                "updateVirtualMachine", path={"virtual_machine": machine["id"]}, body={name: value}
            )
            accepted = expect_status(
                reply,
                200,
                f"{name} is writable",
                by="put-ok",
                rests_on=RESTS_ON.get(name),
                stop=False,
            )
            if accepted:
                sent[name] = value
    with step("3. read back"):
        read = machines.read(machine["id"])
        lost = {
            name: (value, read.get(name))
            for name, value in sent.items()
            if read_differs(value, read.get(name))
        }
        for name, (value, got) in lost.items():
            expect(
                False,
                f"Update of {name} lost",
                f"Sent {name}={value!r}; read back {got!r}.",
                by="partial-update",
                rests_on=RESTS_ON.get(name),
                stop=False,
            )


@scenario("9d2e4b11-update-unknown-readonly", "vm.update", provisions=[{}])
def test_unknown_ignored_and_read_only_unchanged(bigv, machines):
    """
    1. Create a machine.
    2. PUT an unknown attribute: 200. PUT read-only attributes with other values: 200 or 400.
    3. The unknown attribute does not appear; the read-only attributes are unchanged.
    4. An empty PUT `{}` answers 200 and changes nothing.
    5. A PUT with no body at all: never a server error (the spec chose 400; a no-op is
       another reading of "PUT works like PATCH").
    """
    with step("1. create"):
        machine = machines.create()
    with step("2a. PUT an unknown attribute"):
        reply = bigv.api.call(
            "updateVirtualMachine",
            path={"virtual_machine": machine["id"]},
            body={"no_such_attribute": "x"},
        )
        expect_status(
            reply, 200, "unknown attributes are silently discarded", by="unknown-attributes"
        )
    bogus = {"id": machine["id"] + 100000, "hostname": "evil.example", "head": "head999"}
    bogus |= {"management_address": "198.51.100.77"}
    with step("2b. PUT read-only attributes"):
        reply = bigv.api.call(
            "updateVirtualMachine", path={"virtual_machine": machine["id"]}, body=bogus
        )
        expect_status(reply, (200, 400), "read-only attributes are ignored or refused")
        # a note of a register point, alike in shape to every other: by design
        if reply.status == 400:
            note(
                "read-only-attributes-put",
                "A PUT naming read-only attributes is refused",
                f"PUT {sorted(bogus)} answered 400 {reply.json}.",
                exchange=reply.exchange.as_dict(),
            )
    with step("3. read back"):
        read = machines.read(machine["id"])
        expect(
            "no_such_attribute" not in read,
            "Unknown attribute stored",
            f"Read back {read}.",
            by="unknown-attributes",
        )
        changed = {
            name: (machine.get(name), read.get(name))
            for name in READ_ONLY
            if name not in lifecycle.provisioning_state() and read.get(name) != machine.get(name)
        }
        expect(not changed, "Read-only attribute changed", f"before -> after: {changed}.")
    with step("4. empty PUT"):
        reply = bigv.api.call(
            "updateVirtualMachine", path={"virtual_machine": machine["id"]}, body={}
        )
        expect_status(
            reply, 200, "an empty update is valid (the official client sends it)", by="empty-put"
        )
    with step("5. PUT with no body at all"):
        reply = bigv.api.call("updateVirtualMachine", path={"virtual_machine": machine["id"]})
        expect(
            reply.status < 500,
            f"A PUT with no body answered {reply.status}",
            f"{reply.describe()}: a request without a body is refused or a no-op, never a crash.",
            exchange=reply.exchange.as_dict(),
        )
        expect_status(
            reply, (400, 415), "the spec refuses a PUT with no body", rests_on="put-without-body"
        )


@scenario("e1f05a9c-move-between-groups", "vm.update", provisions=[{"power_on": False}])
def test_move_to_another_group_and_back(bigv, machines):
    """
    1. Create a group (prefixed) and a machine, stopped (what can change on a running machine
       is left open: "power down first, or be prepared to handle a refusal").
    2. PUT group_id of the new group: 200; the machine reads there, hostname with the new group.
    3. DELETE the new group while it holds the machine: refused (400), the group is still
       there.
    4. Move it back.
    5. Delete the new group.
    """
    run = bigv.run
    with step("1. create"):
        group_name, group = new_group(bigv, "there is nowhere to move a machine to")
        machine = machines.create(power_on=False)
    try:
        with step("2. move"):
            reply = bigv.api.call(
                "updateVirtualMachine",
                path={"virtual_machine": machine["id"]},
                body={"group_id": group["id"]},
            )
            expect_status(reply, 200, "group_id is writable (move)", by="put-ok")
            moved = machines.read(machine["id"], group=group_name)
            expect(
                moved["group_id"] == group["id"],
                "Move not applied",
                f"Wanted group_id {group['id']}; got {moved.get('group_id')}.",
                by="partial-update",
            )
            problem = hostname_problem(
                moved, group_name, run.account_name, run.target.cluster_domain, run.url
            )
            if problem is not None and problem[0] == "prefix":
                expect(
                    False,
                    "Hostname does not follow a move",
                    problem[2],
                    rests_on="hostname-follows-move",
                    stop=False,
                )
        with step("3. delete the group holding the machine"):
            reply = bigv.api.call("deleteGroup", path={"group": group["id"]})
            expect_status(
                reply, 400, "a group holding machines cannot be deleted", by="failed-delete"
            )
            kept = bigv.api.call("getGroup", path={"group": group["id"]})
            expect_status(
                kept,
                200,
                "a group whose delete was refused is still there",
                by="groups-not-deleted-with-machines",
            )
        with step("4. move back"):
            reply = bigv.api.call(
                "updateVirtualMachine",
                path={"virtual_machine": machine["id"], "group": group_name},
                body={"group_id": run.group_id},
            )
            expect_status(reply, 200, "moving back", by="put-ok")
    finally:
        with step("5. delete the group"):
            machines.read(machine["id"])
            reply = bigv.api.call("deleteGroup", path={"group": group["id"]})
            expect_status(reply, 204, "an empty group can be deleted")


@scenario("7c3b9f04-hardware-profile-lock", "vm.update", provisions=[{"power_on": False}])
def test_hardware_profile_and_its_lock(bigv, machines):
    """
    1. Create a machine that is off (a profile change may wait for that: "power down first,
       or be prepared to handle a refusal").
    2. Set hardware_profile to another profile of /definitions and lock it.
    3. Both persist.
    """
    profiles = bigv.run.definitions.get("hardware_profiles", [])
    with step("1. create"):
        machine = machines.create(power_on=False)
    other = next((p for p in profiles if p != machine["hardware_profile"]), None)
    body = {"hardware_profile_locked": True} | ({"hardware_profile": other} if other else {})
    with step("2. set profile and lock"):
        reply = bigv.api.call(
            "updateVirtualMachine", path={"virtual_machine": machine["id"]}, body=body
        )
        expect_status(reply, 200, "hardware_profile and its lock are writable", by="put-ok")
    with step("3. read back"):
        read = machines.read(machine["id"])
        lost = {k: (v, read.get(k)) for k, v in body.items() if read_differs(v, read.get(k))}
        expect(
            not lost,
            "Hardware profile not persisted",
            f"Sent -> read back: {lost}.",
            by="partial-update",
        )
