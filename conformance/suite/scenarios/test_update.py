"""Partial updates: every writable attribute persists; unknown ones are ignored; read-only
ones do not change; renames, moves and the hardware profile."""

import spec
from conformance.scenario import expect_status, scenario
from conformance.verdict import expect, step
from spec import lifecycle

API = spec.api()
UPDATE = API["components"]["schemas"]["VirtualMachineUpdate"]["properties"]
READ_ONLY = [
    name
    for name, schema in API["components"]["schemas"]["VirtualMachine"]["properties"].items()
    if schema.get("readOnly") and name in API["components"]["schemas"]["VirtualMachine"]["required"]
]


def _new_value(bigv, machine, name, schema):
    """A valid value for a writable attribute that differs from the machine's."""
    definitions = bigv.run.definitions
    current = machine.get(name)
    section = API["x-definition-formats"].get(schema.get("format", ""))
    if section:
        return next((value for value in definitions.get(section, []) if value != current), None)
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "boolean" in kinds:
        return not current
    if "integer" in kinds:
        return (current or 1) + 1
    if "string" in kinds:
        return "http://example.com/conformance.iso"
    return None


@scenario("5a7f3c22-update-each-writable", "vm.update", provisions=[{"power_on": False}])
def test_each_writable_attribute_persists(bigv, machines):
    """
    1. Create a machine that is off (so no power rule applies).
    2. For each writable attribute the tables do not decide (power_on, deleted), PUT a new
       value: 200, and the answer carries it.
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
            expect_status(reply, 200, f"{name} is writable")
            sent[name] = value
    with step("3. read back"):
        read = machines.read(machine["id"])
        lost = {
            name: (value, read.get(name)) for name, value in sent.items() if read.get(name) != value
        }
        expect(not lost, "Update lost", f"Sent -> read back: {lost}.")


@scenario("9d2e4b11-update-unknown-readonly", "vm.update", provisions=[{}])
def test_unknown_ignored_and_read_only_unchanged(bigv, machines):
    """
    1. Create a machine.
    2. PUT an unknown attribute: 200. PUT read-only attributes with other values: 200 or 400.
    3. The unknown attribute does not appear; the read-only attributes are unchanged.
    4. An empty PUT `{}` answers 200 and changes nothing.
    """
    with step("1. create"):
        machine = machines.create()
    with step("2a. PUT an unknown attribute"):
        reply = bigv.api.call(
            "updateVirtualMachine",
            path={"virtual_machine": machine["id"]},
            body={"no_such_attribute": "x"},
        )
        expect_status(reply, 200, "unknown attributes are silently discarded")
    bogus = {"id": machine["id"] + 100000, "hostname": "evil.example", "head": "head999"}
    bogus |= {"management_address": "198.51.100.77"}
    with step("2b. PUT read-only attributes"):
        reply = bigv.api.call(
            "updateVirtualMachine", path={"virtual_machine": machine["id"]}, body=bogus
        )
        expect_status(reply, (200, 400), "read-only attributes are ignored or refused")
    with step("3. read back"):
        read = machines.read(machine["id"])
        expect("no_such_attribute" not in read, "Unknown attribute stored", f"Read back {read}.")
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
        expect_status(reply, 200, "an empty update is valid (the official client sends it)")


@scenario("e1f05a9c-move-between-groups", "vm.update", provisions=[{}])
def test_move_to_another_group_and_back(bigv, machines):
    """
    1. Create a group (prefixed) and a machine.
    2. PUT group_id of the new group: 200; the machine reads there, hostname with the new group.
    3. Move it back.
    4. Delete the new group.
    """
    run = bigv.run
    with step("1. create"):
        group_name = bigv.names.fresh("g")
        group = bigv.api.call("createGroup", body={"name": group_name})
        expect_status(group, 201, "creating a group")
        bigv.ledger.add("group", group.json["id"], name=group_name)
        machine = machines.create()
    try:
        with step("2. move"):
            reply = bigv.api.call(
                "updateVirtualMachine",
                path={"virtual_machine": machine["id"]},
                body={"group_id": group.json["id"]},
            )
            expect_status(reply, 200, "group_id is writable (move)")
            moved = machines.read(machine["id"], group=group_name)
            wanted = lifecycle.hostname(
                machine["name"], group_name, run.account_name, run.target.cluster_domain
            )
            expect(
                moved["group_id"] == group.json["id"] and moved["hostname"] == wanted,
                "Move not applied",
                f"Wanted group_id {group.json['id']} and hostname {wanted!r}; got "
                f"{moved['group_id']} and {moved['hostname']!r}.",
            )
        with step("3. move back"):
            reply = bigv.api.call(
                "updateVirtualMachine",
                path={"virtual_machine": machine["id"], "group": group_name},
                body={"group_id": run.group_id},
            )
            expect_status(reply, 200, "moving back")
    finally:
        with step("4. delete the group"):
            machines.read(machine["id"])
            reply = bigv.api.call("deleteGroup", path={"group": group.json["id"]})
            expect_status(reply, 204, "an empty group can be deleted")


@scenario("7c3b9f04-hardware-profile-lock", "vm.update", provisions=[{}])
def test_hardware_profile_and_its_lock(bigv, machines):
    """
    1. Create a machine.
    2. Set hardware_profile to another profile of /definitions and lock it.
    3. Both persist.
    """
    profiles = bigv.run.definitions.get("hardware_profiles", [])
    with step("1. create"):
        machine = machines.create()
    other = next((p for p in profiles if p != machine["hardware_profile"]), None)
    body = {"hardware_profile_locked": True} | ({"hardware_profile": other} if other else {})
    with step("2. set profile and lock"):
        reply = bigv.api.call(
            "updateVirtualMachine", path={"virtual_machine": machine["id"]}, body=body
        )
        expect_status(reply, 200, "hardware_profile and its lock are writable")
    with step("3. read back"):
        read = machines.read(machine["id"])
        lost = {k: (v, read.get(k)) for k, v in body.items() if read.get(k) != v}
        expect(not lost, "Hardware profile not persisted", f"Sent -> read back: {lost}.")
