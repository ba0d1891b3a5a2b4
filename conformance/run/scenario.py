"""What lifecycle scenarios stand on: their marker, the machines they create, and waiters.

A scenario creates every machine through `Machines`, which names it with the run's prefix,
waits for provisioning, and purges it afterwards in reverse order, also when the scenario
failed. Waiters fail with the machine's id, the state wanted, the state seen and the time
waited.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

import spec
from conformance.judging import predictions, statements
from conformance.judging.predictions import lifecycle
from conformance.judging.verdict import ConformanceFailure, expect, note
from conformance.results.recording import RECORDER
from conformance.run.api import Api, Reply
from conformance.run.provisioning import (
    IMAGED,
    Provisioner,
    creation_body,
    creation_request,
    documented_attributes,
)
from conformance.run.safety import Budget, Names
from conformance.target import deadline

DOCUMENTED_ATTRIBUTES = tuple(spec.api()["components"]["schemas"]["VirtualMachine"]["properties"])


def scenario(
    test_id: str,
    capability: str,
    *,
    writes: bool = True,
    provisions: list[dict[str, Any]] | Callable[..., list[dict[str, Any]]] | None = None,
) -> pytest.MarkDecorator:
    """Mark a scenario with its stable id and the capability it proves; `writes=False` for
    one that only reads (it runs under the read-only profile too).

    `provisions`: the machines its body creates with `machines.create(**attributes)`, as
    those attributes (or a function of the scenario's parameters giving them). They are
    created for every scenario at once before the first runs (conformance.run.provisioning), so
    that a slow cloud provisions them together; a create not declared still works, slower.
    """
    return pytest.mark.bigv_scenario(
        test_id=test_id, capability=capability, writes=writes, provisions=provisions
    )


def statement_of_outcome(operation_id: str, outcome: Any) -> str | None:
    """The statement that states what spec/rules.yaml predicts for a request: the one of
    every row the prediction came from (the refusal's status aside, a register point); None
    when a row rests on no statement (the prediction is then an inference of ours). A PUT no
    row speaks for changes what it sends, and only that."""
    rows = [
        row
        for row in predictions.applied_rows(
            spec.rules(), operation_id, outcome.applied, outcome.refused is not None
        )
        if row != "refusal"
    ]
    if not rows:
        return "partial-update" if operation_id == "updateVirtualMachine" else None
    found = [statements.rule_statement(row) for row in rows]
    return None if None in found else found[0]


def read_differs(sent: Any, read: Any) -> bool:
    """Whether a value read back is another value than the one sent. A value in another JSON
    form (the string "2048" for 2048) is the schema check's problem, already reported: it is
    not counted again, so that one wrong attribute is one problem. Null (or absent) is a value
    of its own: a lost one."""
    if read == sent:
        return False
    if read is None:
        return True
    return _json_kind(read) == _json_kind(sent)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else type(value).__name__


def expect_status(
    reply: Reply,
    wanted: int | tuple[int, ...],
    why: str,
    *,
    by: str | None = None,
    rests_on: str | None = None,
    stop: bool = True,
) -> bool:
    """Fail unless the reply has one of the wanted statuses, where a statement of the
    documentation (`by`) states it; otherwise record what the target did instead."""
    statuses = wanted if isinstance(wanted, tuple) else (wanted,)
    return expect(
        reply.status in statuses,
        f"Expected {' or '.join(map(str, statuses))}, got {reply.status}",
        f"{reply.describe()}; {why}. Body: {reply.exchange.response_body[:300]}",
        by=by,
        rests_on=rests_on,
        stop=stop,
        exchange=reply.exchange.as_dict(),
    )


def new_group(bigv: Any, purpose: str) -> tuple[str, dict[str, Any]]:
    """Create a group named with the run's prefix (in the ledger, so that it is removed):
    its name and the 201's body. Skip the scenario, saying why, when the target creates no
    group (capability groups is advisory)."""
    name = bigv.names.fresh("g")
    group = bigv.api.call("createGroup", body={"name": name})
    if group.status != 201 or not isinstance(group.json, dict):
        pytest.skip(
            f"the target does not create groups (answered {group.status}; capability groups "
            f"is advisory), so {purpose}"
        )
    bigv.ledger.add("group", group.json["id"], name=name)
    return name, group.json


def expect_refused(
    reply: Reply, why: str, *, preferred: int, rests_on: str, by: str | None = None
) -> None:
    """A refusal: any 4xx but 401 and 404, where a statement (`by`) says the request is not
    carried out; the status the spec chose (`preferred`) where the record is silent on it."""
    expect(
        400 <= reply.status < 500 and reply.status not in (401, 404),
        f"Expected a refusal (4xx), got {reply.status}",
        f"{reply.describe()}; {why}. Body: {reply.exchange.response_body[:300]}",
        by=by,
        exchange=reply.exchange.as_dict(),
    )
    expect_status(reply, preferred, why, rests_on=rests_on, stop=False)


class Machines:
    """Virtual machines created by one scenario, purged when it ends."""

    def __init__(
        self,
        api: Api,
        names: Names,
        budget: Budget | None = None,
        provisioner: Provisioner | None = None,
        owner: str = "",
    ) -> None:
        self.api = api
        self.names = names
        self.budget = budget or Budget(None)
        self.provisioner = provisioner
        self.owner = owner  # the scenario's node id: its machines made ahead
        self.created: list[tuple[str, str, int]] = []  # (account, group, id)
        self.undeclared: list[dict[str, Any]] = []  # waited-for creates not made ahead
        self.last_wait: tuple[float, int] = (0.0, 0)  # the last wait_for: seconds, polls
        self.noted_202 = False

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

    def track(self, machine: dict[str, Any], group: str | None = None, counted: bool = False):
        """Remember a machine this scenario made, so that it is purged at the end
        (`counted`: already in the budget, made ahead by the provisioner)."""
        key = (self.api.run.target.account, group or self.api.run.target.group, machine["id"])
        self.created.append(key)
        if not counted:
            self.budget.created()

    def create(
        self, *, wait: bool = True, now: bool = False, group: str | None = None, **attributes: Any
    ) -> dict:
        """Create a machine (202) as the documentation's example and the official clients do
        (provisioning.creation_request; `imaged=True`: with a disc and an operating system)
        and, unless told not to, wait until it is provisioned.

        Waiting, a machine asked to be off is created running and then stopped
        (provisioning.creation_body says why). A machine the scenario declared was created
        ahead: it is taken, already provisioning or done. `now`: create it here, undeclared,
        for a scenario about the create itself (the newest machine, listed at once)."""
        ahead = wait and not now and group is None and self.provisioner is not None
        order = self.provisioner.take(self.owner, attributes) if ahead else None
        definitions = self.api.run.definitions
        if order is not None:
            reply = order.reply
        else:
            if ahead:
                self.undeclared.append(attributes)
            self.need(1)
            name = self.name()
            operation_id, body = creation_request(name, attributes, definitions)
            if not wait:
                body = {**documented_attributes(definitions), "name": name, **attributes}
            path = {"group": group} if group else {}
            reply = self.api.call(operation_id, path=path, body=body)
        expect_status(reply, 202, "creating a machine answers 202 Accepted", by="create-accepted")
        created = self.created_machine(reply, group)
        self.track(created, group, counted=order is not None)
        if not wait:
            return created
        asked = {key: value for key, value in attributes.items() if key != IMAGED}
        expected = lifecycle.create(creation_body("", asked, definitions)).pending
        machine = self.wait_for(
            created["id"], "provisioning to finish", group, by="provisioned-readable", **expected
        )
        waited, polls = self.last_wait
        if polls > 1:
            note(
                "provisioning-time",
                f"Provisioning takes time ({waited:.1f} s here)",
                f"Machine {created['id']} reached {expected} only after {polls} reads and "
                f"{waited:.1f} s (the reference emulator provisions at once unless told to wait).",
            )
        if attributes.get("power_on") is False:
            autoreboot_on = attributes.get("autoreboot_on", machine.get("autoreboot_on"))
            machine = self._stop(machine, group, autoreboot_on is True)
        return machine

    def send_create(self, body: Any, group: str | None = None, **call: Any) -> Reply:
        """Send one create as it is (a scenario about the create itself) and remember the
        machine it made, if it made one, so that it is purged."""
        path = {"group": group} if group else {}
        reply = self.api.call("createVirtualMachine", path=path, body=body, **call)
        if reply.status == 202:
            self.track(self.created_machine(reply, group), group)
        return reply

    def created_machine(self, reply: Reply, group: str | None = None) -> dict[str, Any]:
        """The machine a 202 created: the answer when it carries its id (the spec's reading),
        else found by name in the group's list, as the official client finds it (it ignores
        the answer and reads the machine by name, record §5.1)."""
        body = reply.json if isinstance(reply.json, dict) else {}
        machine = body.get("virtual_machine") if "virtual_machine" in body else body
        if isinstance(machine, dict) and isinstance(machine.get("id"), int):
            return machine
        name = _sent(reply).get("name")
        path = {"group": group} if group else {}
        listing = self.api.call("listVirtualMachines", path=path, query={"include_deleted": True})
        found = [
            item
            for item in (listing.json if isinstance(listing.json, list) else [])
            if isinstance(item, dict) and item.get("name") == name
        ]
        expect(
            bool(found),
            "Created machine not found",
            f"The create of {name!r} answered 202 without the machine's id, and no machine of "
            f"that name is in the group's list.",
            by="provisioned-readable",
            exchange=reply.exchange.as_dict(),
        )
        return found[0]

    def _stop(self, machine: dict, group: str | None, autoreboot_on: bool) -> dict:
        """Bring a provisioned machine to off, with autoreboot_on as asked, as the official
        client stops one (PUT autoreboot_on false, power_on false), each step's outcome
        read from spec/rules.yaml."""
        keys = ("power_on", "autoreboot_on")
        bodies = [{"autoreboot_on": False, "power_on": False}]
        if autoreboot_on:
            bodies.append({"autoreboot_on": True})
        path = {"virtual_machine": machine["id"]} | ({"group": group} if group else {})
        for body in bodies:
            state = {key: machine[key] for key in (*keys, "deleted")}
            wanted = lifecycle.settled("updateVirtualMachine", state, body, keys)
            if wanted is None:
                raise ConformanceFailure(
                    "The rules leave no way to stop a machine",
                    f"spec/rules.yaml refuses {body} on {state}: the suite cannot make a machine "
                    "that is off.",
                )
            reply = self.api.call("updateVirtualMachine", path=path, body=body)
            expect_status(reply, 200, f"{body} on a machine with {state} is allowed", by="put-ok")
            machine = self.wait_for(
                machine["id"], f"{body} to give {wanted}", group, by="power-stop", **wanted
            )
        return machine

    def get(self, machine_id: Any, group: str | None = None, **query: Any) -> Reply:
        path = {"virtual_machine": machine_id} | ({"group": group} if group else {})
        return self.api.call("getVirtualMachine", path=path, query=query or None)

    def read(self, machine_id: Any, group: str | None = None, **query: Any) -> dict:
        """The machine as the target shows it now (200 expected)."""
        reply = self.get(machine_id, group, **query)
        expect_status(reply, 200, f"machine {machine_id} exists", by="get-ok")
        return reply.json if isinstance(reply.json, dict) else {}

    def expect_unchanged(self, machine: dict, what: str, *, by: str | None = None) -> None:
        """Fail unless every documented attribute of the machine reads as in `machine`
        (after a refused request; `by`: the statement that says it is not carried out);
        attributes beyond the spec's are the target's own."""
        after = self.read(machine["id"])
        changed = {
            key: (machine.get(key), after.get(key))
            for key in DOCUMENTED_ATTRIBUTES
            if machine.get(key) != after.get(key)
        }
        expect(
            not changed,
            f"A refused {what} changed the machine",
            f"before -> after: {changed}",
            by=by,
        )

    # keyword arguments, alike other signatures in shape only
    def wait_for(
        self,
        machine_id: Any,
        what: str,
        group: str | None = None,
        *,
        by: str | None = None,
        rests_on: str | None = None,
        **wanted: Any,
    ) -> dict:
        """Poll the machine until every wanted attribute has its value (a 202 while it is
        provisioned is fine: record §5.1); `last_wait` keeps (seconds waited, polls). A
        wait that times out fails only where a statement (`by`) says the state comes;
        otherwise it is a finding (on the register point `rests_on`, if one), and it
        establishes no cause that could block another scenario.

        Bounded: an answer about another machine fails at once (the check vm_read_by_id, as
        every answer is judged); a wait that times out
        establishes its cause (deadline.CAUSES), and a later wait that sees the same gives
        up after a short grace, its scenario blocked by that cause."""
        target = self.api.run.target
        started = time.monotonic()
        polls = 0
        while True:
            reply = self.get(machine_id, group, include_deleted=True)
            polls += 1
            seen = reply.json if isinstance(reply.json, dict) else {}
            if reply.status == 202 and not self.noted_202:
                self.noted_202 = True
                note(
                    "get-while-provisioning",
                    "A machine being provisioned reads 202",
                    f"GET of machine {machine_id} answered 202 while {what}.",
                    exchange=reply.exchange.as_dict(),
                )
            if reply.status in (200, 202) and all(seen.get(k) == v for k, v in wanted.items()):
                self.last_wait = (time.monotonic() - started, polls)
                return seen
            waited = time.monotonic() - started
            shown = {key: seen.get(key, "<absent>") for key in wanted}
            cause = (
                reply.status,
                tuple(sorted((k, repr(v), repr(shown[k])) for k, v in wanted.items())),
            )
            last_seen = (
                f"Virtual machine {machine_id}: wanted {wanted}, last seen {shown} "
                f"(status {reply.status}) after {waited:.1f}s."
            )
            # a state provisioning may still change gets a short grace; an error answer none
            settling = reply.status in (200, 202)
            grace = min(deadline.BLOCKED_GRACE, target.wait_timeout) if settling else 0.0
            established = deadline.CAUSES.get(cause)
            if established is not None and waited >= grace:
                raise deadline.Blocked(established, last_seen, grace)
            if waited >= target.wait_timeout and by is None:
                expect(
                    False,
                    f"{what} did not come (waited {waited:.1f} s)",
                    last_seen,
                    rests_on=rests_on,
                    exchange=reply.exchange.as_dict(),
                )
            if waited >= target.wait_timeout:
                failure = ConformanceFailure(
                    f"Timed out waiting for {what}"
                    if settling
                    else f"A machine reads {reply.status} while waiting for {what}",
                    last_seen,
                    exchange=reply.exchange.as_dict(),
                    statement=by,
                )
                deadline.CAUSES.establish(
                    cause, deadline.Cause(failure.title, RECORDER.test_id or "")
                )
                raise failure
            time.sleep(target.poll_interval)

    def purge_all(self) -> list[str]:
        """Purge every machine made (and every one made ahead and never taken), newest
        first; the problems met, as lines."""
        if self.provisioner is not None:
            for machine in self.provisioner.untaken(self.owner):
                self.track(machine, counted=True)
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


def _sent(reply: Reply) -> dict[str, Any]:
    """The JSON object a request sent, or {}."""
    try:
        sent = json.loads(reply.exchange.request_body or "null")
    except ValueError:
        return {}
    return sent if isinstance(sent, dict) else {}


def with_run_names(names: Names, body: Any) -> Any:
    """A documented request body whose new machine or group is named with the run's prefix:
    whatever a target makes of it, by mistake too, is one `bigv-conformance sweep` knows."""
    if not isinstance(body, dict):
        return body
    named = dict(body)
    if "name" in named:
        named["name"] = names.fresh("t")
    if isinstance(named.get("virtual_machine"), dict):
        named["virtual_machine"] = with_run_names(names, named["virtual_machine"])
    return named


def sample_requests(machine_id: Any, **path: Any) -> list[tuple[str, dict[str, Any], Any]]:
    """One request of every operation that needs credentials: (operationId, path, body).

    Bodies are the fullest of the spec's request examples of each operation (or `{}`): a
    target may judge the body before it looks the path up. Path parameters address the run's
    account and group, and `machine_id` for a machine.
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
            examples = [
                spec.resolve(document, e)["value"] for e in media.get("examples", {}).values()
            ]
            body = max(examples, key=len, default={})
        requests.append((operation_id, parameters, body))
    return requests
