"""Concurrent creates: of one name exactly one succeeds; of different names, all do."""

import dataclasses
from concurrent.futures import ThreadPoolExecutor

from conformance.api import Api
from conformance.client import new_session
from conformance.scenario import scenario
from conformance.verdict import expect, step

ATTEMPTS = 6


def _create_all(bigv, names):
    """Create machines of the given names at once, each from its own connection."""

    def create(name):
        run = dataclasses.replace(bigv.run, session=new_session(bigv.run.target))
        return Api(run, bigv.api.schema).call("createVirtualMachine", body={"name": name})

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(create, names))


@scenario("3c7a1f88-same-name-once", "vm.create")
def test_concurrent_creates_of_one_name_make_one_machine(bigv, machines):
    """
    1. Send six creates of the same name at once.
    2. Exactly one answers 202; the others 400 (the name is taken).
    3. The group lists one machine of that name.
    """
    machines.need(1)
    name = machines.name()
    with step(f"1. {ATTEMPTS} creates of {name!r} at once"):
        replies = _create_all(bigv, [name] * ATTEMPTS)
    for reply in replies:
        if reply.status == 202:
            machines.track(reply.json)
    with step("2. exactly one accepted"):
        statuses = sorted(reply.status for reply in replies)
        expect(
            statuses.count(202) == 1 and statuses.count(400) == ATTEMPTS - 1,
            "Concurrent creates of one name did not make exactly one machine",
            f"Statuses: {statuses}; wanted one 202 and {ATTEMPTS - 1} x 400.",
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
            machines.track(reply.json)
    with step("2. all accepted, distinct ids"):
        statuses = [reply.status for reply in replies]
        ids = {reply.json.get("id") for reply in replies if reply.status == 202}
        expect(
            statuses == [202] * ATTEMPTS and len(ids) == ATTEMPTS,
            "Concurrent creates of different names did not all succeed",
            f"Statuses {statuses}; distinct ids {sorted(ids)}.",
        )
