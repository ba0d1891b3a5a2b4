"""Machines created ahead for the scenarios, so that a slow cloud provisions them at once.

A scenario declares the machines it creates first (`scenario(..., provisions=...)`). When the
first scenario of a process starts, every declared create is sent (as many as --max-vms
leaves room for), so their provisioning times overlap instead of adding up. A scenario then
takes its own machine when its body creates it; the create's exchange and verdict are
recorded for that scenario, and a broken answer fails it, as if it had sent the create then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import spec
from conformance.judging.verdict import ConformanceFailure
from conformance.run.api import Api, Reply
from conformance.run.safety import Budget, Names

Key = tuple[tuple[str, Any], ...]
API = spec.api()
CREATE_SCHEMA = API["components"]["schemas"]["VirtualMachineCreate"]
DOCUMENTED_EXAMPLE = "full"  # the create example with the original page's attributes


def documented_attributes(definitions: dict[str, Any]) -> dict[str, Any]:
    """The attributes a machine is created with, as the documentation's example and the
    official clients send them: the spec's `full` example of createVirtualMachine (the
    original page's example machine: cores, memory, power and autoreboot on, its hardware
    profile), with a value the target's own /definitions lists wherever the record says the
    values come from there."""
    _, _, operation = spec.operations(API)["createVirtualMachine"]
    media = operation["requestBody"]["content"]["application/json"]
    example = dict(media["examples"][DOCUMENTED_EXAMPLE]["value"])
    example.pop("name", None)
    for key, value in example.items():
        schema = spec.resolve(API, CREATE_SCHEMA["properties"][key])
        section = API["x-definition-formats"].get(schema.get("format", ""))
        listed = definitions.get(section) if section else None
        if listed and value not in listed:
            example[key] = listed[0]
    return example


def creation_body(
    name: str, attributes: dict[str, Any], definitions: dict[str, Any]
) -> dict[str, Any]:
    """The create request for a machine asked for with `attributes` (over the documented
    attributes).

    A machine asked to be off is created running and stopped afterwards (Machines.create):
    power_on turning true is the only documented sign that provisioning is over (ICH, "Return
    codes"), and a machine created off never shows it.
    """
    body = {**documented_attributes(definitions), "name": name, **attributes}
    if body.get("power_on") is False:
        body["power_on"] = True
    return body


# A declared attribute, never sent: the machine is made with a disc and an operating system,
# as the official client makes one (vm_create with the spec's `official-client` example)
# rather than bare ("only the machine (no disc/OS)", record §5.1). Scenarios that reimage a
# machine make it so: the record never says an image goes where there is no disc.
IMAGED = "imaged"


def _imaged_parts(definitions: dict[str, Any]) -> dict[str, Any]:
    """The discs and reimage of the official client's vm_create, with values the target's
    /definitions lists (its first storage grade and distribution)."""
    _, _, operation = spec.operations(API)["createVirtualMachineSpec"]
    example = operation["requestBody"]["content"]["application/json"]["examples"]
    value = example["official-client"]["value"]
    disc = {key: value["discs"][0][key] for key in ("label", "storage_grade", "size")}
    reimage = dict(value["reimage"])
    for part, key, section in (
        (disc, "storage_grade", "storage_grades"),
        (reimage, "distribution", "distributions"),
    ):
        listed = definitions.get(section)
        if listed and part[key] not in listed:
            part[key] = listed[0]
    reimage["root_password"] = "Conformance-1"
    return {"discs": [disc], "reimage": reimage}


def creation_request(
    name: str, attributes: dict[str, Any], definitions: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The operation and body that create a machine asked for with `attributes`: a bare
    create (creation_body), or, for an `imaged` one, vm_create with a disc and an image."""
    attributes = dict(attributes)
    imaged = attributes.pop(IMAGED, False)
    body = creation_body(name, attributes, definitions)
    if not imaged:
        return "createVirtualMachine", body
    return "createVirtualMachineSpec", {"virtual_machine": body, **_imaged_parts(definitions)}


def key(attributes: dict[str, Any]) -> Key:
    return tuple(sorted(attributes.items()))


@dataclass
class Order:
    """One machine a scenario will create, and what creating it gave."""

    attributes: dict[str, Any]
    calls: list[tuple] = field(default_factory=list)  # the recorder's arguments, kept
    reply: Reply | None = None
    error: BaseException | None = None  # a failed verdict or a lost connection

    @property
    def sent(self) -> bool:
        return self.reply is not None or self.error is not None

    @property
    def machine(self) -> dict[str, Any] | None:
        """The machine made (a 202 with an id), if it was."""
        reply = self.reply
        if reply is not None and reply.status == 202 and isinstance(reply.json, dict):
            machine = reply.json.get("virtual_machine", reply.json)
            return machine if isinstance(machine, dict) and "id" in machine else None
        return None


class Provisioner:
    """The declared machines of the scenarios of one process, created ahead."""

    def __init__(self, api: Api, names: Names, budget: Budget) -> None:
        self.names = names
        self.budget = budget
        self.record = api.recorder
        # the same operations and session, recording into the order instead of the test
        self.api = Api(api.run, api.schema, recorder=self._keep, base_url=api.base_url)
        self.orders: dict[str, list[Order]] = {}
        self.planned = False
        self._sending: Order | None = None

    def plan(self, wanted: Iterable[tuple[str, list[dict[str, Any]]]]) -> None:
        """Remember what each scenario (by node id) will create; once per process."""
        self.planned = True
        for owner, attributes in wanted:
            self.orders[owner] = [Order(dict(each)) for each in attributes]

    def send(self) -> None:
        """Send every declared create not sent yet, as far as the budget has room."""
        for orders in self.orders.values():
            for order in orders:
                if order.sent:
                    continue
                if not self.budget.room(1):
                    return
                self._send(order)

    def _send(self, order: Order) -> None:
        self._sending = order
        try:
            operation_id, body = creation_request(
                self.names.fresh("s"), order.attributes, self.api.run.definitions
            )
            order.reply = self.api.call(operation_id, body=body)
        except Exception as error:  # kept for the scenario that owns it
            order.error = error
        finally:
            self._sending = None
        if order.machine is not None:
            self.budget.created()

    def _keep(self, *arguments: Any) -> None:
        if self._sending is not None:
            self._sending.calls.append(arguments)

    def take(self, owner: str, attributes: dict[str, Any]) -> Order | None:
        """The owner's next order for these attributes, sent (now, if it was not), its
        calls recorded for the owner; the failure it met raised. None: none declared."""
        orders = self.orders.get(owner, [])
        order = next((o for o in orders if key(o.attributes) == key(attributes)), None)
        if order is None:
            return None
        if not order.sent and not self.budget.room(1):
            return None  # the caller creates it, or skips for want of room, as it would
        orders.remove(order)
        if not order.sent:
            self._send(order)
        if self.record is not None:
            for arguments in order.calls:
                self.record(*arguments)
        error = order.error
        if isinstance(error, ConformanceFailure):  # raised anew: the owner's step, not ours
            raise ConformanceFailure(
                error.title,
                error.message,
                check=error.check,
                capability=error.capability,
                exchange=error.exchange,
                operation=error.operation,
            )
        if error is not None:
            raise error
        return order

    def untaken(self, owner: str) -> list[dict[str, Any]]:
        """Machines made for the owner that it never took (it failed or skipped first). The
        run's cleanup purges any other: every create is in the ledger."""
        made = [order.machine for order in self.orders.pop(owner, [])]
        return [machine for machine in made if machine is not None]


def declared(
    provisions: list[dict[str, Any]] | Callable[..., list[dict[str, Any]]] | None,
    parameters: dict[str, Any],
) -> list[dict[str, Any]]:
    """The machines a scenario declares, for the parameters of one of its items."""
    if provisions is None:
        return []
    return list(provisions(**parameters) if callable(provisions) else provisions)
