"""The JSON bodies of the emulator's records (machines, discs, interfaces, accounts, groups).

`Rendering` is mixed into `emulator.model.Model`: a machine's body reads the model's rules
(provisioning, hostname, head) and its divergent points.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from emulator import divergent
from emulator.records import Account, Disc, Group, NetworkInterface, VirtualMachine, state_of

TAIL_COUNT = 4  # a disc lives on one of tail1..tail4 (by id): storage_pool "tail2-sata1"
VLAN_BASE = 1000  # each group is its own VLAN: vlan_num = VLAN_BASE + group id
MAC_PREFIX = "fe:ff"  # locally administered; the last four bytes are the interface's id
TYPE_VM = "application/vnd.bigv.virtual-machine"
TYPE_GROUP = "application/vnd.bigv.group"
TYPE_DISC = "application/vnd.bigv.disc"
TYPE_NIC = "application/vnd.bigv.network-interface"


class Rendering:
    """What the model answers with: each record as its JSON object."""

    def render_vm(
        self,
        vm: VirtualMachine,
        group: str,
        account: str,
        now: float,
        overview: bool = False,
        discs: Iterable[Disc] = (),
        nics: Iterable[NetworkInterface] = (),
    ) -> dict[str, Any]:
        """The JSON object of a machine; with `overview`, its discs, interfaces and type."""
        state = state_of(vm)
        if self.provisioning(vm, now):
            state.update(self._state_part(self._provisioning))
        body: dict[str, Any] = {
            "id": vm.id,
            **state,
            "management_address": vm.management_address,
            "hostname": vm.fixed_hostname or self.hostname(vm.name, group, account),
            "head": self.head(vm, state, now),
        }
        if vm.last_imaged_with is not None or self.divergence.on("unimaged-last-imaged-with"):
            body["last_imaged_with"] = vm.last_imaged_with
        if overview:
            body["discs"] = [self.render_disc(disc) for disc in discs]
            body["network_interfaces"] = [self.render_nic(nic, vm) for nic in nics]
            body["type"] = TYPE_VM
        if self.divergence.on("extra-fields"):
            body.update(type=TYPE_VM, **divergent.EXTRA_VM_FIELDS)
        return body

    def embedded_vm(self, body: dict[str, Any]) -> dict[str, Any]:
        """A machine as a group's or account's overview embeds it (overview-fewer-fields)."""
        if not self.divergence.on("overview-fewer-fields"):
            return body
        return {key: body[key] for key in divergent.OVERVIEW_VM_FIELDS}

    def created_vm(self, body: dict[str, Any]) -> dict[str, Any]:
        """A machine as the 202 of a bare create carries it (create-reply-body)."""
        if not self.divergence.on("create-reply-body"):
            return body
        return {key: body[key] for key in divergent.CREATE_REPLY_FIELDS}

    @staticmethod
    def render_disc(disc: Disc) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": disc.id,
            "label": disc.label,
            "size": disc.size,
            "storage_grade": disc.storage_grade,
            "storage_pool": f"tail{1 + disc.id % TAIL_COUNT}-{disc.storage_grade}1",
            "virtual_machine_id": disc.virtual_machine_id,
            "type": TYPE_DISC,
        }
        if disc.iops_limit is not None:
            body["iops_limit"] = disc.iops_limit
        return body

    def render_nic(self, nic: NetworkInterface, vm: VirtualMachine) -> dict[str, Any]:
        mac = ":".join(f"{byte:02x}" for byte in nic.id.to_bytes(4, "big"))
        body = {
            "id": nic.id,
            "label": None,
            "ips": [vm.management_address],
            "vlan_num": VLAN_BASE + vm.group_id,
            "mac": f"{MAC_PREFIX}:{mac}",
            "extra_ips": {},
            "virtual_machine_id": vm.id,
            "type": TYPE_NIC,
        }
        if self.divergence.on("nic-fields"):
            del body["mac"]
        return body

    @staticmethod
    def render_account(account: Account) -> dict[str, Any]:
        return {"id": account.id, "name": account.name, "suspended": account.suspended}

    @staticmethod
    def render_group(group: Group, overview: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"id": group.id, "account_id": group.account_id, "name": group.name}
        if overview:
            body["type"] = TYPE_GROUP
        return body
