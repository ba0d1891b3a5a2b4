"""Errors: unknown objects give 404 everywhere; every documented constraint violated gives
400 with a field-level error hash and changes nothing."""

import json

import pytest
from schemathesis.core import NOT_SET

import spec
from conformance.judging import violations
from conformance.judging.verdict import expect, note, step
from conformance.run.provisioning import documented_attributes
from conformance.run.scenario import (
    expect_refused,
    expect_status,
    sample_requests,
    scenario,
    with_run_names,
)

API = spec.api()
SCHEMAS = API["components"]["schemas"]
# The messages of the documentation's own 400 example, by attribute (for error-wording).
DOCUMENTED_MESSAGES = spec.resolve(API, API["components"]["responses"]["ValidationFailed"])[
    "content"
]["application/json"]["examples"]["documentation"]["value"]


@scenario("0e5b7d29-unknown-objects-404", "errors.not-found", provisions=[{}])
def test_unknown_account_group_and_machine_are_404_everywhere(bigv, machines):
    """
    1. Create a machine (so only the unknown part of each path is wrong).
    2. Every operation with an unknown account: 404.
    3. Every operation with an unknown group: 404.
    4. Every machine operation with an unknown machine: 404.
    """
    missing = f"{bigv.prefix}-missing"
    with step("1. create"):
        machine = machines.create()
    for number, part in ((2, "account"), (3, "group"), (4, "virtual_machine")):
        for operation_id, path, body in sample_requests(machine["id"]):
            _, template, _ = spec.operations(API)[operation_id]
            if "{" + part + "}" not in template:
                continue
            with step(f"{number}. {operation_id} with an unknown {part}"):
                body = with_run_names(bigv.names, body)
                reply = bigv.api.call(operation_id, path=path | {part: missing}, body=body)
                expect_status(reply, 404, f"an unknown {part} is not found", by="not-found")


def _stated(violation):
    """The statement that makes a 400 required for this violation: the documentation's
    "bad values for known attributes give 400", where a statement states the constraint."""
    return "validation-hash" if violation.statement else None


def _expect_validation_error(reply, violation):
    """400, with an error hash naming the attribute whose value breaks the constraint."""
    expect_status(
        reply,
        400,
        f"{violation.field} must satisfy {violation.constraint}",
        by=_stated(violation),
        rests_on=violation.register,
    )
    field, constraint = violation.field, violation.constraint
    body = reply.json if isinstance(reply.json, dict) else {}
    expect(
        field in body,
        f"400 does not name the attribute {field!r}",
        f"The error hash must map the offending attribute to its messages; got {body}.",
        by=_stated(violation),
        rests_on=violation.register,
        exchange=reply.exchange.as_dict(),
    )
    documented = DOCUMENTED_MESSAGES.get(field) if constraint == "required" else None
    said = body.get(field)
    said = said if isinstance(said, list) else [said]
    if documented and not set(documented) & set(said):
        note(
            "error-wording",
            f"This target words its errors its own way: {field} {said}",
            f"A missing {field} is refused with {said}; the documentation's example says "
            f"{documented}.",
            exchange=reply.exchange.as_dict(),
        )


UPDATE_VIOLATIONS = [
    v for v in violations.for_component(API, "VirtualMachineUpdate") if v.constraint != "required"
]


@pytest.mark.parametrize(
    "violation",
    UPDATE_VIOLATIONS,
    ids=[v.id for v in UPDATE_VIOLATIONS],
)
@scenario("9a4c6e13-update-constraint-400", "errors.validation", provisions=[{}])
def test_update_breaking_a_constraint_is_400_and_changes_nothing(bigv, machines, violation):
    """
    1. Create a machine.
    2. PUT one attribute with a value that breaks its documented constraint: 400 naming it.
    3. The machine is unchanged.
    """
    with step("1. create"):
        machine = machines.create()
    with step(f"2. PUT {violation.field}={violation.value!r} ({violation.constraint})"):
        reply = bigv.api.call(
            "updateVirtualMachine",
            path={"virtual_machine": machine["id"]},
            body={violation.field: violation.value},
        )
        _expect_validation_error(reply, violation)
    with step("3. unchanged"):
        machines.expect_unchanged(machine, "update")


CREATE_VIOLATIONS = violations.for_component(API, "VirtualMachineCreate")


