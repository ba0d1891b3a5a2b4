"""Creating a machine: it is listed, readable every documented way, as asked, with its
hostname; and what a create that sends the name alone gives."""

import spec
from conformance.judging.checks import hostname_problem
from conformance.judging.predictions import lifecycle
from conformance.judging.verdict import expect, note, step
from conformance.run.provisioning import documented_attributes
from conformance.run.scenario import DOCUMENTED_ATTRIBUTES, expect_status, read_differs, scenario

API = spec.api()


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
        expect_status(listing, 200, "the list of the group", by="get-ok")
        ids = [item.get("id") for item in listing.json]
        expect(
            machine["id"] in ids,
            "Created machine missing from the list",
            f"Machine {machine['id']} ({machine['name']}) is not among {ids}.",
            by="vm-list",
            exchange=listing.exchange.as_dict(),
        )
        ids = [i for i in ids if isinstance(i, int)]
        if ids != sorted(ids):
            note(
                "ids-and-order",
                "The list is not in ascending id order",
                f"The group's list answers ids in the order {ids}.",
                exchange=listing.exchange.as_dict(),
            )
    with step("4. read by id"):
        read = machines.read(machine["id"])
        asked = {"name": machine["name"], "cores": 2, "memory": 2048, "autoreboot_on": False}
        wrong = {
            key: read.get(key) for key, value in asked.items() if read_differs(value, read.get(key))
        }
        expect(
            not wrong,
            "Machine not as created",
            f"Asked {asked}; read back {wrong}.",
            by="create-settable",
        )
        _note_attributes(bigv, read)


def _note_attributes(bigv, machine):
    """Note attributes beyond the spec's, and a zone not among the target's zone_names."""
    extra = sorted(set(machine) - set(DOCUMENTED_ATTRIBUTES))
    if extra:
        note(
            "extra-fields",
            f"Machines carry attributes beyond the spec's: {', '.join(extra)}",
            f"Machine {machine.get('id')} also has {extra}.",
        )
    zones = bigv.run.definitions.get(API["x-definition-formats"]["bigv-zone-name"])
    zone = machine.get("zone_name")
    if zone is not None and zones and zone not in zones:
        note(
            "zone-name-values",
            f"zone_name {zone!r} is not among /definitions zone_names",
            f"Machine {machine.get('id')} has zone_name {zone!r}; /definitions lists {zones}.",
        )


@scenario("a1c5e7d3-create-name-alone", "vm.create")
def test_create_with_the_name_alone(bigv, machines):
    """
    1. Create a machine sending only its name (the documented minimum: name can't be
       blank): 202; or a refusal naming the attributes this target requires (noted), and
       then a create with those too, as the documentation's example gives them.
    2. Once provisioned, the attributes not sent are what the spec gives by default (on,
       autoreboot on); other defaults are noted.
    """
    rules = spec.rules()["create"]
    machines.need(1)
    body = {"name": machines.name()}
    with step("1. create with the name alone"):
        reply = machines.send_create(body)
        if reply.status == 400 and isinstance(reply.json, dict):
            expect(
                "name" not in reply.json,
                "A create with a valid name is refused for its name",
                f"{body['name']!r} is a new, valid name; the refusal says {reply.json}.",
                exchange=reply.exchange.as_dict(),
            )
            note(
                "create-required-attributes",
                f"A create must also send {', '.join(sorted(reply.json))}",
                f"POST with only a name answered 400 {reply.json}.",
                exchange=reply.exchange.as_dict(),
            )
            documented = documented_attributes(bigv.run.definitions)
            body |= {key: documented[key] for key in reply.json if key in documented}
            reply = machines.send_create(body)
        expect_status(
            reply, 202, "a create of a new name (and what the target requires) is accepted"
        )
        created = machines.created_machine(reply)
    with step("2. provisioned, as asked by default"):
        wanted = lifecycle.create({}).pending
        machine = machines.wait_for(
            created["id"], "provisioning to finish", rests_on="create-defaults", **wanted
        )
        defaults = {k: v for k, v in rules["request_defaults"].items() if k not in body}
        differs = {k: machine.get(k) for k, v in defaults.items() if machine.get(k) != v}
        if differs:
            note(
                "create-defaults",
                f"A create that does not say gives {differs}",
                f"Machine {created['id']} was created with its name alone; the spec's defaults "
                f"are {defaults}.",
            )


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
        expect_status(account, 200, "the target's account is readable", by="get-ok")
        expect_status(group, 200, "the target's group is readable", by="get-ok")
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
            expect_status(reply, 200, f"the machine is addressable by the {form}", by="addressing")


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
        expect_hostname(run, machine, run.group_name)
    with step("3. rename"):
        new_name = machines.name()
        reply = bigv.api.call(
            "updateVirtualMachine", path={"virtual_machine": machine["id"]}, body={"name": new_name}
        )
        expect_status(reply, 200, "renaming is a documented update", by="put-ok")
        renamed = machines.read(machine["id"])
        expect(
            renamed.get("name") == new_name,
            "Rename not applied",
            f"PUT name={new_name!r} answered 200; the machine reads {renamed.get('name')!r}.",
            by="partial-update",
            stop=False,
        )
        expect_hostname(
            run,
            renamed,
            run.group_name,
            "Hostname does not follow a rename",
            by="hostname-follows-rename",
        )


def expect_hostname(run, machine, group, title=None, rests_on=None, by="hostname"):
    """The machine's hostname is name.group.account.<domain>: the prefix as the documentation
    states (`by`; or as `rests_on` says); a domain other than the one expected, when none was
    given with --cluster-domain, is noted (register cluster-domain)."""
    problem = hostname_problem(machine, group, run.account_name, run.target.cluster_domain, run.url)
    if problem is None:
        return
    part, found_title, message = problem
    if part == "domain":
        note("cluster-domain", found_title, message)
    else:
        expect(False, title or found_title, message, by=None if rests_on else by, rests_on=rests_on)


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
