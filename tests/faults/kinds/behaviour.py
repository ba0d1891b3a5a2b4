"""The faults in what the target does: an update lost, an action or a delete swallowed, a list
missing its newest machine, names not unique, a stale hostname, another machine read, a
state rule broken."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.faults.kinds.common import (
    TAKEN,
    VM_OPERATIONS,
    is_success,
    machine_path,
    machines_in,
    read_machine,
    valid,
)
from tests.faults.proxy import Fault, Request, Response, Upstream, empty_response, json_response

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
