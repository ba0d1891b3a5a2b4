"""Handlers of the virtual-machine operations (the original documentation page, and vm_create)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from emulator import divergent
from emulator.errors import Forbidden, RequestRefused, ValidationFailed
from emulator.handlers.base import (
    Context,
    create_vm,
    find_account,
    find_group,
    find_vm,
    name_taken,
    operation,
    render_vm,
    render_vms,
    visible_vms,
    vm_answer,
)
from emulator.model import MUST_EXIST
from emulator.records import Account, Group, VirtualMachine
from emulator.store import Conflict, Transaction


@operation("listVirtualMachines")
def list_virtual_machines(ctx: Context) -> list[dict[str, Any]]:
    with ctx.transaction() as tx:
        account = find_account(ctx, tx)
        group = find_group(ctx, tx, account)
        vms = visible_vms(ctx, tx, [group], ctx.operation.operation_id)
        return render_vms(ctx, tx, vms, {group.id: group}, {account.id: account}, ctx.overview)


@operation("getVirtualMachine")
def get_virtual_machine(ctx: Context) -> Any:
    with ctx.transaction() as tx:
        account, group, vm = find_vm(ctx, tx)
        body = render_vm(ctx, tx, vm, group, account)
    provisioning = ctx.model.provisioning(vm, ctx.now)
    if provisioning and ctx.divergence.on("get-while-provisioning"):
        return vm_answer(ctx, body, ACCEPTED)
    return vm_answer(ctx, body)


@operation("createVirtualMachine")
def create_virtual_machine(ctx: Context) -> Any:
    with ctx.transaction() as tx:
        account = find_account(ctx, tx)
        group = find_group(ctx, tx, account)
        vm = create_vm(ctx, tx, group, ctx.body)
        return vm_answer(ctx, ctx.model.created_vm(render_vm(ctx, tx, vm, group, account)))


def _spec_discs(ctx: Context, discs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The discs of a vm_create, checked together: errors as one hash per disc."""
    taken: set[str] = set()
    accepted, errors = [], []
    for disc in discs:
        try:
            fields = ctx.model.new_disc_fields(disc, taken)
        except ValidationFailed as error:
            errors.append(error.body)
            continue
        taken.add(fields["label"])
        accepted.append(fields)
        errors.append({})
    if any(errors):
        raise ValidationFailed({"discs": errors})
    return accepted


@operation("createVirtualMachineSpec")
def create_virtual_machine_spec(ctx: Context) -> Any:
    body = ctx.body
    discs = _spec_discs(ctx, body.get("discs", []))
    if "reimage" in body and not discs and ctx.divergence.on("reimage-without-disc"):
        raise ValidationFailed.one("discs", divergent.NO_DISC)
    with ctx.transaction() as tx:
        account = find_account(ctx, tx)
        group = find_group(ctx, tx, account)
        vm = create_vm(ctx, tx, group, body["virtual_machine"])
        if "reimage" in body:
            vm = replace(vm, last_imaged_with=body["reimage"]["distribution"])
            tx.save_vm(vm)
        created = [tx.insert_disc(vm.id, **disc) for disc in discs]
        machine = render_vm(ctx, tx, vm, group, account)
        result: dict[str, Any] = {
            "virtual_machine": machine,
            "discs": [ctx.model.render_disc(disc) for disc in created],
        }
    if ctx.divergence.on("vm-create-reply-body"):
        return vm_answer(ctx, machine)
    if "reimage" in body:
        result["reimage"] = _echo_reimage(body["reimage"])
    return result


def _echo_reimage(reimage: dict[str, Any]) -> dict[str, Any]:
    """The reimage request echoed, without the (write-only) root password."""
    return {key: value for key, value in reimage.items() if key != "root_password"}


ACCEPTED = 202  # get-while-provisioning: a GET of a machine still being provisioned


def _move_target(
    ctx: Context, tx: Transaction, vm: VirtualMachine, group: Group, account: Account
) -> tuple[Group, Account]:
    """The group (and its account) a PUT moves the machine to; its own when it stays."""
    group_id = ctx.body.get("group_id", vm.group_id)
    if group_id == vm.group_id:
        return group, account
    assert ctx.principal is not None
    target = tx.group_by_id(group_id)
    target_account = tx.account_by_id(target.account_id) if target else None
    access = target_account and ctx.model.access(ctx.principal.privileges, target_account.id)
    if target is None or target_account is None or access is None:
        raise ValidationFailed.one("group_id", MUST_EXIST)
    if not access.can_write:
        raise Forbidden(f"you may read but not change account {target_account.name!r}")
    return target, target_account


@operation("updateVirtualMachine")
def update_virtual_machine(ctx: Context) -> Any:
    with ctx.transaction() as tx:
        account, group, vm = find_vm(ctx, tx)
        target, target_account = _move_target(ctx, tx, vm, group, account)
        name = ctx.body.get("name", vm.name)
        if (name, target.id) != (vm.name, vm.group_id) and name_taken(ctx, tx, target, name, vm.id):
            raise ctx.model.name_taken()
        updated = ctx.model.update(vm, ctx.body, ctx.now)
        hostname = ctx.model.hostname(vm.name, group.name, account.name)
        updated = ctx.model.moved(vm, updated, hostname)
        try:
            tx.save_vm(updated)
        except Conflict:
            raise ctx.model.name_taken() from None
        return vm_answer(ctx, render_vm(ctx, tx, updated, target, target_account))


@operation("deleteVirtualMachine")
def delete_virtual_machine(ctx: Context) -> None:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        result = ctx.model.delete(vm, ctx.query, ctx.now)
        if result is None:
            tx.purge_vm(vm.id)
        else:
            tx.save_vm(result)


@operation("reimageVirtualMachine")
def reimage_virtual_machine(ctx: Context) -> dict[str, Any]:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        updated = ctx.model.reimage(vm, ctx.body, ctx.now)
        if ctx.divergence.on("reimage-without-disc") and not tx.discs([vm.id]).get(vm.id):
            raise RequestRefused.one("discs", divergent.NO_DISC)  # no disc to image
        tx.save_vm(updated)
    if ctx.divergence.on("reimage-echo-password"):
        return dict(ctx.body)
    return _echo_reimage(ctx.body)


@operation("signalVirtualMachine")
def signal_virtual_machine(ctx: Context) -> dict[str, Any]:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        tx.save_vm(ctx.model.signal(vm, ctx.body, ctx.now))
    return dict(ctx.body)
