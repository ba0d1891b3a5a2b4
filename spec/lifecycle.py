"""Read the behaviour tables of rules.yaml: what a request does to a virtual machine.

A pure function of (operation, state, request) with no I/O and no clock: the reference
emulator applies the outcome to its store, and the suite's scenarios predict from it what a
conforming target must answer. The tables themselves are data in rules.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spec import rules as load_rules

_RULES = load_rules()  # this module's own copy, never changed


@dataclass(frozen=True)
class Outcome:
    """What one request does to a machine.

    `changes` take effect at once; `pending` when provisioning is over (`provisions`).
    `refused` names the attribute whose state forbids the request (nothing changes then).
    `applied` lists the names of the rules that matched, in order.
    """

    changes: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, Any] = field(default_factory=dict)
    provisions: bool = False
    purged: bool = False
    refused: str | None = None
    applied: tuple[str, ...] = ()


def _matches(condition: Mapping[str, Any] | None, values: Mapping[str, Any]) -> bool:
    return all(key in values and values[key] == want for key, want in (condition or {}).items())


def _table_keys(table: Mapping[str, Any]) -> set[str]:
    return {key for rule in table["rules"] for key in rule.get("request", {})}


def controlled_attributes(operation_id: str) -> set[str]:
    """Request attributes that only the tables decide (not applied as sent)."""
    tables = _RULES["operations"].get(operation_id, [])
    return set().union(*(_table_keys(table) for table in tables)) if tables else set()


def _refusal_field(table: Mapping[str, Any], state: Mapping[str, Any], request: Mapping) -> str:
    for rule in table["rules"]:
        if _matches(rule.get("request"), request):
            for key, want in rule.get("state", {}).items():
                if state.get(key) != want:
                    return key
    first_rule = table["rules"][0]
    return next(iter(first_rule.get("request", {}) or first_rule.get("state", {})))


def apply(operation_id: str, state: Mapping[str, Any], request: Mapping[str, Any]) -> Outcome:
    """The outcome of `request` (body, or query for DELETE) on a machine in `state`."""
    tables = _RULES["operations"].get(operation_id, [])
    current = dict(state)
    changes: dict[str, Any] = {}
    pending: dict[str, Any] = {}
    applied: list[str] = []
    provisions = False
    for table in tables:
        keys = _table_keys(table)
        seen = current | {key: value for key, value in request.items() if key not in keys}
        rule = next(
            (
                rule
                for rule in table["rules"]
                if _matches(rule.get("request"), request) and _matches(rule.get("state"), seen)
            ),
            None,
        )
        if rule is None:
            if table["otherwise"] == "refuse":
                return Outcome(refused=_refusal_field(table, seen, request))
            continue
        applied.append(rule["name"])
        if rule["then"] == "purged":
            return Outcome(purged=True, applied=tuple(applied))
        if rule.get("provisions"):
            provisions = True
            pending.update(rule["then"])
        else:
            changes.update(rule["then"])
            current.update(rule["then"])
    if provisions:
        changes.update(provisioning_state())
    return Outcome(changes, pending, provisions, False, None, tuple(applied))


def create(request: Mapping[str, Any]) -> Outcome:
    """The outcome of creating a machine: provisioning now, the requested power later."""
    table = _RULES["create"]
    asked = table["request_defaults"] | {
        key: request[key] for key in table["then_from_request"] if key in request
    }
    pending = {key: asked[key] for key in table["then_from_request"]}
    return Outcome(provisioning_state(), pending, True, False, None, ("create",))


def settled(
    operation_id: str, state: Mapping[str, Any], request: Mapping[str, Any], keys: tuple[str, ...]
) -> dict[str, Any] | None:
    """The values of `keys` once `request` on a machine in `state` has fully taken effect
    (provisioning over): None when the rules refuse it. Attributes the tables do not decide
    take the request's value (a partial update)."""
    outcome = apply(operation_id, state, request)
    if outcome.refused:
        return None
    effect = outcome.changes | outcome.pending
    after = {key: state[key] for key in keys if key in state}
    after |= {key: value for key, value in effect.items() if key in keys}
    controlled = controlled_attributes(operation_id)
    after |= {
        key: request[key]
        for key in keys
        if key in request and key not in effect and key not in controlled
    }
    return after


def provisioning_state() -> dict[str, Any]:
    """The attributes a machine shows while it is created or reimaged."""
    return dict(_RULES["provisioning"])


def hostname(name: str, group: str, account: str, cluster_domain: str) -> str:
    """The documented hostname of a machine."""
    template = _RULES["derived"]["hostname"]
    return template.format(name=name, group=group, account=account, cluster_domain=cluster_domain)


def head_is_set(state: Mapping[str, Any]) -> bool:
    """Whether `head` names a host (rather than null) for a machine in `state`."""
    return _matches(_RULES["derived"]["head"]["set_when"], state)


def hidden(operation_id: str, deleted: bool, query: Mapping[str, Any]) -> bool:
    """Whether a deleted machine is out of reach of this request."""
    table = _RULES["hidden"]
    if not deleted or operation_id not in table["operations"]:
        return False
    return query.get(table["deleted_unless_query"]) is not True


def refusal_status() -> int:
    """The status a refused request answers."""
    return int(_RULES["refusal"]["status"])
