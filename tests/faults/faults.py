"""The kinds of fault the catalogue is made of: small subclasses of `proxy.Fault`.

Each kind changes what a faithful emulator answers in one way, through the proxy only:
the shape of a machine, a status code, a content type, an error body, a behaviour (an
update lost, a delete that does nothing, ...), a state rule, validation, authentication,
robustness; and the harmless variations a conforming target may show. `catalogue.py`
names instances of these kinds and says what must catch each.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import jsonschema

import spec
from tests.faults.proxy import (
    Fault,
    Request,
    Response,
    Upstream,
    empty_response,
    json_response,
)

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


# -- response shapes ---------------------------------------------------------------------------


@dataclass
class MachineFields(Fault):
    """Every machine in a successful VM response changed by `change` (a copy is given)."""

    change: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda vm: vm)
    operations: frozenset[str] = frozenset(VM_OPERATIONS)

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        if request.operation not in self.operations or not is_success(response):
            return response
        body = response.json
        if body is None:
            return response
        for machine in machines_in(request.operation, body):
            changed = self.change(dict(machine))
            machine.clear()
            machine.update(changed)
        return response.with_json(body)


@dataclass
class ReshapeBody(Fault):
    """The whole body of successful responses of `operations` replaced by `reshape(body)`."""

    reshape: Callable[[Any], Any] = field(default=lambda body: body)
    operations: frozenset[str] = frozenset()

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        if request.operation not in self.operations or not is_success(response):
            return response
        return response.with_json(self.reshape(response.json))


# -- status codes, content types, error bodies -----------------------------------------------


@dataclass
class Restatus(Fault):
    """Responses of `operations` with status `old` answered with `new` (and `body`)."""

    operations: frozenset[str] = frozenset()
    old: int = 200
    new: int = 200
    body: Any = None  # None: keep the body (204: no body)
    when: Callable[[Response], bool] = field(default=lambda response: True)

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        if request.operation not in self.operations or response.status != self.old:
            return response
        if not self.when(response):
            return response
        if self.new == 204:
            return empty_response(204)
        if self.body is not None:
            return json_response(self.new, self.body)
        return dataclasses.replace(response, status=self.new)


@dataclass
class Retype(Fault):
    """Responses of `operations` whose status is in `statuses` get another Content-Type."""

    operations: frozenset[str] = frozenset(VM_OPERATIONS)
    statuses: frozenset[int] = frozenset({200, 202})
    content_type: str | None = "text/plain"
    text_body: bool = False  # also turn a JSON error hash into one line of text

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        if request.operation not in self.operations or response.status not in self.statuses:
            return response
        if self.text_body and isinstance(response.json, dict):
            lines = [
                f"{key} {message}"
                for key, messages in response.json.items()
                for message in (messages if isinstance(messages, list) else [messages])
            ]
            response = dataclasses.replace(response, body="; ".join(lines).encode())
        return response.with_header("Content-Type", self.content_type)


@dataclass
class ErrorBody(Fault):
    """400 bodies of VM operations rewritten by `rewrite(error_hash)`."""

    rewrite: Callable[[dict[str, Any]], Any] = field(default=lambda errors: errors)
    operations: frozenset[str] = frozenset(
        VM_OPERATIONS | {"reimageVirtualMachine", "signalVirtualMachine"}
    )

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        if request.operation not in self.operations or response.status != 400:
            return response
        if not isinstance(response.json, dict):
            return response
        return response.with_json(self.rewrite(response.json))


# -- behaviour -------------------------------------------------------------------------------


@dataclass
class LostUpdate(Fault):
    """A valid PUT answers 200 with the values sent merged into the machine, and is dropped."""

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        if request.operation != "updateVirtualMachine" or not valid(
            "VirtualMachineUpdate", request.json
        ):
            return request
        machine = read_machine(request, upstream)
        if machine is None or machine.get("deleted"):
            return request
        return json_response(200, machine | request.json)


@dataclass
class SwallowAction(Fault):
    """A valid request of `operation` that the rules allow is answered as done, and dropped."""

    operation: str = "deleteVirtualMachine"
    schema: str | None = None  # the request body's schema
    allowed: Callable[[dict[str, Any], Request], bool] = field(default=lambda vm, request: True)
    answer: Callable[[Request], Response] = field(default=lambda request: empty_response(204))

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        if request.operation != self.operation:
            return request
        if self.schema is not None and not valid(self.schema, request.json):
            return request
        machine = read_machine(request, upstream)
        if machine is None or machine.get("deleted") or not self.allowed(machine, request):
            return request
        return self.answer(request)


def echo(request: Request) -> Response:
    """What signal and reimage answer: the request echoed, without the root password."""
    body = request.json if isinstance(request.json, dict) else {}
    return json_response(200, {k: v for k, v in body.items() if k != "root_password"})


def purging(request: Request) -> bool:
    return request.params.get("purge", "").lower() == "true"


def include_deleted_false(request: Request) -> bool:
    return request.params.get("include_deleted", "").lower() == "false"


@dataclass
class StripFromRequest(Fault):
    """Requests of `operation` forwarded without `query` parameters / `attributes` of the
    body, or with `add_query` (the answer is the upstream's)."""

    operation: str = ""
    attributes: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    add_query: tuple[tuple[str, str], ...] = ()
    when: Callable[[Request], bool] = field(default=lambda request: True)

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        if request.operation != self.operation or not self.when(request):
            return request
        if self.query or self.add_query:
            changes: dict[str, str | None] = dict.fromkeys(self.query)
            changes.update(dict(self.add_query))
            request = request.with_params(**changes)
        body = request.json
        if self.attributes and isinstance(body, dict):
            request = request.with_json({k: v for k, v in body.items() if k not in self.attributes})
        return request


@dataclass
class DropNewestFromList(Fault):
    """The list of a group leaves out its newest machine (the highest id)."""

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        body = response.json
        if request.operation != "listVirtualMachines" or response.status != 200:
            return response
        if not isinstance(body, list) or not body:
            return response
        newest = max(body, key=lambda vm: vm.get("id", 0) if isinstance(vm, dict) else 0)
        return response.with_json([vm for vm in body if vm is not newest])


@dataclass
class DuplicateNames(Fault):
    """A create refused because the name is taken is made under another name, answered
    (then and afterwards) with the name asked for."""

    aliases: dict[int, tuple[str, str]] = field(default_factory=dict, init=False, repr=False)
    counter: Any = field(default_factory=itertools.count, init=False, repr=False)
    lock: Any = field(default_factory=threading.Lock, init=False, repr=False)

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        body, errors = request.json, response.json
        if (
            request.operation == "createVirtualMachine"
            and response.status == 400
            and isinstance(body, dict)
            and isinstance(body.get("name"), str)
            and isinstance(errors, dict)
            and TAKEN in json.dumps(errors.get("name", ""))
        ):
            with self.lock:
                alias = f"{body['name'][:50]}-dup{next(self.counter)}"
            retried = upstream.send(request.with_json(body | {"name": alias}))
            if retried.status == 202 and isinstance(retried.json, dict):
                with self.lock:
                    self.aliases[retried.json["id"]] = (alias, body["name"])
                response = retried
        if request.operation not in VM_OPERATIONS or not is_success(response):
            return response
        data = response.json
        changed = False
        for machine in machines_in(request.operation, data):
            alias = self.aliases.get(machine["id"])
            if alias and machine.get("name") == alias[0]:
                machine["name"] = alias[1]
                machine["hostname"] = str(machine.get("hostname", "")).replace(
                    alias[0], alias[1], 1
                )
                changed = True
        return response.with_json(data) if changed else response


@dataclass
class StaleHostname(Fault):
    """A machine's hostname is the one it was first answered with, whatever it is renamed."""

    first: dict[int, str] = field(default_factory=dict, init=False, repr=False)
    lock: Any = field(default_factory=threading.Lock, init=False, repr=False)

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        if request.operation not in VM_OPERATIONS or not is_success(response):
            return response
        data = response.json
        with self.lock:
            for machine in machines_in(request.operation, data):
                if isinstance(machine.get("hostname"), str):
                    machine["hostname"] = self.first.setdefault(machine["id"], machine["hostname"])
        return response.with_json(data)


@dataclass
class ReadAnotherMachine(Fault):
    """Reading one machine answers another machine of the group (the oldest one)."""

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        if request.operation != "getVirtualMachine" or response.status != 200:
            return response
        parameters = request.parameters
        listing = upstream.get(
            request,
            f"/accounts/{parameters['account']}/groups/{parameters['group']}/virtual_machines",
        )
        machines = listing.json if listing.status == 200 and isinstance(listing.json, list) else []
        if not machines:
            return response
        return response.with_json(min(machines, key=lambda vm: vm["id"]))


@dataclass
class StopThenReimage(Fault):
    """Reimage of a running machine is not refused: the machine is stopped and reimaged."""

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        if request.operation != "reimageVirtualMachine" or not valid("Reimage", request.json):
            return request
        machine = read_machine(request, upstream)
        path = machine_path(request)
        if machine and path and machine.get("power_on") and not machine.get("deleted"):
            stop = Request("PUT", path, "", request.headers, b"").with_json(
                {"autoreboot_on": False, "power_on": False}
            )
            upstream.send(stop.with_header("Content-Type", "application/json"))
        return request


# -- validation ----------------------------------------------------------------------------------


@dataclass
class IgnoreInvalid(Fault):
    """A request of `operations` refused for bad values is sent again without the attributes
    the error names (and a valid name instead of a bad one); that answer is given."""

    operations: frozenset[str] = frozenset({"updateVirtualMachine"})
    counter: Any = field(default_factory=itertools.count, init=False, repr=False)

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        body = request.json
        if request.operation not in self.operations or response.status != 400:
            return response
        errors = response.json
        if not isinstance(body, dict) or not isinstance(errors, dict) or refused_by_state(response):
            return response
        if any(TAKEN in json.dumps(messages) for messages in errors.values()):
            return response
        fixed = {key: value for key, value in body.items() if key not in errors}
        if request.operation == "createVirtualMachine" and "name" in errors:
            fixed["name"] = f"lenient{next(self.counter)}-{int(time.time() * 1000) % 100000}"
        retried = upstream.send(request.with_json(fixed))
        return retried if is_success(retried) else response


@dataclass
class AcceptInvalidAction(Fault):
    """A signal or reimage refused for bad values is answered 200, echoing the request."""

    operations: frozenset[str] = frozenset({"signalVirtualMachine"})

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        if request.operation not in self.operations or response.status != 400:
            return response
        if refused_by_state(response) or not isinstance(request.json, dict):
            return response
        return echo(request)


# -- authentication --------------------------------------------------------------------------


@dataclass
class InjectCredentials(Fault):
    """Requests whose credentials `needs_help` dislikes are sent with good ones instead."""

    user: str = "alice"
    password: str = "secret"
    otp: str = "cccccbcdefghijklnrtuvcbdefghijklnrtuv"
    needs_help: Callable[[Request, str], bool] = field(default=lambda request, good: False)

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        pair = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        good = f"Basic {pair}"
        if not self.needs_help(request, good):
            return request
        return request.with_header("Authorization", good).with_header("X-Yubikey-Otp", self.otp)


def no_credentials(request: Request, good: str) -> bool:
    return not request.header("Authorization")


def wrong_basic_credentials(request: Request, good: str) -> bool:
    header = request.header("Authorization") or ""
    return header.lower().startswith("basic ") and header != good


def missing_or_bad_otp(request: Request, good: str) -> bool:
    otp = request.header("X-Yubikey-Otp")
    return request.header("Authorization") == good and (
        otp is None or not (32 <= len(otp) <= 48 and set(otp) <= set("cbdefghijklnrtuv"))
    )


@dataclass
class RewriteAccount(Fault):
    """Paths of account `foreign` are served from account `own`: another account readable."""

    foreign: str = "foreign"
    own: str = "conformance"

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        prefix = f"/accounts/{self.foreign}"
        if request.path == prefix or request.path.startswith(prefix + "/"):
            path = f"/accounts/{self.own}" + request.path[len(prefix) :]
            return dataclasses.replace(request, path=path)
        return request


# -- robustness ------------------------------------------------------------------------------


@dataclass
class ServerErrorOn(Fault):
    """Requests that `unusual` picks answer 500 (a crash), whatever they are."""

    unusual: Callable[[Request], bool] = field(default=lambda request: False)

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        if request.operation is not None and self.unusual(request):
            return json_response(500, {"error": "internal server error"})
        return request


def non_ascii(request: Request) -> bool:
    text = request.body.decode("utf-8", "replace") + unquote(request.path + request.query)
    return any(ord(character) > 127 for character in text)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)] + [
            key for key in value if isinstance(key, str)
        ]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def long_string(request: Request) -> bool:
    return any(len(text) > 63 for text in _strings(request.json))


