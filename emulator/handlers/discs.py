"""Handlers of discs and (read-only) network interfaces of a machine."""

from __future__ import annotations

from typing import Any

from emulator.errors import NotFound, ValidationFailed
from emulator.handlers.base import Context, find_vm, operation
from emulator.model import TAKEN
from emulator.records import Disc, VirtualMachine
from emulator.store import Conflict, Transaction


def _disc(ctx: Context, tx: Transaction, vm: VirtualMachine) -> Disc:
    disc = tx.disc(vm.id, ctx.path["disc"])
    if disc is None:
        raise NotFound(f"no such disc: {ctx.path['disc']!r}")
    return disc


@operation("listDiscs")
def list_discs(ctx: Context) -> list[dict[str, Any]]:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        return [ctx.model.render_disc(disc) for disc in tx.discs([vm.id]).get(vm.id, [])]


@operation("getDisc")
def get_disc(ctx: Context) -> dict[str, Any]:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        return ctx.model.render_disc(_disc(ctx, tx, vm))


@operation("createDisc")
def create_disc(ctx: Context) -> dict[str, Any]:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        existing = tx.discs([vm.id]).get(vm.id, [])
        ctx.model.check_discs_changeable(vm, adding=len(existing))
        fields = ctx.model.new_disc_fields(ctx.body, (disc.label for disc in existing))
        try:
            disc = tx.insert_disc(vm.id, **fields)
        except Conflict:
            raise ValidationFailed.one("label", TAKEN) from None
        return ctx.model.render_disc(disc)


@operation("updateDisc")
def update_disc(ctx: Context) -> dict[str, Any]:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        ctx.model.check_discs_changeable(vm)
        disc = ctx.model.resized_disc(_disc(ctx, tx, vm), ctx.body)
        tx.save_disc(disc)
        return ctx.model.render_disc(disc)


@operation("deleteDisc")
def delete_disc(ctx: Context) -> None:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        ctx.model.check_discs_changeable(vm)
        disc = _disc(ctx, tx, vm)
        ctx.model.check_disc_purge(ctx.query)
        tx.delete_disc(disc.id)


@operation("listNetworkInterfaces")
def list_network_interfaces(ctx: Context) -> list[dict[str, Any]]:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        return [ctx.model.render_nic(nic, vm) for nic in tx.nics([vm.id]).get(vm.id, [])]


@operation("getNetworkInterface")
def get_network_interface(ctx: Context) -> dict[str, Any]:
    with ctx.transaction() as tx:
        _, _, vm = find_vm(ctx, tx)
        wanted = ctx.path["network_interface"]
        for nic in tx.nics([vm.id]).get(vm.id, []):
            if nic.id == wanted:
                return ctx.model.render_nic(nic, vm)
    raise NotFound(f"no such network interface: {wanted!r}")
