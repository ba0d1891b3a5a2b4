"""Creating a machine: it is listed, readable every documented way, as asked, with its hostname."""

from conformance.scenario import expect_status, scenario
from conformance.verdict import expect, step
from spec import lifecycle


@scenario("8f0c2a61-create-listed-readable", "vm.create")
def test_created_machine_is_listed_and_readable(bigv, machines):
    """
    1. Create a machine with cores, memory and autoreboot_on given: 202 (here and now, not
       ahead: the newest machine of the group).
    2. Wait until provisioning is over (power_on as asked).
    3. It is in the group's list.
    4. It reads by id with the attributes asked for.
    """
    with step("1. create"):
        machine = machines.create(now=True, cores=2, memory=2048, autoreboot_on=False)
    with step("3. listed"):
        listing = bigv.api.call("listVirtualMachines")
        expect_status(listing, 200, "the list of the group")
        ids = [item.get("id") for item in listing.json]
        expect(
            machine["id"] in ids,
            "Created machine missing from the list",
            f"Machine {machine['id']} ({machine['name']}) is not among {ids}.",
            exchange=listing.exchange.as_dict(),
        )
    with step("4. read by id"):
        read = machines.read(machine["id"])
        asked = {"name": machine["name"], "cores": 2, "memory": 2048, "autoreboot_on": False}
        wrong = {key: read.get(key) for key, value in asked.items() if read.get(key) != value}
        expect(not wrong, "Machine not as created", f"Asked {asked}; read back {wrong}.")


@scenario("3b9e7d10-addressing-ids-names-default", "addressing", provisions=[{}])
def test_machine_reachable_through_every_account_and_group_form(bigv, machines):
    """
    1. Create a machine.
    2. Read the account and the group to learn their ids and names.
    3. Read the machine through the account's name and id, and the group's name, id and `default`.
    """
    with step("1. create"):
        machine = machines.create()
    with step("2. learn ids and names"):
        account = bigv.api.call("getAccount")
        group = bigv.api.call("getGroup")
        expect_status(account, 200, "the target's account is readable")
        expect_status(group, 200, "the target's group is readable")
    forms = {
        "account name": {"account": account.json["name"]},
        "account id": {"account": account.json["id"]},
        "group name": {"group": group.json["name"]},
        "group id": {"group": group.json["id"]},
    }
    if group.json["name"] == "default":
        forms["group default"] = {"group": "default"}
    for form, path in forms.items():
        with step(f"3. read through the {form}"):
            reply = bigv.api.call(
                "getVirtualMachine", path={"virtual_machine": machine["id"], **path}
            )
            expect_status(reply, 200, f"the machine is addressable by the {form}")


@scenario("c4d1a8e2-hostname-derived", "vm.hostname", provisions=[{}])
def test_hostname_is_name_group_account_domain(bigv, machines):
    """
    1. Create a machine.
    2. Its hostname is name.group.account.cluster-domain.
    3. Rename it: the hostname follows.
    """
    run = bigv.run
    with step("1. create"):
        machine = machines.create()
    with step("2. hostname"):
        wanted = lifecycle.hostname(
            machine["name"], run.group_name, run.account_name, run.target.cluster_domain
        )
        expect(
            machine["hostname"] == wanted,
            "Hostname is not name.group.account.cluster-domain",
            f"Machine {machine['id']}: wanted {wanted!r}, got {machine['hostname']!r}.",
        )
    with step("3. rename"):
        new_name = machines.name()
        reply = bigv.api.call(
            "updateVirtualMachine", path={"virtual_machine": machine["id"]}, body={"name": new_name}
        )
        expect_status(reply, 200, "renaming is a documented update")
        renamed = machines.read(machine["id"])
        wanted = lifecycle.hostname(
            new_name, run.group_name, run.account_name, run.target.cluster_domain
        )
        expect(
            renamed["hostname"] == wanted,
            "Hostname does not follow a rename",
            f"Machine {machine['id']} renamed to {new_name!r}: wanted {wanted!r}, got "
            f"{renamed['hostname']!r}.",
        )


@scenario("61d0e9b3-machine-by-name", "vm.by-name", provisions=[{"autoreboot_on": True}])
def test_machine_addressed_by_name(bigv, machines):
    """
    1. Create a machine.
    2. Read it by name: the same machine.
    3. Update it by name (autoreboot_on): 200, and the change reads back by id.
    """
    with step("1. create"):
        machine = machines.create(autoreboot_on=True)
    with step("2. read by name"):
        by_name = machines.read(machine["name"])
        expect(
            by_name["id"] == machine["id"],
            "Name addresses another machine",
            f"{machine['name']!r} is machine {machine['id']}; by name: {by_name['id']}.",
        )
    with step("3. update by name"):
        reply = bigv.api.call(
            "updateVirtualMachine",
            path={"virtual_machine": machine["name"]},
            body={"autoreboot_on": False},
        )
        expect_status(reply, 200, "a machine can be updated by name")
        expect(
            machines.read(machine["id"])["autoreboot_on"] is False,
            "Update by name not applied",
            f"PUT by name set autoreboot_on false on machine {machine['id']}; it reads true.",
        )
