"""include_deleted=false: a deleted machine stays hidden unless the flag is true, whatever
else the flag says (the Python library sends `include_deleted=False`)."""

from conformance.judging.verdict import expect, step
from conformance.run.scenario import expect_status, scenario
from spec import lifecycle


@scenario("0f174bbd-include-deleted-false", "vm.delete", provisions=[{}])
def test_include_deleted_false_keeps_deleted_machines_hidden(bigv, machines):
    """
    1. Create a machine and DELETE it: 204.
    2. List the group with include_deleted=false: the machine is not listed (deleted machines
       are left out unless include_deleted=true).
    3. Read it with include_deleted=false: 404, as without the flag.
    """
    hidden_query = {"include_deleted": False}
    with step("1. create, delete"):
        machine = machines.create()
        reply = bigv.api.call("deleteVirtualMachine", path={"virtual_machine": machine["id"]})
        expect_status(reply, 204, "soft delete answers 204", by="soft-delete")
    with step("2. listed with include_deleted=false"):
        listing = bigv.api.call("listVirtualMachines", query=hidden_query)
        expect_status(listing, 200, "the list of the group", by="get-ok")
        listed = [item for item in listing.json if item.get("id") == machine["id"]]
        expect(
            not listed,
            "Deleted machine listed with include_deleted=false",
            f"Machine {machine['id']} is in the list with include_deleted=false: {listed}.",
            by="soft-delete",
            exchange=listing.exchange.as_dict(),
        )
    if lifecycle.hidden("getVirtualMachine", True, hidden_query):
        with step("3. read with include_deleted=false"):
            expect_status(
                machines.get(machine["id"], **hidden_query),
                404,
                "a deleted machine is hidden unless include_deleted=true",
                by="soft-delete",
            )