def not_an_object(request: Request) -> bool:
    if not request.body:
        return False
    try:
        body = json.loads(request.body)
    except ValueError:
        return True
    return not isinstance(body, dict)


# -- request content type ----------------------------------------------------------------------


@dataclass
class AnyContentType(Fault):
    """A body is read as JSON whatever Content-Type it came with (never 415)."""

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        if request.operation is None or not request.body:
            return request
        content_type = (request.header("Content-Type") or "").lower()
        if content_type.startswith("application/json"):
            return request
        if request.path.startswith("/session"):
            return request
        return request.with_header("Content-Type", "application/json")


# -- harmless variations --------------------------------------------------------------------


def _reverse_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reverse_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(item) for item in value]
    return value


@dataclass
class Rewrite(Fault):
    """Every JSON response passed through `rewrite(request, response)`."""

    rewrite: Callable[[Request, Response], Response] = field(default=lambda req, resp: resp)

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        return self.rewrite(request, response)


def reverse_key_order(request: Request, response: Response) -> Response:
    if not response.is_json or response.json is None:
        return response
    return response.with_json(_reverse_keys(response.json))


def charset_parameter(request: Request, response: Response) -> Response:
    if not response.is_json:
        return response
    return response.with_header("Content-Type", "application/json; charset=utf-8")


