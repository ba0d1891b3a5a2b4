"""What lifecycle scenarios stand on: their marker, the machines they create, and waiters.

A scenario creates every machine through `Machines`, which names it with the run's prefix,
waits for provisioning, and purges it afterwards in reverse order, also when the scenario
failed. Waiters fail with the machine's id, the state wanted, the state seen and the time
waited.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from conformance.api import Api, Reply
from conformance.safety import Budget, Names
from conformance.verdict import ConformanceFailure, expect
from spec import lifecycle


def scenario(test_id: str, capability: str, *, writes: bool = True) -> pytest.MarkDecorator:
    """Mark a scenario with its stable id and the capability it proves; `writes=False` for
    one that only reads (it runs under the read-only profile too)."""
    return pytest.mark.bigv_scenario(test_id=test_id, capability=capability, writes=writes)


def expect_status(reply: Reply, wanted: int | tuple[int, ...], why: str) -> None:
    """Fail unless the reply has one of the wanted statuses."""
    statuses = wanted if isinstance(wanted, tuple) else (wanted,)
    expect(
        reply.status in statuses,
        f"Expected {' or '.join(map(str, statuses))}, got {reply.status}",
        f"{reply.describe()}; {why}. Body: {reply.exchange.response_body[:300]}",
        exchange=reply.exchange.as_dict(),
    )


class Machines:
    """Virtual machines created by one scenario, purged when it ends."""

    def __init__(self, api: Api, names: Names, budget: Budget | None = None) -> None:
        self.api = api
        self.names = names
        self.budget = budget or Budget(None)
        self.created: list[tuple[str, str, int]] = []  # (account, group, id)

    def need(self, count: int) -> None:
        """Skip the scenario, saying why, when `count` more machines exceed --max-vms."""
        if not self.budget.room(count):
            pytest.skip(
                f"needs {count} more machine(s) alive at once; --max-vms allows "
                f"{self.budget.cap} in this process and {self.budget.alive} are alive"
            )

    def name(self) -> str:
        """A fresh name carrying the run's prefix."""
        return self.names.fresh("s")

    def track(self, machine: dict[str, Any], group: str | None = None) -> None:
        """Remember a machine this scenario made, so that it is purged at the end."""
        key = (self.api.run.target.account, group or self.api.run.target.group, machine["id"])
        self.created.append(key)
        self.budget.created()

    def create(self, *, wait: bool = True, group: str | None = None, **attributes: Any) -> dict:
        """Create a machine (202) and, unless told not to, wait until it is provisioned."""
        self.need(1)
        body = {"name": self.name(), **attributes}
        path = {"group": group} if group else {}
        reply = self.api.call("createVirtualMachine", path=path, body=body)
        expect_status(reply, 202, "creating a machine answers 202 Accepted")
        self.track(reply.json, group)
        if wait:
            expected = lifecycle.create(body).pending
            return self.wait_for(reply.json["id"], "provisioning to finish", group, **expected)
        return reply.json

    def get(self, machine_id: Any, group: str | None = None, **query: Any) -> Reply:
        path = {"virtual_machine": machine_id} | ({"group": group} if group else {})
        return self.api.call("getVirtualMachine", path=path, query=query or None)

    def read(self, machine_id: Any, group: str | None = None, **query: Any) -> dict:
        """The machine as the target shows it now (200 expected)."""
        reply = self.get(machine_id, group, **query)
        expect_status(reply, 200, f"machine {machine_id} exists")
        return reply.json

    def expect_unchanged(self, machine: dict, what: str) -> None:
        """Fail unless the machine reads exactly as `machine` (after a refused request)."""
        after = self.read(machine["id"])
        expect(
            after == machine,
            f"A refused {what} changed the machine",
            f"before {machine}\nafter  {after}",
        )

    def wait_for(self, machine_id: Any, what: str, group: str | None = None, **wanted: Any) -> dict:
        """Poll the machine until every wanted attribute has its value."""
        target = self.api.run.target
        started = time.monotonic()
        while True:
            reply = self.get(machine_id, group, include_deleted=True)
            seen = reply.json if isinstance(reply.json, dict) else {}
            if reply.status in (200, 202) and all(seen.get(k) == v for k, v in wanted.items()):
                return seen
            waited = time.monotonic() - started
            if waited >= target.wait_timeout:
                shown = {key: seen.get(key, "<absent>") for key in wanted}
                raise ConformanceFailure(
                    f"Timed out waiting for {what}",
                    f"Virtual machine {machine_id}: wanted {wanted}, last seen {shown} "
                    f"(status {reply.status}) after {waited:.1f}s.",
                    exchange=reply.exchange.as_dict(),
                )
            time.sleep(target.poll_interval)

    def purge_all(self) -> list[str]:
        """Purge every machine made, newest first; the problems met, as lines."""
        problems = []
        for account, group, machine_id in reversed(self.created):
            try:
                reply = self.api.call(
                    "deleteVirtualMachine",
                    path={"account": account, "group": group, "virtual_machine": machine_id},
                    query={"purge": True},
                )
            except ConformanceFailure as failure:
                problems.append(f"purge of {machine_id}: {failure.title}")
                continue
            except requests.RequestException as error:
                problems.append(f"purge of {machine_id}: {type(error).__name__}")
                continue
            if reply.status not in (204, 404):
                problems.append(f"purge of {machine_id} answered {reply.status}")
            else:
                self.budget.removed()
        self.created.clear()
        return problems


def sample_requests(machine_id: Any, **path: Any) -> list[tuple[str, dict[str, Any], Any]]:
    """One request of every operation that needs credentials: (operationId, path, body).

    Bodies are the spec's first request example of each operation (or `{}`); path parameters
    address the run's account and group, and `machine_id` for a machine.
    """
    from schemathesis.core import NOT_SET

    import spec

    document = spec.api()
    requests = []
    for operation_id, (_, _, operation) in spec.operations(document).items():
        if operation.get("security") == []:
            continue
        parameters = {"virtual_machine": machine_id, "disc": "1", "network_interface": 1} | path
        body: Any = NOT_SET
        if "requestBody" in operation:
            media = operation["requestBody"]["content"]["application/json"]
            examples = list(media.get("examples", {}).values())
            body = spec.resolve(document, examples[0])["value"] if examples else {}
        requests.append((operation_id, parameters, body))
    return requests
