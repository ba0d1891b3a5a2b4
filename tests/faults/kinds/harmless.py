"""The harmless variations a conforming target may show: answers rewritten without changing
their meaning, later documented fields, slow or busy answers."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.faults.kinds.common import VM_OPERATIONS, is_success, machines_in
from tests.faults.proxy import Fault, Request, Response, Upstream

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
