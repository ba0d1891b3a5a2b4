"""The faults that break a machine's attributes (vm.attributes) and its hostname (vm.hostname)."""

from __future__ import annotations

from tests.faults import faults as f
from tests.faults.entry import (
    CREATE,
    GET,
    HOSTNAME,
    LIST,
    PUT,
    SCHEMA,
    Entry,
    drop_attribute,
    on,
    scenario,
    set_attribute,
    swap_group_and_account,
)

# A table written as code: one Entry a fault, alike by design (duplicates lists their shape).
ATTRIBUTES: list[Entry] = [
    Entry(
        f.MachineFields(
            "cores-as-string",
            'Every machine answers cores as a string ("2"), not an integer.',
            "vm.attributes: cores is an integer",
            change=set_attribute("cores", str),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA)),
    ),
    Entry(
        f.MachineFields(
            "power-on-as-number",
            "Every machine answers power_on as 1 or 0, not a boolean.",
            "vm.attributes: power_on is a boolean",
            change=set_attribute("power_on", lambda value: int(bool(value))),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA)),
    ),
    Entry(
        f.MachineFields(
            "hostname-missing",
            "Machines are answered without their hostname attribute.",
            "vm.attributes: hostname is required",
            change=drop_attribute("hostname"),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA)),
    ),
    Entry(
        f.MachineFields(
            "memory-null",
            "Machines are answered with memory null.",
            "vm.attributes: memory is an integer, never null",
            change=set_attribute("memory", None),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA)),
    ),
    Entry(
        f.MachineFields(
            "id-as-string",
            'Machines are answered with their id as a string ("17").',
            "vm.attributes: id is an integer",
            change=set_attribute("id", str),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA), on(CREATE, SCHEMA)),
    ),
    Entry(
        f.MachineFields(
            "hostname-wrong-order",
            "Hostnames are name.account.group.domain instead of name.group.account.domain.",
            "vm.hostname: hostname is name.group.account.cluster-domain",
            change=set_attribute("hostname", swap_group_and_account),
        ),
        (
            on(GET, "vm_hostname_derivation"),
            on(CREATE, "vm_hostname_derivation"),
            scenario(HOSTNAME),
        ),
    ),
    Entry(
        f.StaleHostname(
            "hostname-stale-after-rename",
            "A renamed machine keeps the hostname of its first name.",
            "vm.hostname: the hostname follows renames",
        ),
        (scenario(HOSTNAME), on(PUT, "vm_hostname_derivation")),
    ),
]
