"""The suite's own checks: one registry, each a small function that raises a titled failure.

They are registered with schemathesis (`@schemathesis.check`), so the property runs, the
stateful runs and the scenarios judge every response through them alike. Each check names
the capability of the spec (`x-capabilities`) it proves; schemathesis' built-in checks prove
the capability of the operation they ran on, except those listed in BUILTIN_CAPABILITIES.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import schemathesis
from schemathesis.core.failures import Failure

import spec
from conformance.judging import register, tiers
from conformance.judging.predictions import lifecycle
from conformance.target import context

API = spec.api()
UPDATE_FIELDS = set(API["components"]["schemas"]["VirtualMachineUpdate"]["properties"])
CREATE_FIELDS = set(API["components"]["schemas"]["VirtualMachineCreate"]["properties"])
VM_OPERATIONS = {
    "listVirtualMachines",
    "getVirtualMachine",
    "createVirtualMachine",
    "updateVirtualMachine",
    "createVirtualMachineSpec",
}

# check name -> the capability it proves (our checks, and built-ins that prove something
# other than their operation's capability)
CAPABILITIES: dict[str, str] = {}
BUILTIN_CAPABILITIES = {
    "ignored_auth": "auth.basic",
    "missing_required_header": "auth.basic",
}


class RuleViolation(Failure):
    """A response breaks a documented rule of the API (not only its shape). `attribute` and
    `part` say what it is about (for the register's conditions, judging.classify)."""

    code = "BV901"
    kind_title = "Documented rule broken"

    def __init__(
        self,
        *,
        operation: str | None,
        title: str,
        message: str,
        attribute: str | None = None,
        part: str | None = None,
    ) -> None:
        super().__init__(operation=operation, title=title, message=message)
        self.attribute = attribute
        self.part = part


def registered(capability: str) -> Callable:
    """Register a check with schemathesis, naming the capability it proves."""

    def register(check: Callable) -> Callable:
        CAPABILITIES[check.__name__] = capability
        return schemathesis.check(check)

    return register


# Operations whose answers carry virtual machines: their schema check proves vm.attributes.
MACHINE_CAPABILITIES = {"vm.list", "vm.read", "vm.create", "vm.update"}


def capability_of(check_name: str, operation_capability: str | None) -> str | None:
    """The capability a failure or pass of `check_name` speaks about."""
    if check_name in SCHEMA_CHECKS and operation_capability in MACHINE_CAPABILITIES:
        return "vm.attributes"
    return (
        CAPABILITIES.get(check_name) or BUILTIN_CAPABILITIES.get(check_name) or operation_capability
    )


def _operation_id(case: Any) -> str | None:
    return case.operation.definition.raw.get("operationId")


def _json(response: Any) -> Any:
    try:
        return response.json()
    except (ValueError, TypeError):
        return None


def _machines(operation_id: str | None, body: Any) -> Iterator[dict[str, Any]]:
    """The virtual machines a 2xx body of a VM operation carries."""
    if operation_id == "createVirtualMachineSpec" and isinstance(body, dict):
        body = body.get("virtual_machine")
    items = body if isinstance(body, list) else [body]
    yield from (item for item in items if isinstance(item, dict))


def _fail(case: Any, title: str, message: str, **about: str) -> None:
    raise RuleViolation(operation=case.operation.label, title=title, message=message, **about)


def hostname_problem(
    machine: dict[str, Any], group: str, account: str, cluster_domain: str | None, url: str | None
) -> tuple[str, str, str] | None:
    """What is wrong with a machine's hostname, as (part, title, message), or None.

    `part` is `prefix` when it is not `name.group.account.`, `domain` when only the domain
    differs from the one expected: the --cluster-domain given, or else the target URL's host
    (the original page's example is for uk0.bigv.io). Which domain a target at another host
    uses is left open by the record (register entry cluster-domain)."""
    name = machine.get("name")
    hostname = machine.get("hostname")
    prefix = lifecycle.hostname(str(name), group, account, "")
    if not isinstance(hostname, str) or not hostname.startswith(prefix):
        return (
            "prefix",
            "Hostname is not name.group.account.cluster-domain",
            f"Virtual machine {machine.get('id')!r} is named {name!r} in group {group!r} of "
            f"account {account!r}, so its hostname must start {prefix!r}; the response says "
            f"{hostname!r}.",
        )
    domain = hostname[len(prefix) :]
    if cluster_domain is not None:
        if domain == cluster_domain:
            return None
        return (
            "prefix",
            "Hostname is not name.group.account.cluster-domain",
            f"Virtual machine {machine.get('id')!r}: its hostname must be "
            f"{prefix + cluster_domain!r} (--cluster-domain {cluster_domain}); the response says "
            f"{hostname!r}.",
        )
    host = urlsplit(url or "").hostname
    if domain == host:
        return None
    return (
        "domain",
        f"Hostnames end in {domain!r}, not in the target's host",
        f"This target's hostnames end in {domain!r} (e.g. {hostname!r}), not in the URL's host "
        f"{host!r}. The documentation is silent on the domain of a target that is not "
        f"uk0.bigv.io; run with --cluster-domain {domain} to check hostnames exactly.",
    )


@registered("vm.hostname")
def vm_hostname_derivation(ctx: Any, response: Any, case: Any) -> None:
    """hostname is name.group.account.cluster-domain for machines of the target's group."""
    run = context.current()
    operation_id = _operation_id(case)
    if run is None or operation_id not in VM_OPERATIONS or not 200 <= response.status_code < 300:
        return
    for machine in _machines(operation_id, _json(response)):
        name = machine.get("name")
        if not isinstance(name, str) or machine.get("group_id") != run.group_id:
            continue
        if "hostname" not in machine:  # whether it must be there is the schema's to judge
            continue
        problem = hostname_problem(
            machine, run.group_name, run.account_name, run.target.cluster_domain, run.url
        )
        if problem is not None:
            part, title, message = problem
            _fail(case, title, message, attribute="hostname", part=part)


@registered("vm.read")
def vm_read_by_id(ctx: Any, response: Any, case: Any) -> None:
    """A machine read by its id answers that machine (the id it was addressed by)."""
    if _operation_id(case) != "getVirtualMachine" or not 200 <= response.status_code < 300:
        return
    addressed = str((case.path_parameters or {}).get("virtual_machine", ""))
    machine = _json(response)
    if not addressed.isdigit() or not isinstance(machine, dict) or "id" not in machine:
        return
    if str(machine["id"]) != addressed:
        _fail(
            case,
            "Reading a machine by id answers another machine",
            f"GET of virtual machine {addressed} answered virtual machine {machine['id']!r} "
            f"({machine.get('name')!r}).",
        )


@registered("vm.power")
def vm_head_follows_power(ctx: Any, response: Any, case: Any) -> None:
    """head names a host while the machine runs and is null while it is off."""
    operation_id = _operation_id(case)
    if operation_id not in VM_OPERATIONS or not 200 <= response.status_code < 300:
        return
    for machine in _machines(operation_id, _json(response)):
        if not isinstance(machine.get("power_on"), bool) or "head" not in machine:
            continue
        should_be_set = lifecycle.head_is_set(machine)
        if should_be_set != (machine["head"] is not None):
            state = "on" if machine["power_on"] else "off"
            _fail(
                case,
                "head does not follow power_on",
                f"Virtual machine {machine.get('id')!r} has power_on={machine['power_on']} "
                f"(it is {state}), so head must be "
                f"{'a host name' if should_be_set else 'null'}; it is {machine['head']!r}.",
            )


def _expect_applied(
    check: str, case: Any, sent: dict, answered: dict, fields: set[str], title: str, action: str
) -> None:
    """Fail when the answered machine lacks an attribute value the request sent."""
    wrong = [
        (key, value, answered[key])
        for key, value in sent.items()
        if key in fields and key in answered and answered[key] != value
    ]
    if wrong:
        # an attribute the documentation states first: one resting on a register entry
        # (keymap) is named only when it is the only one wrong
        covered = register.attribute_entries(check)
        key, value, got = sorted(wrong, key=lambda item: item[0] in covered)[0]
        _fail(
            case,
            title,
            f"{action} sent {key}={value!r}, but the machine it answered has {key}={got!r}.",
            attribute=key,
        )


@registered("vm.update")
def vm_update_applied(ctx: Any, response: Any, case: Any) -> None:
    """A 200 to PUT answers the machine with every plain attribute as it was sent."""
    if _operation_id(case) != "updateVirtualMachine" or response.status_code != 200:
        return
    body, sent = _json(response), case.body
    if not isinstance(body, dict) or not isinstance(sent, dict):
        return
    fields = UPDATE_FIELDS - lifecycle.controlled_attributes("updateVirtualMachine")
    _expect_applied(
        "vm_update_applied",
        case,
        sent,
        body,
        fields,
        "Update not applied",
        "PUT is a partial update: every attribute sent must change. It answered 200 and",
    )


@registered("vm.create")
def vm_created_as_requested(ctx: Any, response: Any, case: Any) -> None:
    """A 202 to a create answers the machine with the attributes it was asked for."""
    operation_id = _operation_id(case)
    if operation_id not in {"createVirtualMachine", "createVirtualMachineSpec"}:
        return
    if response.status_code != 202 or not isinstance(case.body, dict):
        return
    sent = case.body if operation_id == "createVirtualMachine" else case.body.get("virtual_machine")
    machine = next(_machines(operation_id, _json(response)), None)
    if not isinstance(sent, dict) or machine is None:
        return
    fields = CREATE_FIELDS - set(lifecycle.provisioning_state()) - {"power_on"}
    _expect_applied(
        # each check states its case for _expect_applied: alike in shape only
        "vm_created_as_requested",
        case,
        sent,
        machine,
        fields,
        "Created machine differs from the request",
        "The create answered 202 and",
    )


@registered("vm.signal")
def action_echoed(ctx: Any, response: Any, case: Any) -> None:
    """A 200 to a signal or reimage echoes what was sent."""
    operation_id = _operation_id(case)
    key = {"signalVirtualMachine": "signal", "reimageVirtualMachine": "distribution"}.get(
        operation_id or ""
    )
    if key is None or response.status_code != 200 or not isinstance(case.body, dict):
        return
    body = _json(response)
    if isinstance(body, dict) and key in case.body and body.get(key) != case.body[key]:
        _fail(
            case,
            "Echo differs from the request",
            f"The request sent {key}={case.body[key]!r}; the 200 answer echoes "
            f"{key}={body.get(key)!r}.",
        )


# -- what the official clients need of an answer (capability `clients`, advisory) -----------

# The statuses the official Go client turns into errors it explains (record §7); any other
# non-2xx status it reports as an unknown error, asking for a bug report.
GO_CLIENT_STATUSES = frozenset({400, 401, 403, 404, 500, 503})
# The media types the official Python library reads (record §1).
PYTHON_CLIENT_MEDIA_TYPES = re.compile(r"^application/(vnd\.bigv\..*\+)?json$")
# The operations where the Go client decodes a 2xx body as a result (record §7: GET,
# vm_create, ...); elsewhere it accepts any body.
API_OPERATIONS = frozenset(spec.operations(API))
GO_CLIENT_DECODES = frozenset(
    {
        operation_id
        for operation_id, (method, _, _) in spec.operations(API).items()
        if method == "GET"
    }
    | {"createVirtualMachineSpec"}
)


# A body larger than the official clients ever send (their largest is a vm_create)
CLIENT_BODY_LIMIT = 64 * 1024


def _as_clients_send(case: Any, response: Any) -> bool:
    """Whether the request is one the official clients send: the operation's own method, a
    JSON body of a client's size (if any) that keeps the spec, and its parameters."""
    request = getattr(response, "request", None)
    sent = getattr(request, "method", None) or case.method
    if str(sent).upper() != str(case.operation.method).upper():
        return False
    body = getattr(request, "body", None) or b""
    sent_type = media_type(getattr(request, "headers", None) or {})
    if body and (len(body) > CLIENT_BODY_LIMIT or sent_type != "application/json"):
        return False
    return tiers.request_valid(tiers.Sent.of(case))


@registered("clients")
def go_client_understands_status(ctx: Any, response: Any, case: Any) -> None:
    """A request as the clients send it is answered with a status the Go client explains."""
    status = response.status_code
    if 200 <= status < 300 or status in GO_CLIENT_STATUSES or not _as_clients_send(case, response):
        return
    _fail(
        case,
        f"The official Go client cannot read a {status}",
        f"{case.operation.label} answered {status}. The official Go client explains 400, 401, "
        f"403, 404, 500 and 503 and reports any other status as an unknown error ('Please "
        f"send a bug report'), so its users cannot tell what went wrong.",
    )


@registered("clients")
def python_client_reads_media_type(ctx: Any, response: Any, case: Any) -> None:
    """A successful answer of the API with a body carries a media type the Python library
    reads (the auth service answers its tokens as text, as the record says)."""
    found = media_type(response.headers)
    if not 200 <= response.status_code < 300 or not response.content:
        return
    if _operation_id(case) not in API_OPERATIONS:
        return
    if not PYTHON_CLIENT_MEDIA_TYPES.match(found):
        _fail(
            case,
            f"The official Python library cannot read {found or 'an answer without a type'}",
            f"{case.operation.label} answered {response.status_code} as {found!r}; the Python "
            f"library reads only media types matching {PYTHON_CLIENT_MEDIA_TYPES.pattern}.",
        )


@registered("clients")
def go_client_decodes_result(ctx: Any, response: Any, case: Any) -> None:
    """Where the Go client wants a result (GET, vm_create), a 2xx body is JSON."""
    if _operation_id(case) not in GO_CLIENT_DECODES or not 200 <= response.status_code < 300:
        return
    try:
        json.loads(response.content or b"")
    except ValueError:
        _fail(
            case,
            "The official Go client cannot decode the result",
            f"{case.operation.label} answered {response.status_code} with a body that is not "
            f"JSON; the Go client decodes the result of this call and fails.",
        )


# The vendor JSON types the record allows: the condition of register entry vendor-media-types.
VENDOR_JSON = next(
    cover.media_type
    for cover in register.check_covers()["content_type_conformance"]
    if cover.entry == "vendor-media-types"
)


def vendor_type_schema_conformance(ctx: Any, response: Any, case: Any) -> None:
    """An answer in a vendor JSON type matches the schema documented for application/json.

    `application/vnd.bigv.*+json` is what the official Python library accepts besides
    application/json (record §1). schemathesis validates only documented media types, so
    without this check such a body would go unjudged."""
    if VENDOR_JSON is None or not VENDOR_JSON.search(media_type(response.headers)):
        return
    as_json = copy.copy(response)
    as_json.headers = {
        **{key: value for key, value in response.headers.items() if key.lower() != "content-type"},
        "content-type": ["application/json"],
    }
    case.operation.validate_response(as_json, case=case)


schemathesis.check(vendor_type_schema_conformance)
# Checks whose failure means the answer is about something else than the step asked for: the
# step cannot go on (a scenario goes on past any other failure, recorded as it is).
STOPS_THE_STEP = {"vm_read_by_id"}
# Checks whose failures are schema failures of the answer (judged by the spec's tiers).
SCHEMA_CHECKS = {"response_schema_conformance", "vendor_type_schema_conformance"}


def media_type(headers: Any) -> str:
    """The media type of a response's Content-Type, lowercased, without parameters."""
    value = ""
    for key, values in (headers or {}).items():
        if key.lower() == "content-type":
            value = values[0] if isinstance(values, list | tuple) else values
    return str(value).split(";", 1)[0].strip().lower()


# The checks that judge one response without sending anything (scenarios use these).
RESPONSE_ONLY_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "vendor_type_schema_conformance",
)


def response_checks() -> list[Callable]:
    """Built-in response-only checks plus every check of this registry."""
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    names = [*RESPONSE_ONLY_CHECKS, *CAPABILITIES]
    return [CHECKS.get_one(name) for name in names]


_AUTH_CONFIRMED: set[str] = set()  # operations this process saw refuse missing/invalid auth


def ignored_auth(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' own ignored_auth, remembering (as `st run` does for its whole run)
    the operations already shown to refuse missing and invalid credentials: the probes go
    out once per operation and process, not after every successful request."""
    from schemathesis.specs.openapi.checks import ignored_auth as builtin

    if ctx.auth_enforced_operations is None:
        ctx.auth_enforced_operations = _AUTH_CONFIRMED
    return builtin(ctx, response, case)


def generated_case_checks() -> dict[str, list[Callable]]:
    """The keyword arguments of `validate_response` for generated cases (property and
    stateful runs): every enabled check, ignored_auth as above."""
    from schemathesis.specs.openapi.checks import ignored_auth as builtin

    return {"excluded_checks": [builtin], "additional_checks": [ignored_auth]}
