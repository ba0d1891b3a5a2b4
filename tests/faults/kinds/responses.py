"""The faults in what an answer looks like: the shape of a machine or a body, a status code,
a content type, the error body."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.faults.kinds.common import VM_OPERATIONS, is_success, machines_in
from tests.faults.proxy import Fault, Request, Response, Upstream, empty_response, json_response

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
