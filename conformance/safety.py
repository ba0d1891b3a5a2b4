"""Generated requests touch only what the run itself created.

Before schemathesis sends any generated request (property or stateful), `pin` rewrites it:
the account and group are the target's; a virtual machine the run did not create is replaced
by one it did (a machine kept per operation in the `Pool`); a group about to be deleted is
one the run made; a valid name for a new machine or group carries the run's prefix. The
`Ledger` remembers every machine and group created, on disk as well, so that `sweep` can
remove the leftovers of a run that was killed.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import spec

NAME_PATTERN = re.compile(spec.api()["components"]["schemas"]["Name"]["pattern"])
NAME_MAX = spec.api()["components"]["schemas"]["Name"]["maxLength"]
CREATES_MACHINE = {"createVirtualMachine", "createVirtualMachineSpec"}


class Ledger:
    """Machines and groups created by this run (thread-safe; appended to a JSONL file)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.machines: set[str] = set()
        self.groups: set[str] = set()
        self._lock = threading.Lock()

    def add(self, kind: str, identifier: Any, **details: Any) -> None:
        with self._lock:
            (self.machines if kind == "virtual_machine" else self.groups).add(str(identifier))
            if self.path is not None:
                entry = {"kind": kind, "id": identifier, "time": time.time(), **details}
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry) + "\n")

    def owns_machine(self, identifier: Any) -> bool:
        return str(identifier) in self.machines

    def owns_group(self, identifier: Any) -> bool:
        return str(identifier) in self.groups


class Names:
    """Fresh names with the run's prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def fresh(self, kind: str = "p") -> str:
        with self._lock:
            return f"{self.prefix}-{kind}{next(self._counter)}"


def is_valid_name(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= NAME_MAX and bool(NAME_PATTERN.match(value))


def pin(
    case: Any,
    operation_id: str,
    *,
    account: str,
    group: str,
    group_id: int | None,
    ledger: Ledger,
    names: Names,
    machine_for: Any,
    group_for: Any,
) -> None:
    """Rewrite a generated case in place so that it touches only the run's own objects."""
    parameters = case.path_parameters
    if parameters is not None:
        if "account" in parameters:
            parameters["account"] = account
        if "group" in parameters:
            owned = ledger.owns_group(parameters["group"])
            if operation_id == "deleteGroup" and not owned:
                parameters["group"] = group_for(case.operation.label)
            elif not owned:
                parameters["group"] = group
        if "virtual_machine" in parameters and not ledger.owns_machine(
            parameters["virtual_machine"]
        ):
            parameters["virtual_machine"] = machine_for(case.operation.label)
    body = case.body
    if not isinstance(body, dict):
        return
    if operation_id == "createVirtualMachineSpec" and isinstance(body.get("virtual_machine"), dict):
        body = body["virtual_machine"]
    if operation_id in CREATES_MACHINE | {"createGroup", "updateVirtualMachine"}:
        if is_valid_name(body.get("name")):
            body["name"] = names.fresh("g" if operation_id == "createGroup" else "p")
    if operation_id == "updateVirtualMachine" and isinstance(body.get("group_id"), int):
        if group_id is not None and not ledger.owns_group(body["group_id"]):
            body["group_id"] = group_id
