"""Generated requests touch only what the run itself created.

Before schemathesis sends any generated request (property or stateful), `pin` rewrites it:
the account and group are the target's; a virtual machine the run did not create is replaced
by one it did (a machine kept per operation in the `Pool`); a group about to be deleted is
one the run made; a valid name for a new machine or group carries the run's prefix. The
`Ledger` remembers every machine and group created, on disk as well, so that `sweep` can
remove the leftovers of a run that was killed.
"""

from __future__ import annotations

import contextvars
import copy
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import spec

NAME_PATTERN = re.compile(spec.api()["components"]["schemas"]["Name"]["pattern"])
NAME_MAX = spec.api()["components"]["schemas"]["Name"]["maxLength"]
CREATES_MACHINE = {"createVirtualMachine", "createVirtualMachineSpec"}

_PINNING = contextvars.ContextVar("pinning", default=True)


@contextmanager
def exact_requests() -> Iterator[None]:
    """Send the enclosed (hand-written) requests exactly as written: no pinning."""
    token = _PINNING.set(False)
    try:
        yield
    finally:
        _PINNING.reset(token)


def pinning() -> bool:
    """Whether generated requests are being pinned (outside `exact_requests`)."""
    return _PINNING.get()


class Ledger:
    """Machines and groups created by this run (thread-safe; appended to a JSONL file)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.machines: set[str] = set()
        self.groups: set[str] = set()
        self._lock = threading.Lock()

    def add(self, kind: str, identifier: Any, name: str | None = None, **details: Any) -> None:
        """Remember an object the run created, by id and by name."""
        with self._lock:
            known = self.machines if kind == "virtual_machine" else self.groups
            known.add(str(identifier))
            if name:
                known.add(name)
            details["name"] = name
            if self.path is not None:
                entry = {"kind": kind, "id": identifier, "time": time.time(), **details}
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry) + "\n")

    def owns_machine(self, identifier: Any) -> bool:
        return str(identifier) in self.machines

    def owns_group(self, identifier: Any) -> bool:
        return str(identifier) in self.groups


class Budget:
    """Machines this process has alive at once, against the run's --max-vms share."""

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.alive = 0
        self._lock = threading.Lock()

    def room(self, count: int = 1) -> bool:
        """Whether `count` more machines fit under the cap."""
        with self._lock:
            return self.cap is None or self.alive + count <= self.cap

    def created(self, count: int = 1) -> None:
        with self._lock:
            self.alive += count

    def removed(self, count: int = 1) -> None:
        with self._lock:
            self.alive = max(0, self.alive - count)


class Names:
    """Fresh names with the run's prefix, unique across the run's processes."""

    def __init__(self, prefix: str, process: str = "") -> None:
        self.prefix = prefix
        self.process = process  # the xdist worker's number, or "" in a single process
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def process_prefix(self) -> str:
        """What every name made by this process starts with (and no other process's)."""
        return f"{self.prefix}-{self.process}-" if self.process else f"{self.prefix}-"

    def fresh(self, kind: str = "p") -> str:
        with self._lock:
            return f"{self.process_prefix}{kind}{next(self._counter)}"


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
    """Rewrite a generated case so that it touches only the run's own objects.

    Containers are assigned anew (not edited in place), so that schemathesis revalidates the
    case and judges it by what is really sent.
    """
    if case.path_parameters is not None:
        parameters = dict(case.path_parameters)
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
        if parameters != case.path_parameters:
            case.path_parameters = parameters
    if not isinstance(case.body, dict):
        return
    body = copy.deepcopy(case.body)
    attributes = body
    if operation_id == "createVirtualMachineSpec" and isinstance(body.get("virtual_machine"), dict):
        attributes = body["virtual_machine"]
    renames = operation_id in CREATES_MACHINE | {"createGroup", "updateVirtualMachine"}
    if renames and is_valid_name(attributes.get("name")):
        attributes["name"] = names.fresh("g" if operation_id == "createGroup" else "p")
    moves = operation_id == "updateVirtualMachine" and isinstance(attributes.get("group_id"), int)
    if moves and group_id is not None and not ledger.owns_group(attributes["group_id"]):
        attributes["group_id"] = group_id
    if body != case.body:
        case.body = body