@pytest.mark.parametrize(
    "violation",
    CREATE_VIOLATIONS,
    ids=[v.id for v in CREATE_VIOLATIONS],
)
@scenario("5d8f2a47-create-constraint-400", "errors.validation")
def test_create_breaking_a_constraint_is_400_and_creates_nothing(bigv, machines, violation):
    """
    1. Create a machine with one attribute breaking its documented constraint (or a required
       one missing): 400 naming it.
    2. No machine of that name exists.
    """
    name = machines.name()
    body = {**documented_attributes(bigv.run.definitions), "name": name}
    if violation.constraint == "required":
        body.pop(violation.field)
    else:
        body[violation.field] = violation.value
    with step(f"1. create with {violation.field} {violation.constraint}"):
        reply = machines.send_create(body)
        _expect_validation_error(reply, violation)
    with step("2. nothing created"):
        listing = bigv.api.call("listVirtualMachines", query={"include_deleted": True})
        names = [item.get("name") for item in listing.json]
        expect(
            name not in names or violation.field == "name",
            "A refused create made a machine",
            f"{name!r} is listed after a 400.",
        )


ACTION_VIOLATIONS = [
    ("signalVirtualMachine", v) for v in violations.for_component(API, "Signal")
] + [("reimageVirtualMachine", v) for v in violations.for_component(API, "Reimage")]


def _action_machine(operation_id):
    """On for a signal; for a reimage off, with a disc and an image to replace."""
    if operation_id == "signalVirtualMachine":
        return {"power_on": True}
    return {"power_on": False, "imaged": True}


@pytest.mark.parametrize(
    ("operation_id", "violation"),
    ACTION_VIOLATIONS,
    ids=[f"{o}-{v.id}" for o, v in ACTION_VIOLATIONS],
)
@scenario(
    "7b1e9c50-action-constraint-400",
    "errors.validation",
    provisions=lambda operation_id, **_: [_action_machine(operation_id)],
)
def test_signal_and_reimage_breaking_a_constraint_are_400(bigv, machines, operation_id, violation):
    """
    1. Create a machine in the state the action needs (on for a signal, off for a reimage).
    2. Send the action with one attribute breaking its constraint: 400 naming it.
    3. The machine is unchanged.
    """
    signal = operation_id == "signalVirtualMachine"
    valid = (
        {"signal": "sendkey", "data": "ctrl-alt-delete"}
        if signal
        else {"distribution": bigv.run.definitions["distributions"][0], "root_password": "Pw-12345"}
    )
    body = dict(valid)
    if violation.constraint == "required":
        body.pop(violation.field, None)
    else:
        body[violation.field] = violation.value
    with step("1. create"):
        machine = machines.create(**_action_machine(operation_id))
    with step(f"2. {operation_id} with {violation.field} {violation.constraint}"):
        reply = bigv.api.call(
            operation_id, path={"virtual_machine": machine["id"]}, body=body if body else NOT_SET
        )
        _expect_validation_error(reply, violation)
    with step("3. unchanged"):
        machines.expect_unchanged(machine, "action")


def _expect_json_required(reply):
    """A body that does not come as application/json is refused (the spec chose 415)."""
    expect_refused(
        reply,
        "a body must come as application/json",
        preferred=415,
        rests_on="content-type-refusal-status",
        by="content-type-required",
    )


@scenario("c8e3f1a6-wrong-content-type", "errors.validation", provisions=[{}])
def test_a_body_that_is_not_json_by_its_content_type_is_refused(bigv, machines):
    """
    1. Create a machine.
    2. POST a create whose body is JSON but whose Content-Type is text/plain: refused (a
       4xx; the spec chose 415), nothing created.
    3. PUT an update the same way: refused, the machine unchanged.
    """
    with step("1. create"):
        machine = machines.create()
    name = machines.name()
    plain = {"Content-Type": "text/plain"}
    with step("2. create as text/plain"):
        reply = machines.send_create(
            json.dumps({**documented_attributes(bigv.run.definitions), "name": name}),
            headers=plain,
            media_type="text/plain",
        )
        _expect_json_required(reply)
    with step("3. update as text/plain"):
        reply = bigv.api.call(
            "updateVirtualMachine",
            path={"virtual_machine": machine["id"]},
            body=json.dumps({"cores": machine["cores"] + 1}),
            headers=plain,
            media_type="text/plain",
        )
        _expect_json_required(reply)
        machines.expect_unchanged(machine, "update", by="content-type-required")


TOO_LARGE = 2 * 1024 * 1024  # bytes: over the reference emulator's limit (1 MiB)
# the operations that document 413 (those with a body), and which need a machine or a disc
LIMITED = [
    (operation_id, template)
    for operation_id, (_, template, operation) in spec.operations(API).items()
    if "413" in operation["responses"]
]


