"""The faults that break deleting, undeleting and purging machines (vm.delete)."""

from __future__ import annotations

from tests.faults import faults as f
from tests.faults.entry import (
    DELETE,
    DELETE_UNDELETE,
    INCLUDE_DELETED_FALSE,
    PURGE,
    STATUS,
    Entry,
    on,
    scenario,
)

# A table written as code: one Entry a fault, alike by design (duplicates lists their shape).
DELETION: list[Entry] = [
    Entry(
        f.Restatus(
            "delete-answers-200",
            "DELETE answers 200 with a JSON body instead of 204 No Content.",
            "vm.delete: delete answers 204",
            operations=frozenset({"deleteVirtualMachine"}),
            old=204,
            new=200,
            body={"deleted": True},
        ),
        (on(DELETE, STATUS),),
    ),
    Entry(
        f.SwallowAction(
            "delete-does-nothing",
            "DELETE (without purge) answers 204 but the machine is not deleted.",
            "vm.delete: a deleted machine is hidden and marked deleted",
            operation="deleteVirtualMachine",
            allowed=lambda machine, request: not f.purging(request),
        ),
        (scenario(DELETE_UNDELETE),),
    ),
    Entry(
        f.StripFromRequest(
            "deleted-still-listed",
            "The list of a group includes deleted machines without include_deleted=true.",
            "vm.delete, vm.list: deleted machines are hidden unless include_deleted=true",
            operation="listVirtualMachines",
            add_query=(("include_deleted", "true"),),
        ),
        (scenario(DELETE_UNDELETE),),
    ),
    Entry(
        f.StripFromRequest(
            "include-deleted-false-read-as-true",
            "include_deleted=false is read as include_deleted=true: deleted machines are listed.",
            "vm.delete, vm.list: deleted machines are hidden unless include_deleted=true",
            operation="listVirtualMachines",
            add_query=(("include_deleted", "true"),),
            when=f.include_deleted_false,
        ),
        (scenario(INCLUDE_DELETED_FALSE),),
    ),
    Entry(
        f.StripFromRequest(
            "deleted-still-readable",
            "A deleted machine reads 200 by id without include_deleted=true.",
            "vm.delete, vm.read: a deleted machine answers 404 unless include_deleted=true",
            operation="getVirtualMachine",
            add_query=(("include_deleted", "true"),),
        ),
        (scenario(DELETE_UNDELETE),),
    ),
    Entry(
        f.StripFromRequest(
            "purge-ignored",
            "DELETE ?purge=true only soft-deletes: the machine and its name stay.",
            "vm.delete: purge removes the machine and frees its name",
            operation="deleteVirtualMachine",
            query=("purge",),
            when=f.purging,
        ),
        (scenario(PURGE),),
    ),
    Entry(
        f.StripFromRequest(
            "undelete-broken",
            "PUT deleted=false answers 200 but the machine stays deleted.",
            "vm.delete: PUT deleted=false undeletes",
            operation="updateVirtualMachine",
            attributes=("deleted",),
        ),
        (scenario(DELETE_UNDELETE),),
    ),
]
