"""Handlers for virtual machines: list, get, create (bare and vm_create), update, delete,
reimage, signal."""

import threading

from . import definitions as defs
from .context import Ctx
from .errors import Errors, json_reply, no_content, refuse
from .store import Group, State, VirtualMachine
from .validate import disc_attrs, reimage_attrs, signal_attrs, vm_attrs
from .views import disc_json, vm_json

PROVISIONING = "is still being provisioned"


def name_taken(state: State, group_id: int, name: str, except_id: int | None = None) -> bool:
    """Another unpurged VM of the group has this name."""
    return any(
        v.group_id == group_id and v.name == name and v.id != except_id for v in state.vms.values()
    )


def free_label(labels: set[str]) -> str:
    """Smallest disc-N label not in use."""
    n = 1
    while f"disc-{n}" in labels:
        n += 1
    return f"disc-{n}"


def list_vms(ctx: Ctx, group: Group):
    """GET .../virtual_machines."""
    vms = ctx.state.vms_of(group.id, ctx.flag("include_deleted"))
    return json_reply(200, [vm_json(ctx.state, v, ctx.overview) for v in vms])


def get_vm(ctx: Ctx, vm: VirtualMachine):
    """GET .../virtual_machines/{vm}."""
    return json_reply(200, vm_json(ctx.state, vm, ctx.overview))


def _build(state: State, group: Group, attrs: dict, power_default: bool) -> VirtualMachine:
    attrs = dict(attrs)
    power = attrs.pop("power_on", power_default)
    attrs.setdefault("hardware_profile", defs.DEFAULT_HARDWARE_PROFILE)
    attrs.setdefault("zone_name", defs.DEFAULT_ZONE)
    vm = state.add_vm(group, attrs.pop("name"), **attrs)
    vm.provisioning = True
    vm.pending_power = power
    return vm


def _start_provisioning(state: State, vm: VirtualMachine) -> None:
    if state.provision_delay <= 0:
        state.finish_provisioning(vm.id)
        return
    timer = threading.Timer(state.provision_delay, state.finish_provisioning, [vm.id])
    timer.daemon = True
    timer.start()


def create_bare(ctx: Ctx, group: Group):
    """POST .../virtual_machines: a machine without disc or image; 202."""
    body = ctx.json()
    if isinstance(body.get("virtual_machine"), dict):
        body = body["virtual_machine"]
    errors = Errors()
    attrs = vm_attrs(body, errors, creating=True)
    if "name" in attrs and name_taken(ctx.state, group.id, attrs["name"]):
        errors.add("name", "has already been taken")
    errors.raise_if_any()
    vm = _build(ctx.state, group, attrs, power_default=False)
    _start_provisioning(ctx.state, vm)
    return json_reply(202, vm_json(ctx.state, vm))


def _disc_specs(body: dict, errors: Errors) -> list[dict]:
    discs = body.get("discs")
    if discs is None:
        return []
    if not isinstance(discs, list):
        errors.add("discs", "is invalid")
        return []
    if len(discs) > defs.MAX_DISCS:
        errors.add("discs", f"too many (maximum is {defs.MAX_DISCS})")
        return []
    per_disc, specs, labels = [], [], set()
    for spec in discs:
        e = Errors()
        attrs = disc_attrs(spec, e, creating=True) if isinstance(spec, dict) else {}
        if not isinstance(spec, dict):
            e.add("base", "is invalid")
        if "label" in attrs:
            if attrs["label"] in labels:
                e.add("label", "has already been taken")
            labels.add(attrs["label"])
        per_disc.append(e.fields)
        specs.append(attrs)
    if any(per_disc):
        errors.fields["discs"] = per_disc
    for attrs in specs:
        if "label" not in attrs:
            attrs["label"] = free_label(labels)
            labels.add(attrs["label"])
    return specs


def vm_create(ctx: Ctx, group: Group):
    """POST .../vm_create: VM, discs and image in one go; 202."""
    body = ctx.json()
    errors = Errors()
    spec = body.get("virtual_machine")
    attrs: dict = {}
    if isinstance(spec, dict):
        attrs = vm_attrs(spec, errors, creating=True)
    else:
        errors.add("virtual_machine", "can't be blank" if spec is None else "is invalid")
    if "name" in attrs and name_taken(ctx.state, group.id, attrs["name"]):
        errors.add("name", "has already been taken")
    discs = _disc_specs(body, errors)
    reimage, echo = body.get("reimage"), None
    if isinstance(reimage, dict):
        echo = reimage_attrs(reimage, errors)
        if not discs and "discs" not in errors.fields:
            errors.add("reimage", "needs at least one disc")
    elif reimage is not None:
        errors.add("reimage", "is invalid")
    if body.get("ips") is not None:
        errors.add("ips", "only valid for private VLANs")
    errors.raise_if_any()
    state = ctx.state
    vm = _build(state, group, attrs, power_default=True)
    vm.pending_image = echo["distribution"] if echo else None
    created = []
    for d in discs:
        label, size = d["label"], d["size"]
        grade = d.get("storage_grade", defs.DEFAULT_STORAGE_GRADE)
        disc = state.add_disc(vm, label, size, grade, backup_schedules=[])
        for i, sched in enumerate(d.get("backup_schedules") or [], start=1):
            disc.backup_schedules.append({"id": disc.id * 100 + i, **sched})
        created.append(disc)
    _start_provisioning(state, vm)
    out = {"virtual_machine": vm_json(state, vm), "discs": [disc_json(d) for d in created]}
    if echo is not None:
        out["reimage"] = echo
    return json_reply(202, out)