def pretty_printed(request: Request, response: Response) -> Response:
    if not response.is_json or response.json is None:
        return response
    text = json.dumps(response.json, indent=2, ensure_ascii=False) + "\n"
    return dataclasses.replace(response, body=text.encode())


def header_case(request: Request, response: Response) -> Response:
    changed = tuple(
        (name.lower() if index % 2 == 0 else name.upper(), value)
        for index, (name, value) in enumerate(response.headers)
    )
    return dataclasses.replace(response, headers=changed)


def extra_headers(request: Request, response: Response) -> Response:
    return dataclasses.replace(
        response,
        headers=(
            *response.headers,
            ("Server", "brain/2013.1"),
            ("X-Request-Id", f"req-{time.monotonic_ns()}"),
            ("Cache-Control", "no-cache"),
            ("X-Runtime", "0.012345"),
        ),
    )


# What later documents and clients show on objects (bigv-api.md sections 1 and 6).
LATER_MACHINE_FIELDS = {"type": "application/vnd.bigv.virtual-machine"}
LATER_DISC_FIELDS = {"backup_count": 0, "backups_enabled": False, "backup_schedules": []}
LATER_GROUP_FIELDS = {"type": "application/vnd.bigv.group"}


def _with_later_fields(operation: str | None, body: Any) -> Any:
    if operation in VM_OPERATIONS:
        for machine in machines_in(operation, body):
            for key, value in LATER_MACHINE_FIELDS.items():
                machine.setdefault(key, value)
    elif operation in {"listDiscs", "getDisc", "createDisc", "updateDisc"}:
        for disc in body if isinstance(body, list) else [body]:
            if isinstance(disc, dict):
                for key, value in LATER_DISC_FIELDS.items():
                    disc.setdefault(key, value)
    elif operation in {"listGroups", "getGroup", "createGroup"}:
        for group in body if isinstance(body, list) else [body]:
            if isinstance(group, dict):
                for key, value in LATER_GROUP_FIELDS.items():
                    group.setdefault(key, value)
    return body


def later_fields(request: Request, response: Response) -> Response:
    if not is_success(response) or response.json is None:
        return response
    return response.with_json(_with_later_fields(request.operation, response.json))


@dataclass
class Slow(Fault):
    """Every response held back: `creates` seconds for a create, `others` for the rest."""

    creates: float = 0.1
    others: float = 0.005

    def on_response(self, request: Request, response: Response, upstream: Upstream) -> Response:
        creating = request.operation in {"createVirtualMachine", "createVirtualMachineSpec"}
        time.sleep(self.creates if creating else self.others)
        return response


@dataclass
class Busy(Fault):
    """Every `every`-th request is answered `status` with Retry-After: 0, without forwarding
    (a cloud shedding load for a moment); the next attempt goes through."""

    every: int = 5
    status: int = 503
    seen: int = field(default=0, init=False)
    lock: Any = field(default_factory=threading.Lock, init=False, repr=False)

    def on_request(self, request: Request, upstream: Upstream) -> Request | Response:
        with self.lock:
            self.seen += 1
            busy = self.seen % self.every == 0
        if not busy:
            return request
        return Response(
            self.status, (("Content-Type", "text/plain"), ("Retry-After", "0")), b"busy"
        )
