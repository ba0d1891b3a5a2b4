"""What the kinds of fault read of the spec, and the helpers they share."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema

import spec
from tests.faults.proxy import Request, Response, Upstream, json_response

API = spec.api()
DEFINITIONS = spec.definitions_table(API)

# written again, not imported from the suite's checks: faults are defined apart from the suite
VM_OPERATIONS = {
    "listVirtualMachines",
    "getVirtualMachine",
    "createVirtualMachine",
    "updateVirtualMachine",
    "createVirtualMachineSpec",
}
MACHINE_PATH = "/accounts/{account}/groups/{group}/virtual_machines/{virtual_machine}"
TAKEN = "has already been taken"


# -- helpers -----------------------------------------------------------------------------------


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()
    for format_name, section in API["x-definition-formats"].items():
        values = DEFINITIONS[section]
        if format_name == "bigv-sendkeys":
            keys = set(values)
            checker.checks(format_name)(
                lambda value, keys=keys: (
                    not isinstance(value, str) or all(key in keys for key in value.split("-"))
                )
            )
        else:
            allowed = set(values)
            checker.checks(format_name)(
                lambda value, allowed=allowed: not isinstance(value, str) or value in allowed
            )
    return checker


FORMATS = _format_checker()


@functools.cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": API["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=FORMATS)


def valid(schema_name: str, body: Any) -> bool:
    """Whether a request body satisfies the spec's schema (and the definitions formats)."""
    return _validator(schema_name).is_valid(body)


def machine_path(request: Request) -> str | None:
    """The path of the machine a request addresses (None when it addresses none)."""
    parameters = request.parameters
    if "virtual_machine" not in parameters:
        return None
    return MACHINE_PATH.format(
        **{key: parameters[key] for key in ("account", "group")},
        virtual_machine=parameters["virtual_machine"],
    )


def read_machine(request: Request, upstream: Upstream) -> dict[str, Any] | None:
    """The machine the request addresses, as the upstream shows it now (deleted ones too)."""
    path = machine_path(request)
    if path is None:
        return None
    reply = upstream.get(request, path, "include_deleted=true")
    return reply.json if reply.status == 200 and isinstance(reply.json, dict) else None


def machines_in(operation: str | None, body: Any) -> list[dict[str, Any]]:
    """The machine objects a 2xx JSON body of a VM operation carries."""
    if operation == "createVirtualMachineSpec" and isinstance(body, dict):
        body = body.get("virtual_machine")
    items = body if isinstance(body, list) else [body]
    return [item for item in items if isinstance(item, dict) and "id" in item]


def is_success(response: Response) -> bool:
    return 200 <= response.status < 300


def refused_by_state(response: Response) -> bool:
    """A 400 that names a state attribute (the rules' refusal), not a bad value."""
    body = response.json
    return response.status == 400 and isinstance(body, dict) and "power_on" in body


def echo(request: Request) -> Response:
    """What signal and reimage answer: the request echoed, without the root password."""
    body = request.json if isinstance(request.json, dict) else {}
    return json_response(200, {k: v for k, v in body.items() if k != "root_password"})
