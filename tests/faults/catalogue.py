"""The catalogue of faulty targets, and of harmless variations that must pass.

Every entry is a fault (or a harmless variation) put in front of a faithful emulator by the
fault-injecting proxy (`proxy.py`), a stable name, what it breaks (the capability of
`spec/bigv.openapi.yaml` and the rule), and what in the suite must catch it: one or more
`Catch`es, each naming a check and the operation or the scenario (by its stable id) where the
suite's report must show that check failing. Any one of them is enough; the detection table
shows every failure the run reported.

The entries are written in `tests/faults/capabilities/`, a module by the capability their
faults break, with `Entry`, `Catch` and the names they use (`tests/faults/entry.py`); this
module assembles them and is the one place to import them from.

Budgets: every run has the fixed seed 1 and the smallest budget measured to still catch its
fault, `--profile smoke` (two generated examples per operation, no coverage phase; every
scenario runs). An entry may ask for `max_examples` instead, or for the emulator to require
one-time passwords (`otp`). The suite's wait is 1 s: the emulator provisions at once, so a
right state is seen on the first poll and only a wrong one waits.
"""

from __future__ import annotations

from tests.faults.capabilities.actions import ACTIONS
from tests.faults.capabilities.attributes import ATTRIBUTES
from tests.faults.capabilities.auth import AUTH
from tests.faults.capabilities.deletion import DELETION
from tests.faults.capabilities.errors import ERRORS
from tests.faults.capabilities.harmless import HARMLESS
from tests.faults.capabilities.operations import OPERATIONS
from tests.faults.capabilities.robustness import ROBUSTNESS
from tests.faults.entry import (
    ACTION_400,
    ALL_VM,
    CONTENT_TYPE,
    CREATE,
    CREATE_400,
    CREATE_LISTED,
    DELETE,
    DELETE_UNDELETE,
    FOREIGN_HIDDEN,
    GET,
    HOSTNAME,
    HW_PROFILE,
    INCLUDE_DELETED_FALSE,
    LIST,
    NO_CREDENTIALS,
    NOT_FOUND,
    OTP_ENFORCED,
    POWER_PUT,
    PURGE,
    PUT,
    REIMAGE,
    REIMAGE_OFF,
    REIMAGE_RUNNING,
    SAME_NAME,
    SCHEMA,
    SERVER_ERROR,
    SHUTDOWN,
    SIGNAL,
    SIGNALS,
    STATUS,
    UPDATE_400,
    UPDATE_EACH,
    VM,
    VMS,
    # the names the tables are written with, re-exported: catalogue.py is the one import point
    WRONG_CONTENT_TYPE,
    WRONG_PASSWORD,
    Catch,
    Entry,
    drop_attribute,
    on,
    scenario,
    set_attribute,
    swap_group_and_account,
    titled,
)
from tests.faults.proxy import NO_FAULT

FAULTS: list[Entry] = ATTRIBUTES + OPERATIONS + DELETION + ACTIONS + ERRORS + AUTH + ROBUSTNESS

# The proxy with no fault at all: the baseline every fault is measured against.
CONTROLS: list[Entry] = [Entry(NO_FAULT)]

ENTRIES: list[Entry] = FAULTS + HARMLESS
BY_NAME: dict[str, Entry] = {entry.name: entry for entry in ENTRIES + CONTROLS}

__all__ = [
    "ACTIONS",
    "ACTION_400",
    "ALL_VM",
    "ATTRIBUTES",
    "AUTH",
    "BY_NAME",
    "CONTENT_TYPE",
    "CONTROLS",
    "CREATE",
    "CREATE_400",
    "CREATE_LISTED",
    "DELETE",
    "DELETE_UNDELETE",
    "DELETION",
    "ENTRIES",
    "ERRORS",
    "FAULTS",
    "FOREIGN_HIDDEN",
    "GET",
    "HARMLESS",
    "HOSTNAME",
    "HW_PROFILE",
    "INCLUDE_DELETED_FALSE",
    "LIST",
    "NOT_FOUND",
    "NO_CREDENTIALS",
    "OPERATIONS",
    "OTP_ENFORCED",
    "POWER_PUT",
    "PURGE",
    "PUT",
    "REIMAGE",
    "REIMAGE_OFF",
    "REIMAGE_RUNNING",
    "ROBUSTNESS",
    "SAME_NAME",
    "SCHEMA",
    "SERVER_ERROR",
    "SHUTDOWN",
    "SIGNAL",
    "SIGNALS",
    "STATUS",
    "UPDATE_400",
    "UPDATE_EACH",
    "VM",
    "VMS",
    "WRONG_CONTENT_TYPE",
    "WRONG_PASSWORD",
    "Catch",
    "Entry",
    "drop_attribute",
    "on",
    "scenario",
    "set_attribute",
    "swap_group_and_account",
    "titled",
]
