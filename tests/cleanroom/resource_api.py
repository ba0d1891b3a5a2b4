"""Handlers for accounts, groups, discs and NICs."""

from . import definitions as defs
from .context import Ctx
from .errors import Errors, json_reply, no_content, refuse
from .store import Account, Disc, Group, Nic, VirtualMachine
from .validate import check_name, disc_attrs
from .views import account_json, disc_json, group_json, nic_json
from .vm_api import PROVISIONING, free_label


def list_accounts(ctx: Ctx):
    """GET /accounts: accounts the user can see."""
    inc = ctx.flag("include_deleted")
    accounts = ctx.state.accounts_of(ctx.user)
    return json_reply(200, [account_json(ctx.state, a, ctx.overview, inc) for a in accounts])


def get_account(ctx: Ctx, account: Account):
    """GET /accounts/{acc}."""
    inc = ctx.flag("include_deleted")
    return json_reply(200, account_json(ctx.state, account, ctx.overview, inc))


def list_groups(ctx: Ctx, account: Account):
    """GET /accounts/{acc}/groups."""
    inc = ctx.flag("include_deleted")
    groups = ctx.state.groups_of(account.id)
    return json_reply(200, [group_json(ctx.state, g, ctx.overview, inc) for g in groups])


def create_group(ctx: Ctx, account: Account):
    """POST /accounts/{acc}/groups {"name"}; 201."""
    errors = Errors()
    name = check_name(ctx.json().get("name"), errors)
    if name is not None and any(g.name == name for g in ctx.state.groups_of(account.id)):
        errors.add("name", "has already been taken")
    errors.raise_if_any()
    group = ctx.state.add_group(account, name)
    return json_reply(201, group_json(ctx.state, group))


def get_group(ctx: Ctx, group: Group):
    """GET /accounts/{acc}/groups/{grp}."""
    inc = ctx.flag("include_deleted")
    return json_reply(200, group_json(ctx.state, group, ctx.overview, inc))


def delete_group(ctx: Ctx, group: Group):
    """DELETE /accounts/{acc}/groups/{grp}: only an empty, non-default group; 204."""
    if group.name == "default":
        raise refuse("base", "the default group cannot be deleted")
    if ctx.state.vms_of(group.id, include_deleted=True):
        raise refuse("virtual_machines", "the group is not empty")
    del ctx.state.groups[group.id]
    return no_content()


def list_discs(ctx: Ctx, vm: VirtualMachine):
    """GET .../discs."""
    return json_reply(200, [disc_json(d) for d in ctx.state.discs_of(vm.id)])


def get_disc(ctx: Ctx, vm: VirtualMachine, disc: Disc):
    """GET .../discs/{disc}."""
    return json_reply(200, disc_json(disc))


def _check_changeable(vm: VirtualMachine, field: str = "base") -> None:
    if vm.deleted:
        raise refuse(field, "discs of a deleted virtual machine cannot be changed")
    if vm.provisioning:
        raise refuse(field, PROVISIONING)


def _labels(ctx: Ctx, vm: VirtualMachine) -> set[str]:
    return {d.label for d in ctx.state.discs_of(vm.id)}


def create_disc(ctx: Ctx, vm: VirtualMachine):
    """POST .../discs {"label"?, "size", "storage_grade"?}; 201."""
    errors = Errors()
    attrs = disc_attrs(ctx.json(), errors, creating=True)
    labels = _labels(ctx, vm)
    if attrs.get("label") in labels:
        errors.add("label", "has already been taken")
    errors.raise_if_any()
    _check_changeable(vm)
    if len(labels) >= defs.MAX_DISCS:
        raise refuse("discs", f"a virtual machine can have at most {defs.MAX_DISCS} discs")
    label = attrs.get("label") or free_label(labels)
    grade = attrs.get("storage_grade", defs.DEFAULT_STORAGE_GRADE)
    disc = ctx.state.add_disc(vm, label, attrs["size"], grade)
    for i, sched in enumerate(attrs.get("backup_schedules") or [], start=1):
        disc.backup_schedules.append({"id": disc.id * 100 + i, **sched})
    return json_reply(201, disc_json(disc))


def _move_target(ctx: Ctx, vm: VirtualMachine, vm_id: int) -> VirtualMachine | None:
    if vm_id == vm.id:
        return None
    target = ctx.state.vms.get(vm_id)
    if target is None:
        raise refuse("virtual_machine_id", "is invalid")
    account_id = ctx.state.groups[target.group_id].account_id
    if ctx.state.access(ctx.user, account_id) != "admin":
        raise refuse("virtual_machine_id", "is invalid")
    _check_changeable(target, "virtual_machine_id")
    if vm.power_on or target.power_on:
        raise refuse("virtual_machine_id", "both virtual machines must be powered off")
    if len(ctx.state.discs_of(target.id)) >= defs.MAX_DISCS:
        raise refuse("virtual_machine_id", f"already has {defs.MAX_DISCS} discs")
    return target


def update_disc(ctx: Ctx, vm: VirtualMachine, disc: Disc):
    """PUT .../discs/{disc}: grow, iops_limit, relabel, move; 200."""
    errors = Errors()
    attrs = disc_attrs(ctx.json(), errors, creating=False)
    errors.raise_if_any()
    _check_changeable(vm)
    if "storage_grade" in attrs and attrs["storage_grade"] != disc.storage_grade:
        raise refuse("storage_grade", "cannot be changed")
    if "size" in attrs and attrs["size"] < disc.size:
        raise refuse("size", "cannot be reduced")
    target = None
    if "virtual_machine_id" in attrs:
        target = _move_target(ctx, vm, attrs["virtual_machine_id"])
    owner = target or vm
    label = attrs.get("label", disc.label)
    if (label, owner.id) != (disc.label, vm.id) and label in _labels(ctx, owner):
        raise refuse("label", "has already been taken")
    disc.label = label
    disc.size = attrs.get("size", disc.size)
    if "iops_limit" in attrs:
        disc.iops_limit = attrs["iops_limit"]
    if target is not None:
        disc.vm_id = target.id
    return json_reply(200, disc_json(disc))


def delete_disc(ctx: Ctx, vm: VirtualMachine, disc: Disc):
    """DELETE .../discs/{disc}?purge=true; 204."""
    if not ctx.flag("purge"):
        raise refuse("purge", "must be true to delete a disc")
    _check_changeable(vm)
    if vm.power_on:
        raise refuse("power_on", "the virtual machine must be powered off to remove a disc")
    del ctx.state.discs[disc.id]
    return no_content()


def list_nics(ctx: Ctx, vm: VirtualMachine):
    """GET .../nics."""
    return json_reply(200, [nic_json(ctx.state, n) for n in ctx.state.nics_of(vm.id)])


def get_nic(ctx: Ctx, vm: VirtualMachine, nic: Nic):
    """GET .../nics/{nic}."""
    return json_reply(200, nic_json(ctx.state, nic))
