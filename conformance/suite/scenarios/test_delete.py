"""Soft delete, include_deleted, undelete, purge, and names taken until the purge."""

from conformance.judging.predictions import lifecycle
from conformance.judging.verdict import expect, step
from conformance.run.provisioning import documented_attributes
from conformance.run.scenario import expect_refused, expect_status, scenario


def _listed(bigv, machine_id, **query):
    reply = bigv.api.call("listVirtualMachines", query=query or None)
    expect_status(reply, 200, "the list of the group", by="get-ok")
    return next((item for item in reply.json if item.get("id") == machine_id), None), reply


@scenario("4e2a9b73-delete-undelete", "vm.delete", provisions=[{}])
def test_delete_hides_and_undelete_restores(bigv, machines):
    """
    1. Create a machine.
    2. DELETE it: 204.
    3. It is gone from the list and reads 404 by id; a signal to it answers 404 too (our
       inference: it is taken down and out of reach).
    4. With include_deleted=true it is listed and read, deleted and off.
    5. PUT deleted=false: it is back in the list, not deleted.
    """
    with step("1. create"):
        machine = machines.create()
    with step("2. delete"):
        reply = bigv.api.call("deleteVirtualMachine", path={"virtual_machine": machine["id"]})
        expect_status(reply, 204, "soft delete answers 204", by="soft-delete")
    with step("3. hidden"):
        found, listing = _listed(bigv, machine["id"])
        expect(
            (found is None) == lifecycle.hidden("listVirtualMachines", True, {}),
            "Deleted machine still listed",
            f"Machine {machine['id']} is in the list without include_deleted.",
            by="soft-delete",
            exchange=listing.exchange.as_dict(),
        )
        if lifecycle.hidden("getVirtualMachine", True, {}):
            expect_status(
                machines.get(machine["id"]), 404, "a deleted machine is hidden", by="soft-delete"
            )
        if lifecycle.hidden("signalVirtualMachine", True, {}):
            reply = bigv.api.call(
                "signalVirtualMachine",
                path={"virtual_machine": machine["id"]},
                body={"signal": "reset"},
            )
            expect_status(
                reply,
                404,
                "a deleted machine is out of reach of signals",
                rests_on="deleted-out-of-reach",
                stop=False,
            )
    with step("4. include_deleted"):
        found, listing = _listed(bigv, machine["id"], include_deleted=True)
        # steps 4 and 5 read the list alike, each for the state its rule predicts
        wanted = lifecycle.apply("deleteVirtualMachine", machine, {}).changes
        expect(
            found is not None and all(found.get(k) == v for k, v in wanted.items()),
            "Deleted machine not listed as deleted with include_deleted=true",
            f"Machine {machine['id']}: wanted {wanted}, found {found}.",
            by="soft-delete",
            exchange=listing.exchange.as_dict(),
        )
        deleted = machines.read(machine["id"], include_deleted=True)
    with step("5. undelete"):
        undelete = {"deleted": False}
        wanted = lifecycle.apply("updateVirtualMachine", deleted, undelete).changes
        reply = bigv.api.call(
            "updateVirtualMachine", path={"virtual_machine": machine["id"]}, body=undelete
        )
        expect_status(reply, 200, "PUT deleted=false undeletes", by="soft-delete")
        found, listing = _listed(bigv, machine["id"])
        expect(
            found is not None and all(found.get(k) == v for k, v in wanted.items()),
            "Undelete did not restore the machine",
            f"Machine {machine['id']} after undelete: {found}.",
            by="soft-delete",
            exchange=listing.exchange.as_dict(),
        )


@scenario("b8d61f2e-purge-frees-name", "vm.delete", provisions=[{}])
def test_name_taken_until_purge(bigv, machines):
    """
    1. Create a machine and DELETE it (soft).
    2. Creating another machine of the same name is refused (the spec chose 400).
    3. DELETE with purge=true: 204; then it reads 404 even with include_deleted.
    4. The name is free: a new machine of that name is created (202).
    """
    with step("1. create and delete"):
        machine = machines.create()
        reply = bigv.api.call("deleteVirtualMachine", path={"virtual_machine": machine["id"]})
        expect_status(reply, 204, "soft delete answers 204", by="soft-delete")
    again = {**documented_attributes(bigv.run.definitions), "name": machine["name"]}
    # what this scenario proves of rules.yaml's create table beyond the lifecycle's outcomes
    lifecycle.judged_by("create/names_unique_in", "create/name_freed_by")
    with step("2. name still taken"):
        reply = machines.send_create(again)
        expect_refused(
            reply,
            "a deleted machine keeps its name until it is purged",
            preferred=400,
            rests_on="name-taken-status",
            by="purge",
        )
    with step("3. purge"):
        purge = {"purge": True}
        reply = bigv.api.call(
            "deleteVirtualMachine", path={"virtual_machine": machine["id"]}, query=purge
        )
        expect_status(reply, 204, "purge answers 204", by="purge")
        if lifecycle.apply("deleteVirtualMachine", machine, purge).purged:
            expect_status(
                machines.get(machine["id"], include_deleted=True),
                404,
                "a purged machine is gone",
                by="purge",
            )
    with step("4. name free again"):
        reply = machines.send_create(again)
        expect_status(reply, 202, "a purged machine's name can be used again", by="purge")
