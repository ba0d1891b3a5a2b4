"""JSON shapes of the objects served."""

from .store import Account, Disc, Group, Nic, State, VirtualMachine

TYPE_GROUP = "application/vnd.bigv.group"
TYPE_VM = "application/vnd.bigv.virtual-machine"
TYPE_DISC = "application/vnd.bigv.disc"
TYPE_NIC = "application/vnd.bigv.network-interface"


def vm_json(state: State, vm: VirtualMachine, overview: bool = False) -> dict:
    """A VM as the original page shows it, plus zone_name and last_imaged_with."""
    out = {
        "autoreboot_on": vm.autoreboot_on,
        "cdrom_url": vm.cdrom_url,
        "cores": vm.cores,
        "group_id": vm.group_id,
        "id": vm.id,
        "management_address": state.management_address(vm),
        "memory": vm.memory,
        "name": vm.name,
        "power_on": vm.power_on,
        "keymap": vm.keymap,
        "deleted": vm.deleted,
        "hostname": state.hostname(vm),
        "head": vm.head,
        "hardware_profile": vm.hardware_profile,
        "hardware_profile_locked": vm.hardware_profile_locked,
        "zone_name": vm.zone_name,
        "last_imaged_with": vm.last_imaged_with,
    }
    if overview:
        out["discs"] = [disc_json(d) for d in state.discs_of(vm.id)]
        out["network_interfaces"] = [nic_json(state, n) for n in state.nics_of(vm.id)]
        out["type"] = TYPE_VM
    return out


def disc_json(disc: Disc) -> dict:
    """A disc; size in MiB."""
    return {
        "id": disc.id,
        "label": disc.label,
        "size": disc.size,
        "storage_grade": disc.storage_grade,
        "storage_pool": f"tail1-{disc.storage_grade}1",
        "virtual_machine_id": disc.vm_id,
        "iops_limit": disc.iops_limit,
        "backup_schedules": [dict(b) for b in disc.backup_schedules],
        "type": TYPE_DISC,
    }


def nic_json(state: State, nic: Nic) -> dict:
    """A network interface (read-only)."""
    vm = state.vms[nic.vm_id]
    return {
        "id": nic.id,
        "label": None,
        "ips": [state.ipv4(vm), state.ipv6(vm)],
        "vlan_num": 1000 + vm.group_id,
        "mac": state.mac(vm),
        "extra_ips": {},
        "virtual_machine_id": vm.id,
        "type": TYPE_NIC,
    }


def group_json(
    state: State, group: Group, overview: bool = False, include_deleted: bool = False
) -> dict:
    """A group; overview embeds its VMs."""
    out = {"id": group.id, "account_id": group.account_id, "name": group.name}
    if overview:
        out["type"] = TYPE_GROUP
        out["virtual_machines"] = [
            vm_json(state, v, overview=True) for v in state.vms_of(group.id, include_deleted)
        ]
    return out


def account_json(
    state: State, account: Account, overview: bool = False, include_deleted: bool = False
) -> dict:
    """An account; overview embeds its groups."""
    out = {"id": account.id, "name": account.name, "suspended": account.suspended}
    if overview:
        out["groups"] = [
            group_json(state, g, True, include_deleted) for g in state.groups_of(account.id)
        ]
    return out
