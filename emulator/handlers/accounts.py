"""Handlers of accounts, groups and the definitions table."""

from __future__ import annotations

from typing import Any

from emulator.handlers.base import (
    Context,
    find_account,
    find_group,
    operation,
    render_vms,
    visible_vms,
)
from emulator.records import Account, Group
from emulator.store import Conflict, Transaction


def _render_groups(
    ctx: Context,
    tx: Transaction,
    groups: list[Group],
    accounts: dict[int, Account],
    overview: bool | None = None,
) -> list[dict[str, Any]]:
    """Groups as JSON; with view=overview each embeds its machines (in overview form, or
    with fewer fields: overview-fewer-fields)."""
    overview = ctx.overview if overview is None else overview
    rendered = [ctx.model.render_group(group, overview) for group in groups]
    if not overview:
        return rendered
    by_id = {group.id: group for group in groups}
    vms = visible_vms(ctx, tx, groups)
    embedded = [
        ctx.model.embedded_vm(body)
        for body in render_vms(ctx, tx, vms, by_id, accounts, overview=True)
    ]
    for body in rendered:
        body["virtual_machines"] = []
    index = {body["id"]: body for body in rendered}
    for vm, body in zip(vms, embedded, strict=True):
        index[vm.group_id]["virtual_machines"].append(body)
    return rendered


def _render_accounts(
    ctx: Context, tx: Transaction, accounts: list[Account]
) -> list[dict[str, Any]]:
    rendered = [ctx.model.render_account(account) for account in accounts]
    if ctx.overview:
        by_id = {account.id: account for account in accounts}
        for account, body in zip(accounts, rendered, strict=True):
            body["groups"] = _render_groups(ctx, tx, tx.groups(account.id), by_id)
    return rendered


@operation("getDefinitions")
def get_definitions(ctx: Context) -> list[dict[str, Any]]:
    return ctx.services.definitions


@operation("listAccounts")
def list_accounts(ctx: Context) -> list[dict[str, Any]]:
    assert ctx.principal is not None
    privileges = ctx.principal.privileges
    with ctx.transaction() as tx:
        visible = [a for a in tx.accounts() if ctx.model.access(privileges, a.id) is not None]
        return _render_accounts(ctx, tx, visible)


@operation("getAccount")
def get_account(ctx: Context) -> dict[str, Any]:
    with ctx.transaction() as tx:
        return _render_accounts(ctx, tx, [find_account(ctx, tx)])[0]


@operation("listGroups")
def list_groups(ctx: Context) -> list[dict[str, Any]]:
    with ctx.transaction() as tx:
        account = find_account(ctx, tx)
        overview = ctx.overview and not ctx.divergence.on("group-list-overview")
        return _render_groups(ctx, tx, tx.groups(account.id), {account.id: account}, overview)


@operation("getGroup")
def get_group(ctx: Context) -> dict[str, Any]:
    with ctx.transaction() as tx:
        account = find_account(ctx, tx)
        group = find_group(ctx, tx, account)
        return _render_groups(ctx, tx, [group], {account.id: account})[0]


@operation("createGroup")
def create_group(ctx: Context) -> dict[str, Any]:
    with ctx.transaction() as tx:
        account = find_account(ctx, tx)
        try:
            group = tx.insert_group(account.id, ctx.body["name"])
        except Conflict:
            raise ctx.model.name_taken() from None
        return ctx.model.render_group(group)


@operation("deleteGroup")
def delete_group(ctx: Context) -> None:
    with ctx.transaction() as tx:
        account = find_account(ctx, tx)
        group = find_group(ctx, tx, account)
        purging = ctx.divergence.on("group-delete-with-deleted-machines")
        holds = tx.group_holds_machines(group.id, deleted_count=not purging)
        ctx.model.check_group_deletable(group, holds)
        for vm_id in tx.deleted_vm_ids(group.id) if purging else ():
            tx.purge_vm(vm_id)
        tx.delete_group(group.id)
