"""What every handler gets (a Context), the registry, and the lookups they share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from emulator import divergent
from emulator.addresses import AddressPool
from emulator.auth import Authenticator, Principal
from emulator.divergent import Divergence
from emulator.errors import Forbidden, NotFound, ValidationFailed
from emulator.model import Model
from emulator.records import Account, Group, VirtualMachine
from emulator.store import Conflict, Store, Transaction
from emulator.validation import Operation

Handler = Callable[["Context"], Any]
HANDLERS: dict[str, Handler] = {}

# Machines embedded in overviews are hidden like those of the group listing.
LISTING = "listVirtualMachines"


def operation(operation_id: str) -> Callable[[Handler], Handler]:
    """Register the handler of one operationId of the spec."""

    def register(handler: Handler) -> Handler:
        if operation_id in HANDLERS:
            raise ValueError(f"two handlers for {operation_id}")
        HANDLERS[operation_id] = handler
        return handler

    return register


@dataclass(frozen=True)
class PlainText:
    """A text/plain answer (the auth service's session token)."""

    text: str


@dataclass(frozen=True)
class Answer:
    """A JSON answer with a status or media type other than the operation's usual ones."""

    body: Any
    status: int | None = None  # None: the operation's success status
    media_type: str | None = None  # None: application/json


@dataclass
class Services:
    """The long-lived parts every request uses."""

    model: Model
    store: Store
    authenticator: Authenticator
    addresses: AddressPool
    definitions: list[dict[str, Any]]


@dataclass
class Context:
    """One request, parsed and validated: what a handler works from."""

    services: Services
    operation: Operation
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    principal: Principal | None
    now: float

    @property
    def model(self) -> Model:
        return self.services.model

    @property
    def divergence(self) -> Divergence:
        return self.services.model.divergence

    @property
    def writes(self) -> bool:
        return self.operation.method not in ("GET", "HEAD")

    @property
    def overview(self) -> bool:
        return self.query.get("view") == "overview"

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """The request's unit of work (undelete-window: machines deleted long enough ago are
        purged first)."""
        expiring = self.divergence.on("undelete-window")
        with self.services.store.transaction(write=self.writes or expiring) as tx:
            if expiring:
                for vm_id in tx.deleted_vm_ids(before=self.now - divergent.UNDELETE_WINDOW):
                    tx.purge_vm(vm_id)
            yield tx


def account_access(ctx: Context, account: Account | None, ref: object) -> Account:
    """The account if the user holds a privilege on it (404 otherwise, 403 to change it)."""
    assert ctx.principal is not None
    access = account and ctx.model.access(ctx.principal.privileges, account.id)
    if account is None or access is None:
        raise NotFound(f"no such account: {ref!r}")
    if ctx.writes and not access.can_write:
        raise Forbidden(f"you may read but not change account {account.name!r}")
    return account


def find_account(ctx: Context, tx: Transaction) -> Account:
    return account_access(ctx, tx.account(ctx.path["account"]), ctx.path["account"])


def find_group(ctx: Context, tx: Transaction, account: Account) -> Group:
    group = tx.group(account.id, ctx.path["group"])
    if group is None:
        raise NotFound(f"no such group: {ctx.path['group']!r}")
    return group


def settled(ctx: Context, tx: Transaction, vm: VirtualMachine) -> VirtualMachine:
    """The machine with its provisioning settled (and saved) if it is over."""
    result = ctx.model.settle(vm, ctx.now)
    if result is not vm:
        tx.save_vm(result)
    return result


def find_vm(ctx: Context, tx: Transaction) -> tuple[Account, Group, VirtualMachine]:
    account = find_account(ctx, tx)
    group = find_group(ctx, tx, account)
    ref = ctx.path["virtual_machine"]
    vm = tx.vm(group.id, ref)
    if vm is None or ctx.model.hidden(ctx.operation.operation_id, vm, ctx.query):
        raise NotFound(f"no such virtual machine: {ref!r}")
    return account, group, settled(ctx, tx, vm)


def visible_vms(
    ctx: Context, tx: Transaction, groups: Iterable[Group], operation_id: str = LISTING
) -> list[VirtualMachine]:
    vms = (settled(ctx, tx, vm) for vm in tx.vms(group.id for group in groups))
    return [vm for vm in vms if not ctx.model.hidden(operation_id, vm, ctx.query)]


def render_vms(
    ctx: Context,
    tx: Transaction,
    vms: list[VirtualMachine],
    groups: dict[int, Group],
    accounts: dict[int, Account],
    overview: bool,
) -> list[dict[str, Any]]:
    """Machines as JSON, with discs and interfaces fetched in one query each for overviews."""
    discs = tx.discs(vm.id for vm in vms) if overview else {}
    nics = tx.nics(vm.id for vm in vms) if overview else {}
    rendered = []
    for vm in vms:
        group = groups[vm.group_id]
        rendered.append(
            ctx.model.render_vm(
                vm,
                group.name,
                accounts[group.account_id].name,
                ctx.now,
                overview,
                discs.get(vm.id, ()),
                nics.get(vm.id, ()),
            )
        )
    return rendered


def render_vm(
    ctx: Context, tx: Transaction, vm: VirtualMachine, group: Group, account: Account
) -> dict[str, Any]:
    return render_vms(ctx, tx, [vm], {group.id: group}, {account.id: account}, ctx.overview)[0]


def vm_answer(ctx: Context, body: dict[str, Any], status: int | None = None) -> Any:
    """A single machine as answered (vendor-media-types: as the vendor's media type)."""
    media = divergent.VM_MEDIA_TYPE if ctx.divergence.on("vendor-media-types") else None
    return body if media is None and status is None else Answer(body, status, media)


def name_taken(ctx: Context, tx: Transaction, group: Group, name: str, vm_id: int = 0) -> bool:
    """Whether a machine (other than `vm_id`) holds the name in the group, or in its whole
    account (names-unique-in-group)."""
    if ctx.divergence.on("names-unique-in-group"):
        return tx.name_taken_in_account(group.account_id, name, vm_id)
    return tx.name_taken(group.id, name, vm_id)


def create_vm(
    ctx: Context, tx: Transaction, group: Group, attributes: dict[str, Any]
) -> VirtualMachine:
    """Store a new machine (with its one network interface), provisioning from now."""
    ctx.model.check_create(attributes)
    if name_taken(ctx, tx, group, attributes["name"]):
        raise ctx.model.name_taken()
    slot = tx.take_address_slot()
    address = ctx.services.addresses.address(slot)
    if address is None:
        raise ValidationFailed.one("management_address", "has no free address left in the pool")
    new = ctx.model.new_vm(attributes, group.id, address, ctx.now)
    try:
        vm = ctx.model.identified(new, tx.insert_vm(new, slot), ctx.now)
    except Conflict:
        raise ctx.model.name_taken() from None
    if vm.provisioning_until != new.provisioning_until:
        tx.save_vm(vm)
    tx.insert_nic(vm.id)
    return vm
