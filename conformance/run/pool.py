"""The objects that generated requests address: created for the run, on first use."""

from __future__ import annotations

import threading
from typing import Any

from conformance.run import safety
from conformance.run.api import Api
from conformance.run.provisioning import documented_attributes


def _created(reply: Any) -> dict[str, Any] | None:
    """The object a create answered, if it answered one (any 2xx with an id)."""
    body = reply.json
    if 200 <= reply.status < 300 and isinstance(body, dict) and "id" in body:
        return body
    return None


class Pool:
    """Objects that generated requests address: a machine per operation, and its disc and
    network interface; a spare group for deleteGroup. Created on first use; only read (never
    created) under the read-only profile."""

    def __init__(
        self, api: Api, ledger: safety.Ledger, names: safety.Names, budget: safety.Budget
    ) -> None:
        self.api, self.ledger, self.names, self.budget = api, ledger, names, budget
        self.read_only = api.run.target.profile == "read-only"
        self.machines: dict[str, str] = {}
        self.groups: dict[str, str] = {}
        self.lock = threading.RLock()

    def _existing_machine(self) -> str:
        reply = self.api.call("listVirtualMachines")
        machines = reply.json if reply.status == 200 and isinstance(reply.json, list) else []
        return str(machines[0]["id"]) if machines else f"{self.names.prefix}-none"

    def machine_for(self, label: str) -> str:
        with self.lock:
            if label not in self.machines:
                if self.read_only:
                    self.machines[label] = self._existing_machine()
                    return self.machines[label]
                if self.machines and not self.budget.room(2):
                    # under --max-vms, operations share machines; one stays free for scenarios
                    self.machines[label] = next(iter(self.machines.values()))
                    return self.machines[label]
                body = documented_attributes(self.api.run.definitions)
                body["name"] = self.names.fresh("m")
                reply = self.api.call("createVirtualMachine", body=body)
                made = _created(reply)
                if made is None:
                    # the tests of this operation will meet 404s; the scenarios say why
                    self.machines[label] = f"{self.names.prefix}-none"
                    return self.machines[label]
                self.ledger.add("virtual_machine", made["id"], name=made.get("name"))
                self.budget.created()
                self.machines[label] = str(made["id"])
            return self.machines[label]

    def group_for(self, label: str) -> str:
        with self.lock:
            if label not in self.groups:
                name = self.names.fresh("g")
                reply = self.api.call("createGroup", body={"name": name})
                made = _created(reply)
                if made is None:
                    self.groups[label] = f"{self.names.prefix}-none"
                    return self.groups[label]
                self.ledger.add("group", made["id"], name=name)
                self.groups[label] = str(made["id"])
            return self.groups[label]

    def _first(self, operation_id: str, machine: str, fallback: str) -> str:
        reply = self.api.call(operation_id, path={"virtual_machine": machine})
        items = reply.json if reply.status == 200 and isinstance(reply.json, list) else []
        return str(items[0]["id"]) if items and "id" in items[0] else fallback

    def objects_for(self, operation_id: str, path: str) -> dict[str, Any]:
        """Fixed path parameters of one operation for the property runs."""
        fixed: dict[str, Any] = {}
        if "{virtual_machine}" in path:
            fixed["virtual_machine"] = self.machine_for(operation_id)
        if "{disc}" in path:
            if not self.read_only:
                self.api.call(
                    "createDisc",
                    path={"virtual_machine": fixed["virtual_machine"]},
                    body={"label": self.names.fresh("d"), "size": 20480},
                )
            fixed["disc"] = self._first("listDiscs", fixed["virtual_machine"], "1")
        if "{network_interface}" in path:
            fixed["network_interface"] = int(
                self._first("listNetworkInterfaces", fixed["virtual_machine"], "1")
            )
        if operation_id == "deleteGroup" and not self.read_only:
            fixed["group"] = self.group_for(operation_id)
        return fixed