def _check_update(ctx: Ctx, vm: VirtualMachine, attrs: dict) -> Group | None:
    """Refusals by state for a PUT; returns the target group of a move."""
    state = ctx.state
    undelete = attrs.get("deleted") is False
    if vm.provisioning:
        raise refuse("base", PROVISIONING)
    changes = {k for k in attrs if k != "deleted"}
    if vm.deleted and not undelete and changes:
        raise refuse("deleted", "the virtual machine is deleted; undelete it first")
    if "zone_name" in attrs and attrs["zone_name"] != vm.zone_name:
        raise refuse("zone_name", "cannot be changed")
    target = None
    if "group_id" in attrs:
        target = state.groups.get(attrs["group_id"])
        if target is None or state.access(ctx.user, target.account_id) != "admin":
            raise refuse("group_id", "is invalid")
    new_name = attrs.get("name", vm.name)
    new_group = target.id if target else vm.group_id
    if (new_name, new_group) != (vm.name, vm.group_id) and name_taken(
        state, new_group, new_name, vm.id
    ):
        raise refuse("name", "has already been taken")
    lowering = "memory" in attrs and attrs["memory"] < vm.memory
    if lowering and vm.power_on and attrs.get("power_on") is not False:
        raise refuse("memory", "cannot be lowered while the machine runs; power it off first")
    return target


def update_vm(ctx: Ctx, vm: VirtualMachine):
    """PUT .../virtual_machines/{vm}: partial update, power, move, undelete."""
    errors = Errors()
    attrs = vm_attrs(ctx.json(), errors, creating=False)
    errors.raise_if_any()
    target = _check_update(ctx, vm, attrs)
    state = ctx.state
    if attrs.pop("deleted", None) is False and vm.deleted:
        vm.deleted, vm.deleted_at = False, None
    power = attrs.pop("power_on", None)
    attrs.pop("appliance", None)
    attrs.pop("group_id", None)
    attrs.pop("zone_name", None)
    for key, value in attrs.items():
        setattr(vm, key, value)
    if target is not None:
        vm.group_id = target.id
    if power is True and not vm.power_on:
        state.power_on(vm)
    elif power is False and vm.power_on:
        state.power_off(vm)
        if vm.autoreboot_on:
            state.power_on(vm)
    return json_reply(200, vm_json(state, vm))


def delete_vm(ctx: Ctx, vm: VirtualMachine):
    """DELETE .../virtual_machines/{vm}[?purge=true]; 204."""
    if ctx.flag("purge"):
        ctx.state.purge(vm)
    else:
        ctx.state.soft_delete(vm)
    return no_content()


def _check_usable(vm: VirtualMachine) -> None:
    if vm.deleted:
        raise refuse("deleted", "the virtual machine is deleted")
    if vm.provisioning:
        raise refuse("base", PROVISIONING)


def reimage(ctx: Ctx, vm: VirtualMachine):
    """POST .../reimage: reinstall a powered-off VM, which then boots; 200 echo."""
    errors = Errors()
    echo = reimage_attrs(ctx.json(), errors)
    errors.raise_if_any()
    _check_usable(vm)
    if vm.power_on:
        raise refuse("power_on", "the virtual machine must be powered off to be reimaged")
    if not ctx.state.discs_of(vm.id):
        raise refuse("discs", "the virtual machine has no disc to image")
    vm.last_imaged_with = echo["distribution"]
    vm.autoreboot_on = False
    ctx.state.power_on(vm)
    return json_reply(200, echo)


def signal(ctx: Ctx, vm: VirtualMachine):
    """POST .../signal: powerdown, reset or sendkey to a running VM; 200 echo."""
    errors = Errors()
    echo = signal_attrs(ctx.json(), errors)
    errors.raise_if_any()
    _check_usable(vm)
    if not vm.power_on:
        raise refuse("power_on", "the virtual machine must be powered on to receive a signal")
    if echo["signal"] == "powerdown" and not vm.autoreboot_on:
        ctx.state.power_off(vm)
    return json_reply(200, echo)
