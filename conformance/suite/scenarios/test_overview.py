"""view=overview: machines with their discs and interfaces, groups with their machines, the
account with its groups (the official client's reads, with include_deleted=true)."""

from conformance.judging.verdict import expect, step
from conformance.run.scenario import expect_status, scenario

MACHINE_TYPE = "application/vnd.bigv.virtual-machine"


def _embeds(item, key, where):
    expect(
        isinstance(item.get(key), list),
        f"view=overview does not embed {key}",
        f"{where}: wanted a list under {key!r}; got keys {sorted(item)}.",
    )
    return item[key]


@scenario("2b6f8d14-overview-embeds", "vm.overview", provisions=[{}])
def test_overview_embeds_related_objects(bigv, machines):
    """
    1. Create a machine and add a disc to it.
    2. Read it with view=overview&include_deleted=true: discs (with the new one) and
       network_interfaces are embedded.
    3. The group's list with view=overview embeds them too.
    4. The group with view=overview embeds its machines, this one among them.
    5. The account with view=overview embeds its groups, with their machines.
    """
    overview = {"view": "overview", "include_deleted": True}
    with step("1. create, add a disc"):
        machine = machines.create()
        disc = bigv.api.call(
            "createDisc",
            path={"virtual_machine": machine["id"]},
            body={"label": "data", "storage_grade": "sata", "size": 20480},
        )
        expect_status(disc, 201, "a disc can be added", by="created")
    with step("2. the machine"):
        read = machines.read(machine["id"], **overview)
        labels = [item.get("label") for item in _embeds(read, "discs", "the machine")]
        expect("data" in labels, "Overview misses a disc", f"discs labelled {labels}.")
        _embeds(read, "network_interfaces", "the machine")
    with step("3. the group's list"):
        listing = bigv.api.call("listVirtualMachines", query=overview)
        expect_status(listing, 200, "the list with view=overview", by="get-ok")
        mine = next((item for item in listing.json if item.get("id") == machine["id"]), {})
        _embeds(mine, "discs", "the machine in the list")
    with step("4. the group"):
        group = bigv.api.call("getGroup", query=overview)
        expect_status(group, 200, "the group with view=overview", by="get-ok")
        ids = [item.get("id") for item in _embeds(group.json, "virtual_machines", "the group")]
        expect(machine["id"] in ids, "Group overview misses a machine", f"ids {ids}.")
    with step("5. the account"):
        account = bigv.api.call("getAccount", query=overview)
        expect_status(account, 200, "the account with view=overview", by="get-ok")
        groups = _embeds(account.json, "groups", "the account")
        found = [vm.get("id") for item in groups for vm in item.get("virtual_machines") or []]
        expect(machine["id"] in found, "Account overview misses a machine", f"ids {found}.")
