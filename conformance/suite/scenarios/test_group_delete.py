"""Deleting a group that holds only deleted machines: refused until they are purged (our
inference, register group-delete-with-deleted-machines); once they are, the empty group goes."""

from conformance.judging.verdict import step
from conformance.run.scenario import expect_status, new_group, scenario

RESTS_ON = "group-delete-with-deleted-machines"


@scenario("5e2a9c47-group-with-deleted-machines", "groups")
def test_a_group_holding_only_deleted_machines_is_kept_until_they_are_purged(bigv, machines):
    """
    1. Create a group (prefixed) and a machine in it; DELETE the machine (not purged): 204.
    2. DELETE the group: refused (400), as while the machine lived: a deleted machine can
       still be undeleted into its group (our inference; a target may purge it instead).
    3. Purge the machine, then DELETE the group: 204.
    """
    with step("1. create, delete the machine"):
        name, group = new_group(bigv, "there is no group to delete")
        machine = machines.create(group=name)
        path = {"group": name, "virtual_machine": machine["id"]}
        reply = bigv.api.call("deleteVirtualMachine", path=path)
        expect_status(reply, 204, "soft delete answers 204", by="soft-delete")
    with step("2. delete the group"):
        reply = bigv.api.call("deleteGroup", path={"group": group["id"]})
        expect_status(
            reply, 400, "the group still holds a machine that can be undeleted", rests_on=RESTS_ON
        )
    with step("3. purge the machine, delete the group"):
        reply = bigv.api.call("deleteVirtualMachine", path=path, query={"purge": True})
        expect_status(reply, 204, "purge answers 204", by="purge")
        reply = bigv.api.call("deleteGroup", path={"group": group["id"]})
        expect_status(reply, 204, "an empty group can be deleted")
