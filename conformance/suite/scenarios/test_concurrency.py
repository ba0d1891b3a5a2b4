"""Concurrent creates: of one name exactly one succeeds; of different names, all do."""

import dataclasses
from concurrent.futures import ThreadPoolExecutor

from conformance.judging.verdict import expect, step
from conformance.run.api import Api
from conformance.run.provisioning import documented_attributes
from conformance.run.scenario import scenario
from conformance.target.client import new_session

ATTEMPTS = 6


def _create_all(bigv, names):
    """Create machines of the given names at once, each from its own connection."""

    attributes = documented_attributes(bigv.run.definitions)

    def create(name):
        run = dataclasses.replace(bigv.run, session=new_session(bigv.run.target))
        body = {**attributes, "name": name}
        return Api(run, bigv.api.schema).call("createVirtualMachine", body=body)

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(create, names))


@scenario("3c7a1f88-same-name-once", "vm.create")
def test_concurrent_creates_of_one_name_make_one_machine(bigv, machines):
    """
    1. Send six creates of the same name at once.
    2. Exactly one answers 202; the others are refused (the name is taken; the spec chose
       400).
    3. The group lists one machine of that name.
    """
    machines.need(1)
    name = machines.name()
    with step(f"1. {ATTEMPTS} creates of {name!r} at once"):
        replies = _create_all(bigv, [name] * ATTEMPTS)
    for reply in replies:
        if reply.status == 202:
            machines.track(machines.created_machine(reply))
    with step("2. exactly one accepted"):
        statuses = sorted(reply.status for reply in replies)
        refused = [s for s in statuses if 400 <= s < 500 and s not in (401, 404)]
        expect(
            statuses.count(202) == 1 and len(refused) == ATTEMPTS - 1,
            "Concurrent creates of one name did not make exactly one machine",
            f"Statuses: {statuses}; wanted one 202 and {ATTEMPTS - 1} refusals.",
        )
        expect(
            refused.count(400) == len(refused),
            f"A taken name is refused with {sorted(set(refused))}",
            f"Statuses: {statuses}; the spec refuses a taken name with 400.",
            rests_on="name-taken-status",
        )
    with step("3. one listed"):
        listing = bigv.api.call("listVirtualMachines", query={"include_deleted": True})
        count = sum(item.get("name") == name for item in listing.json)
        expect(count == 1, "Duplicate names in a group", f"{count} machines named {name!r}.")


@scenario("d5e0b3a1-different-names-all", "vm.concurrency")
def test_concurrent_creates_of_different_names_all_succeed(bigv, machines):
    """
    1. Send six creates of different names at once.
    2. All answer 202, with six different ids.
    """
    machines.need(ATTEMPTS)
    names = [machines.name() for _ in range(ATTEMPTS)]
    with step(f"1. {ATTEMPTS} creates at once"):
        replies = _create_all(bigv, names)
    for reply in replies:
        if reply.status == 202:
            machines.track(machines.created_machine(reply))
    with step("2. all accepted, distinct ids"):
        statuses = [reply.status for reply in replies]
        ids = {reply.json.get("id") for reply in replies if reply.status == 202}
        expect(
            len(ids) == statuses.count(202),
            "Concurrent creates answered the same id",
            f"Statuses {statuses}; distinct ids {sorted(ids)}.",
        )
        expect(
            statuses == [202] * ATTEMPTS,
            "Concurrent creates of different names did not all succeed",
            f"Statuses {statuses}; distinct ids {sorted(ids)}.",
            rests_on="concurrent-creates",
        )
