"""The emulator's records: accounts, groups, machines, discs, interfaces and access, as plain
frozen data (the store keeps them, the model applies the rules to them, rendering turns them
into JSON bodies)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    suspended: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    account_id: int
    name: str


@dataclass(frozen=True, slots=True)
class VirtualMachine:
    """A machine as stored. `pending` is what happens when provisioning is over."""

    id: int
    group_id: int
    name: str
    cores: int
    memory: int
    power_on: bool
    autoreboot_on: bool
    cdrom_url: str | None
    keymap: str | None
    hardware_profile: str
    hardware_profile_locked: bool
    zone_name: str
    deleted: bool
    management_address: str
    last_imaged_with: str | None = None
    provisioning_until: float | None = None
    pending: dict[str, Any] | None = None
    # Kept for the divergent mode (emulator/divergent.py); unseen otherwise.
    deleted_at: float | None = None  # when it was soft-deleted (undelete-window)
    ran: bool = False  # it has been on (head-follows-power)
    fixed_hostname: str | None = None  # the hostname a move kept (hostname-follows-move)
    powering_down_until: float | None = None  # when a powerdown is over (powerdown-duration)


# The attributes the rules of rules.yaml read and write.
# The record's attribute table (§4.1); tests/cleanroom lists it again on purpose (it shares
# nothing with the emulator).
STATE_FIELDS = (
    "name",
    "group_id",
    "cores",
    "memory",
    "power_on",
    "autoreboot_on",
    "cdrom_url",
    "keymap",
    "hardware_profile",
    "hardware_profile_locked",
    "zone_name",
    "deleted",
)


@dataclass(frozen=True, slots=True)
class Disc:
    id: int
    virtual_machine_id: int
    label: str
    size: int
    storage_grade: str
    iops_limit: int | None = None


@dataclass(frozen=True, slots=True)
class NetworkInterface:
    id: int
    virtual_machine_id: int


@dataclass(frozen=True, slots=True)
class Access:
    """What a user may do with one account."""

    account_id: int
    can_write: bool


def state_of(vm: VirtualMachine) -> dict[str, Any]:
    return {name: getattr(vm, name) for name in STATE_FIELDS}
