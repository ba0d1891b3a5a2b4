"""The pure core: virtual machines and their relatives as plain data, the rules applied to them.

No HTTP, no SQL, no clock reads (`now` is always passed in). What a request does to a
machine is decided by the tables of `spec/rules.yaml`, through `spec.lifecycle` (the one
reader of those tables, shared with the suite); this module applies the outcomes to
machines. Valid values come from the spec's definitions table. What the public record leaves
open is decided here, as named policies (the constants below).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import spec
from emulator import divergent
from emulator.divergent import NO_DIVERGENCE, Divergence
from emulator.errors import RequestRefused, ServerFault, ValidationFailed
from emulator.records import (
    STATE_FIELDS,
    Access,
    Disc,
    Group,
    VirtualMachine,
    state_of,
)
from emulator.rendering import Rendering
from spec import lifecycle

# --- Emulator policies (the record leaves these open) -----------------------------------
# Integers above this are refused ("is too large"), so no value overflows SQLite or clients
# with 32-bit integers.
MAX_INTEGER = 2**31 - 1
# Attributes of a new machine that the request leaves out (power_on: rules.yaml decides).
VM_DEFAULTS: dict[str, Any] = {
    "cores": 1,
    "memory": 1024,  # MiB
    "autoreboot_on": True,
    "cdrom_url": None,
    "keymap": None,
    "hardware_profile": "virtio2013",  # the documentation's example
    "hardware_profile_locked": False,
    "zone_name": "manchester",  # uk0, the first cluster, is in Manchester
}
HEAD_COUNT = 16  # a running machine is on one of head1..head16 (by id)
DISC_STORAGE_GRADE = "sata"  # default storage grade (bigv-api.md section 5.1)
DISC_MAX_SIZE = 2 * 1024 * 1024  # MiB: 2 TiB per disc (bigv-api.md section 6)
DISCS_PER_VM = 8  # bigv-api.md section 6
DEVICE_LIKE_LABEL = re.compile(r"^[vsh]d[a-z]+$")  # vda, sda, hda and successors are refused
SESSION_LIFETIME = 300.0  # seconds; each use extends a session by as much
DEFAULT_GROUP = "default"  # every account has it and keeps it (bigv-api.md section 8)

# Privilege levels (bigv-api.md section 6), reduced to what the emulator enforces:
# (sees every account, may change what it sees).
PRIVILEGE_LEVELS: dict[str, tuple[bool, bool]] = {
    "cluster_su": (True, True),
    "cluster_admin": (True, True),
    "account_admin": (False, True),
    "vm_console": (False, False),  # sees the account, changes nothing (403)
}

TRUE_TEXT = "true"  # how a query flag says yes, compared without regard to case

# Rails-style messages (bigv-api.md section 7).
TAKEN = "has already been taken"
NOT_IN_LIST = "is not included in the list"
MUST_EXIST = "must exist"

SENDKEYS_FORMAT = "bigv-sendkeys"  # `data` of a sendkey: definitions keys and the examples' keys
SIGNAL = "signalVirtualMachine"  # whose request examples add key names
REACHED_WHEN_DELETED = ("reimageVirtualMachine", SIGNAL)  # deleted-out-of-reach


class Model(Rendering):
    """The rules, the definitions and the emulator's policies, applied to plain data.

    `divergence` turns on the divergent behaviours of `emulator/divergent.py` that belong to
    the pure core (none by default: the reference emulator).
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        cluster_domain: str,
        provision_delay: float = 0.0,
        divergence: Divergence = NO_DIVERGENCE,
    ) -> None:
        self.cluster_domain = cluster_domain
        self.provision_delay = provision_delay
        self.divergence = divergence
        self.definitions: dict[str, Any] = spec.definitions_table(dict(document))
        self.definition_formats: dict[str, str] = dict(document["x-definition-formats"])
        self._allowed = {
            name: frozenset(self.definitions[section])
            for name, section in self.definition_formats.items()
        }
        if not divergence.on("sendkey-key-names"):  # the spec's examples' key names too (del)
            self._allowed[SENDKEYS_FORMAT] |= example_sendkeys(document)
        for attribute in ("hardware_profile", "zone_name"):
            if VM_DEFAULTS[attribute] not in self.definitions[f"{attribute}s"]:
                raise ValueError(f"default {attribute} is not in the definitions table")
        self.vm_defaults = dict(VM_DEFAULTS)
        if divergence.on("create-defaults"):
            self.vm_defaults.update(divergent.VM_DEFAULTS)
        if divergence.on("zone-name-values"):
            self.vm_defaults["zone_name"] = divergent.DEFAULT_ZONE
        self._device_like = (
            divergent.DEVICE_LIKE_LABEL
            if divergence.on("disc-device-labels")
            else DEVICE_LIKE_LABEL
        )
        rules = spec.rules()
        self._provisioning = lifecycle.provisioning_state()
        self._controlled = {op: lifecycle.controlled_attributes(op) for op in rules["operations"]}
        self._refusal_status = lifecycle.refusal_status()
        # The query flags the rules read (include_deleted, purge) are text in the spec.
        self._query_flags = {rules["hidden"]["deleted_unless_query"]}
        self._query_flags |= lifecycle.controlled_attributes("deleteVirtualMachine")

    # --- semantic validation ------------------------------------------------------------
    def definition_value_ok(self, format_name: str, value: Any) -> bool:
        """Whether `value` is valid for a `bigv-*` string format (True for other formats)."""
        allowed = self._allowed.get(format_name)
        if allowed is None or not isinstance(value, str):
            return True
        if format_name == SENDKEYS_FORMAT:
            return all(key in allowed for key in value.split("-"))
        return value in allowed

    def query(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """The query as the rules read it: a flag is true when it reads `true` in any case
        (the Python client sends `True`); any other value counts as false (spec)."""
        return {
            key: str(value).lower() == TRUE_TEXT if key in self._query_flags else value
            for key, value in query.items()
        }

    def name_taken(self) -> ValidationFailed:
        """A machine's or group's name still taken: 400 (409: name-taken-status)."""
        error = ValidationFailed.one("name", TAKEN)
        if self.divergence.on("name-taken-status"):
            error.status = divergent.NAME_TAKEN_STATUS
        return error

    def check_create(self, attributes: Mapping[str, Any]) -> None:
        """What a create may not ask for beyond the schema (only in the divergent mode)."""
        errors = self._memory_errors(attributes)
        if errors:
            raise ValidationFailed(errors)

    def _memory_errors(self, attributes: Mapping[str, Any]) -> dict[str, list[str]]:
        memory = attributes.get("memory")
        if not self.divergence.on("memory-values") or not isinstance(memory, int):
            return {}
        return {"memory": [divergent.NOT_IN_LIST]} if memory % divergent.MEMORY_STEP else {}

    def _requested(self, attributes: Mapping[str, Any]) -> Mapping[str, Any]:
        """A create or update as the model reads it (cdrom-removal: "" means no CD)."""
        if self.divergence.on("cdrom-removal") and attributes.get("cdrom_url") == "":
            return {**attributes, "cdrom_url": None}
        return attributes

    # --- machines -----------------------------------------------------------------------
    @staticmethod
    def _state_part(values: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes of `values` that are stored state (not derived ones like head)."""
        return {key: value for key, value in values.items() if key in STATE_FIELDS}

    def new_vm(
        self, attributes: Mapping[str, Any], group_id: int, address: str, now: float
    ) -> VirtualMachine:
        """A machine to be created (id 0 until stored), provisioning from `now`."""
        attributes = self._requested(attributes)
        outcome = lifecycle.create({**self.vm_defaults, **attributes})
        state = {**self.vm_defaults, "power_on": False, **self._state_part(attributes)}
        state.update(group_id=group_id, deleted=False, **self._state_part(outcome.changes))
        vm = VirtualMachine(id=0, management_address=address, **state)
        if not outcome.provisions:
            return dataclasses.replace(vm, **self._state_part(outcome.pending))
        return self._provision(vm, outcome.pending, now)

    def identified(self, vm: VirtualMachine, vm_id: int, now: float) -> VirtualMachine:
        """A new machine with the id the store gave it (its provisioning time may depend on
        it: provisioning-time)."""
        vm = dataclasses.replace(vm, id=vm_id)
        if vm.provisioning_until is not None and self.divergence.on("provisioning-time"):
            vm = dataclasses.replace(vm, provisioning_until=now + self._provision_delay(vm))
        return vm

    def _provision_delay(self, vm: VirtualMachine) -> float:
        if self.divergence.on("provisioning-time"):
            return divergent.provisioning_seconds(vm.id)
        return self.provision_delay

    def _provision(
        self, vm: VirtualMachine, pending: Mapping[str, Any], now: float
    ) -> VirtualMachine:
        return dataclasses.replace(
            vm,
            pending=self._state_part(pending),
            provisioning_until=now + self._provision_delay(vm),
        )

    def settle(self, vm: VirtualMachine, now: float) -> VirtualMachine:
        """The machine with provisioning (and a powerdown) over, if its time has come (else
        unchanged)."""
        settled = vm
        if settled.provisioning_until is not None and now >= settled.provisioning_until:
            settled = dataclasses.replace(
                settled, **(settled.pending or {}), pending=None, provisioning_until=None
            )
        if settled.powering_down_until is not None and now >= settled.powering_down_until:
            settled = dataclasses.replace(settled, power_on=False, powering_down_until=None)
        return self._tracked(settled)

    def _tracked(self, vm: VirtualMachine) -> VirtualMachine:
        """The machine remembering that it has run (head-follows-power)."""
        if vm.power_on and not vm.ran and self.divergence.on("head-follows-power"):
            return dataclasses.replace(vm, ran=True)
        return vm

    def provisioning(self, vm: VirtualMachine, now: float) -> bool:
        return vm.provisioning_until is not None and now < vm.provisioning_until

    def _apply(
        self, operation: str, vm: VirtualMachine, request: Mapping[str, Any], now: float
    ) -> VirtualMachine | None:
        """The outcome of the operation's tables applied to the machine; None when purged.

        Attributes the tables do not control are applied as sent (a partial update); the
        tables' changes follow; a provisioning rule defers its changes until it is over,
        and while a machine provisions, the provisioning state holds.
        """
        state = state_of(vm)
        outcome = lifecycle.apply(operation, state, request)
        if outcome.refused is not None:
            raise self._refusal(outcome.refused, state)
        if outcome.purged:
            return None
        controlled = self._controlled.get(operation, set())
        state.update({k: v for k, v in self._state_part(request).items() if k not in controlled})
        state.update(self._state_part(outcome.changes))
        updated = dataclasses.replace(vm, **state)
        updated = self._timed(vm, updated, outcome.changes, outcome.provisions, now)
        if outcome.provisions:
            return self._provision(updated, outcome.pending, now)
        if self.provisioning(vm, now):
            return dataclasses.replace(updated, **self._state_part(self._provisioning))
        return self._tracked(updated)

    def _timed(
        self,
        vm: VirtualMachine,
        updated: VirtualMachine,
        changes: Mapping[str, Any],
        provisions: bool,
        now: float,
    ) -> VirtualMachine:
        """The machine with when it was deleted (undelete-window); a power change ends a
        powerdown still under way (powerdown-duration)."""
        deleted_at = (vm.deleted_at or now) if updated.deleted else None
        until = None if provisions or "power_on" in changes else vm.powering_down_until
        return dataclasses.replace(updated, deleted_at=deleted_at, powering_down_until=until)

    def _refusal(self, field: str, state: Mapping[str, Any]) -> ValidationFailed:
        """The rules' refusal: the attribute whose state forbids the request."""
        current = state.get(field)
        if isinstance(current, bool):
            message = f"must be {json.dumps(not current)}"
        else:
            message = f"must not be {json.dumps(current)}"
        if self.divergence.on("refusal-status"):
            error = RequestRefused.one(divergent.REFUSAL_FIELD, f"{field} {message}")
            error.status = divergent.REFUSAL_STATUS
            return error
        error = RequestRefused.one(field, message)
        error.status = self._refusal_status
        return error

    def update(
        self, vm: VirtualMachine, attributes: Mapping[str, Any], now: float
    ) -> VirtualMachine:
        """A partial update (PUT): attributes as sent, undelete and power by the tables."""
        attributes = self._requested(attributes)
        errors = self._memory_errors(attributes)
        if vm.power_on and self.divergence.on("update-while-running"):
            for name in divergent.LOCKED_WHILE_RUNNING:
                if name in attributes and attributes[name] != getattr(vm, name):
                    errors.setdefault(name, []).append(divergent.RUNNING)
        if errors:
            raise ValidationFailed(errors)
        if (
            vm.deleted
            and attributes.get("power_on") is True
            and self.divergence.on("start-deleted")
        ):
            attributes = {**attributes, "deleted": False}
        updated = self._apply("updateVirtualMachine", vm, attributes, now)
        assert updated is not None, "an update never purges"
        return updated

    def signal(self, vm: VirtualMachine, body: Mapping[str, Any], now: float) -> VirtualMachine:
        self._check_reachable(vm, "power_on", "must be true")
        updated = self._apply("signalVirtualMachine", vm, body, now)
        assert updated is not None, "a signal never purges"
        if vm.power_on and not updated.power_on and self.divergence.on("powerdown-duration"):
            until = now + divergent.POWERDOWN_SECONDS
            updated = dataclasses.replace(updated, power_on=True, powering_down_until=until)
        return updated

    def reimage(self, vm: VirtualMachine, body: Mapping[str, Any], now: float) -> VirtualMachine:
        self._check_reachable(vm, "deleted", "must be false")
        updated = self._apply("reimageVirtualMachine", vm, body, now)
        assert updated is not None, "a reimage never purges"
        return dataclasses.replace(updated, last_imaged_with=body["distribution"])

    def _check_reachable(self, vm: VirtualMachine, field: str, message: str) -> None:
        """deleted-out-of-reach: a deleted machine is refused (400), not hidden (404)."""
        if vm.deleted and self.divergence.on("deleted-out-of-reach"):
            raise RequestRefused.one(field, message)

    def delete(
        self, vm: VirtualMachine, query: Mapping[str, Any], now: float
    ) -> VirtualMachine | None:
        """Soft delete, or None when the machine is to be purged."""
        return self._apply("deleteVirtualMachine", vm, query, now)

    def hidden(self, operation: str, vm: VirtualMachine, query: Mapping[str, Any]) -> bool:
        """Whether the rules keep this (deleted) machine out of reach of the request."""
        if operation in REACHED_WHEN_DELETED and self.divergence.on("deleted-out-of-reach"):
            return False
        return vm.deleted and lifecycle.hidden(operation, vm.deleted, query)

    def hostname(self, name: str, group: str, account: str) -> str:
        return lifecycle.hostname(name, group, account, self.cluster_domain)

    def moved(self, before: VirtualMachine, after: VirtualMachine, hostname: str) -> VirtualMachine:
        """hostname-follows-move: a move keeps `hostname` (the one before it) until a rename."""
        if not self.divergence.on("hostname-follows-move"):
            return after
        if after.name != before.name:
            return dataclasses.replace(after, fixed_hostname=None)
        if after.group_id != before.group_id:
            return dataclasses.replace(after, fixed_hostname=before.fixed_hostname or hostname)
        return after

    def head(self, vm: VirtualMachine, state: Mapping[str, Any], now: float) -> str | None:
        """The host a machine runs on (head1..head16 by id) while the rules say it has one
        (head-follows-power: a machine that has run keeps it)."""
        host = f"head{1 + (vm.id - 1) % HEAD_COUNT}"
        if vm.ran and self.divergence.on("head-follows-power"):
            return host
        if self.provisioning(vm, now) and "head" in self._provisioning:
            return self._provisioning["head"]
        if lifecycle.head_is_set(state):
            return host
        return None

    # --- discs --------------------------------------------------------------------------
    def new_disc_fields(
        self, body: Mapping[str, Any], taken_labels: Iterable[str]
    ) -> dict[str, Any]:
        """Label, size and grade of a new disc; raises the field hash if any is refused."""
        taken = set(taken_labels)
        label = body.get("label")
        if label is None:
            label = next(f"disc-{n}" for n in range(1, len(taken) + 2) if f"disc-{n}" not in taken)
        size = body.get("size", divergent.DEFAULT_DISC_SIZE)  # disc-size-required
        errors = self.disc_errors(label, size, taken)
        if errors:
            raise ValidationFailed(errors)
        return {
            "label": label,
            "size": size,
            "storage_grade": body.get("storage_grade", DISC_STORAGE_GRADE),
        }

    def disc_errors(self, label: str, size: int, taken: set[str]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        if self._device_like.match(label):
            errors["label"] = ["is reserved (it looks like a device name)"]
        elif label in taken:
            errors["label"] = [TAKEN]
        if size > DISC_MAX_SIZE:
            errors["size"] = [f"must be less than or equal to {DISC_MAX_SIZE}"]
        return errors

    def resized_disc(self, disc: Disc, body: Mapping[str, Any]) -> Disc:
        """A disc after PUT: it grows only (discs-grow-only: any size applies)."""
        size = body.get("size", disc.size)
        if size < disc.size and not self.divergence.on("discs-grow-only"):
            raise ValidationFailed.one("size", f"must be greater than or equal to {disc.size}")
        if size > DISC_MAX_SIZE:
            raise ValidationFailed.one("size", f"must be less than or equal to {DISC_MAX_SIZE}")
        return dataclasses.replace(
            disc, size=size, iops_limit=body.get("iops_limit", disc.iops_limit)
        )

    @staticmethod
    def check_discs_changeable(vm: VirtualMachine, adding: int | None = None) -> None:
        """Discs of a deleted machine cannot change; a machine holds at most 8 discs."""
        if vm.deleted:
            raise RequestRefused.one("virtual_machine", "is deleted: its discs cannot change")
        if adding is not None and adding >= DISCS_PER_VM:
            raise RequestRefused.one("discs", f"is too long (maximum is {DISCS_PER_VM} discs)")

    def check_disc_purge(self, query: Mapping[str, Any]) -> None:
        if query.get("purge") is True:
            return
        if self.divergence.on("disc-delete-without-purge"):
            raise ServerFault("a disc cannot be deleted without purge=true")
        raise RequestRefused.one("purge", "must be true (a disc is deleted for good)")

    # --- groups -------------------------------------------------------------------------
    @staticmethod
    def check_group_deletable(group: Group, holds_machines: bool) -> None:
        if group.name == DEFAULT_GROUP:
            raise RequestRefused.one("name", "is the account's default group")
        if holds_machines:
            raise RequestRefused.one(
                "virtual_machines", "must be empty (deleted machines count until purged)"
            )

    # --- access -------------------------------------------------------------------------
    @staticmethod
    def access(privileges: Iterable[tuple[str, int | None]], account_id: int) -> Access | None:
        """What a user holding `privileges` (level, account id) may do with one account."""
        sees = writes = False
        for level, target in privileges:
            if level not in PRIVILEGE_LEVELS:
                continue
            every, write = PRIVILEGE_LEVELS[level]
            if every or target == account_id:
                sees, writes = True, writes or write
        return Access(account_id, writes) if sees else None


def example_sendkeys(document: Mapping[str, Any]) -> frozenset[str]:
    """The key names in `data` of the spec's own request examples of signalVirtualMachine
    (`del` in the Python library's `ctrl-alt-del` and ICH's `a-b-c-ctrl-alt-del`)."""
    operations = spec.operations(dict(document))
    if SIGNAL not in operations:
        return frozenset()
    _, _, operation = operations[SIGNAL]
    body = spec.resolve(dict(document), operation.get("requestBody", {}))
    keys: set[str] = set()
    for media in body.get("content", {}).values():
        for example in media.get("examples", {}).values():
            data = spec.resolve(dict(document), example).get("value", {}).get("data")
            if isinstance(data, str):
                keys.update(key for key in data.split("-") if key)
    return frozenset(keys)