def _needs_machine(operation_id, **_):
    template = dict(LIMITED)[operation_id]
    return [{}] if "{virtual_machine}" in template else []


@pytest.mark.parametrize("operation_id", [o for o, _ in LIMITED])
@scenario("e6b2d9f4-body-too-large", "errors.validation", provisions=_needs_machine)
def test_a_very_large_body_is_refused_and_changes_nothing(bigv, machines, operation_id):
    """
    1. Create a machine (for an operation on one), and a disc (for an operation on one).
    2. Send the operation's fullest documented body, padded to 2 MiB with an unknown
       attribute: never a server error; the spec chose 413 (the documentation is silent on
       limits).
    3. Refused, it changed nothing: the machine, its discs, the groups and the group's
       machines read as before.
    """
    machine_id, disc = None, None
    if _needs_machine(operation_id):
        with step("1. create"):
            machine_id = machines.create()["id"]
        if "{disc}" in dict(LIMITED)[operation_id]:
            made = bigv.api.call(
                "createDisc",
                path={"virtual_machine": machine_id},
                body={
                    "label": "big",
                    "storage_grade": bigv.run.definitions["storage_grades"][0],
                    "size": 25600,
                },
            )
            expect_status(made, 201, "a disc to resize", by="created")
            disc = made.json["id"]
    ((_, path, body),) = [
        request
        for request in sample_requests(machine_id or 1, **({"disc": disc} if disc else {}))
        if request[0] == operation_id
    ]
    before = _own_state(bigv, machine_id)
    with step(f"2. {operation_id} of 2 MiB"):
        padded = {**with_run_names(bigv.names, body), "padding": "x" * TOO_LARGE}
        reply = bigv.api.call(operation_id, path=path, body=padded)
        created = reply.json if 200 <= reply.status < 300 else None
        _forget(bigv, machines, operation_id, created)
        expect_status(
            reply,
            413,
            "a body larger than the target takes is refused",
            rests_on="body-size-limit",
            stop=False,
        )
    if 400 <= reply.status < 500:
        with step("3. unchanged"):
            after = _own_state(bigv, machine_id)
            made = _made(bigv, operation_id, padded)
            expect(
                after == before and not made,
                f"A refused {operation_id} changed something",
                f"before -> after: {before} -> {after}; made: {made}",
            )


def _own_state(bigv, machine_id):
    """The scenario's machine and its discs (documented attributes), if it has one."""
    if machine_id is None:
        return {}
    state = {}
    for operation_id in ("getVirtualMachine", "listDiscs"):
        reply = bigv.api.call(operation_id, path={"virtual_machine": machine_id})
        expect_status(reply, 200, "reading back", by="get-ok")
        state[operation_id] = _documented(operation_id, reply.json)
    return state


def _made(bigv, operation_id, body):
    """The new machine or group a refused create made anyway, by its name."""
    listing = {"createGroup": "listGroups"}.get(operation_id, "listVirtualMachines")
    names = {body.get("name"), (body.get("virtual_machine") or {}).get("name")} - {None}
    if operation_id not in ("createGroup", "createVirtualMachine", "createVirtualMachineSpec"):
        return []
    reply = bigv.api.call(listing, query={"include_deleted": True})
    items = reply.json if isinstance(reply.json, list) else []
    return [item for item in items if isinstance(item, dict) and item.get("name") in names]


def _documented(operation_id, answer):
    """An answer with only the attributes its schema documents (the target's own aside)."""
    _, _, operation = spec.operations(API)[operation_id]
    schema = spec.resolve(API, operation["responses"]["200"])["content"]["application/json"]
    schema = spec.resolve(API, schema["schema"])
    schema = spec.resolve(API, schema.get("items", schema))
    names = set(schema.get("properties", {}))
    items = answer if isinstance(answer, list) else [answer]
    return [
        {key: item.get(key) for key in sorted(names)} for item in items if isinstance(item, dict)
    ]


def _forget(bigv, machines, operation_id, created):
    """What a target that took the body anyway created is removed with the scenario's."""
    if not isinstance(created, dict):
        return
    if operation_id in ("createVirtualMachine", "createVirtualMachineSpec"):
        machine = created.get("virtual_machine", created)
        if isinstance(machine, dict) and "id" in machine:
            machines.track(machine)
    elif operation_id == "createGroup" and "id" in created:
        bigv.ledger.add("group", created["id"], name=created.get("name"))
