"""The faults that break listing, reading, creating and updating machines (vm.list, vm.read,
vm.create, vm.update)."""

from __future__ import annotations

from tests.faults import faults as f
from tests.faults.entry import (
    CONTENT_TYPE,
    CREATE,
    CREATE_LISTED,
    GET,
    HOSTNAME,
    HW_PROFILE,
    LIST,
    PURGE,
    PUT,
    SAME_NAME,
    SCHEMA,
    STATUS,
    UPDATE_EACH,
    Entry,
    on,
    scenario,
    set_attribute,
    titled,
)

# A table written as code: one Entry a fault, alike by design (duplicates lists their shape).
OPERATIONS: list[Entry] = [
    Entry(
        f.ReshapeBody(
            "list-wrapped",
            'The list of a group is wrapped in an object: {"virtual_machines": [...]}.',
            "vm.list: the list is a JSON array",
            reshape=lambda body: {"virtual_machines": body},
            operations=frozenset({"listVirtualMachines"}),
        ),
        (on(LIST, SCHEMA),),
    ),
    Entry(
        f.ReshapeBody(
            "single-as-array",
            "A single machine is answered as a one-element array (as the 2013 page shows).",
            "vm.read: a single machine is an object",
            reshape=lambda body: [body],
            operations=frozenset({"getVirtualMachine"}),
        ),
        (on(GET, SCHEMA),),
    ),
    Entry(
        f.Restatus(
            "create-answers-201",
            "Creating a machine answers 201 Created instead of 202 Accepted.",
            "vm.create: creation answers 202",
            operations=frozenset({"createVirtualMachine"}),
            old=202,
            new=201,
        ),
        (on(CREATE, STATUS),),
    ),
    Entry(
        f.Restatus(
            "update-answers-204",
            "PUT answers 204 with no body instead of 200 and the updated machine.",
            "vm.update: PUT answers 200 with the machine",
            operations=frozenset({"updateVirtualMachine"}),
            old=200,
            new=204,
        ),
        (on(PUT, STATUS),),
    ),
    Entry(
        f.Retype(
            "json-as-text-plain",
            "Machines are answered with Content-Type text/plain (the body still JSON).",
            "vm.read, vm.list: responses are application/json",
            statuses=frozenset({200}),
            operations=frozenset({"getVirtualMachine", "listVirtualMachines"}),
        ),
        (on(GET, CONTENT_TYPE), on(LIST, CONTENT_TYPE)),
    ),
    Entry(
        f.Retype(
            "content-type-missing",
            "Machines are answered with no Content-Type header at all.",
            "vm.read, vm.create: responses are application/json",
            content_type=None,
        ),
        (on(GET, CONTENT_TYPE), on(LIST, CONTENT_TYPE), on(CREATE, CONTENT_TYPE)),
    ),
    Entry(
        f.LostUpdate(
            "lost-update",
            "PUT answers 200 with the values sent, but nothing is stored.",
            "vm.update: every attribute sent persists",
        ),
        (scenario(UPDATE_EACH), scenario(HW_PROFILE), scenario(HOSTNAME)),
    ),
    Entry(
        f.DropNewestFromList(
            "newest-missing-from-list",
            "The list of a group leaves out its newest machine.",
            "vm.list: every machine of the group is listed",
        ),
        (scenario(CREATE_LISTED),),
    ),
    Entry(
        f.DuplicateNames(
            "duplicate-names-allowed",
            "A second machine of a name already taken in the group is created (202).",
            "vm.create: names are unique in a group until purged",
        ),
        (scenario(PURGE), scenario(SAME_NAME)),
    ),
    Entry(
        f.MachineFields(
            "created-id-wrong",
            "Creating a machine answers an id that addresses no machine (off by 100000).",
            "vm.create: the id answered addresses the machine created",
            change=set_attribute(
                "id", lambda value: value + 100000 if isinstance(value, int) else value
            ),
            operations=frozenset({"createVirtualMachine", "createVirtualMachineSpec"}),
        ),
        (
            scenario(CREATE_LISTED),
            on(CREATE, "ensure_resource_availability"),
            # the first wait for the machine it answered: later scenarios are blocked by it
            titled("A machine reads 404 while waiting"),
        ),
        cost=2,
    ),
    Entry(
        f.ReadAnotherMachine(
            "read-answers-another-machine",
            "Reading a machine by id answers another machine of the group (the oldest).",
            "vm.read: a machine reads by its own id",
        ),
        (on(GET, "vm_read_by_id"), scenario(CREATE_LISTED), scenario(HOSTNAME)),
    ),
]
