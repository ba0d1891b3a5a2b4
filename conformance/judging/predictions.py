"""spec.lifecycle as the checks and the scenarios use it: each prediction made from
rules.yaml tells the rows it came from to whoever listens.

Judging knows no listener of its own: the run's recording registers one (`listen`) and
tallies the rows as exercised (conformance coverage, facet `rules`). Without a listener a
prediction is simply spec.lifecycle's answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import spec
from spec import lifecycle as _lifecycle

RULES = spec.rules()

_LISTENERS: list[Callable[..., None]] = []


def listen(tally: Callable[..., None]) -> None:
    """Have `tally(*rows)` called with the rows of rules.yaml every prediction came from."""
    if tally not in _LISTENERS:
        _LISTENERS.append(tally)


def _tell(*rows: str) -> None:
    for tally in _LISTENERS:
        tally(*rows)


def applied_rows(
    rules: Mapping[str, Any], operation_id: str, applied: Iterable[str], refused: bool
) -> list[str]:
    """The rows a lifecycle outcome of `operation_id` came from: the rules it applied, or
    the refusing table and the refusal."""
    tables = rules["operations"].get(operation_id, [])
    rows = [
        f"{operation_id}/{table['table']}/{rule['name']}"
        for table in tables
        for rule in table["rules"]
        if rule["name"] in applied
    ]
    if refused:
        rows += [
            f"{operation_id}/{table['table']}/otherwise"
            for table in tables
            if table.get("otherwise") == "refuse"
        ] + ["refusal"]
    return rows


class Predictions:
    """spec.lifecycle, telling the rows of each prediction to the listeners."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_lifecycle, name)

    def apply(self, operation_id: str, state: Any, request: Any) -> _lifecycle.Outcome:
        outcome = _lifecycle.apply(operation_id, state, request)
        refused = outcome.refused is not None
        _tell(*applied_rows(RULES, operation_id, outcome.applied, refused))
        return outcome

    def settled(self, operation_id: str, state: Any, request: Any, keys: tuple[str, ...]):
        self.apply(operation_id, state, request)
        return _lifecycle.settled(operation_id, state, request, keys)

    def create(self, request: Any) -> _lifecycle.Outcome:
        table = RULES["create"]
        defaulted = any(key not in request for key in table["then_from_request"])
        _tell("create/then_from_request", *(["create/request_defaults"] * defaulted))
        return _lifecycle.create(request)

    def hidden(self, operation_id: str, deleted: bool, query: Any) -> bool:
        if deleted and operation_id in RULES["hidden"]["operations"]:
            _tell(f"hidden/{operation_id}")
        return _lifecycle.hidden(operation_id, deleted, query)

    def hostname(self, name: str, group: str, account: str, cluster_domain: str) -> str:
        _tell("derived/hostname")
        return _lifecycle.hostname(name, group, account, cluster_domain)

    def judged_by(self, *rows: str) -> None:
        """Rows no prediction returns, which a scenario judged a target's answer by."""
        _tell(*rows)

    def head_is_set(self, state: Any) -> bool:
        _tell("derived/head")
        return _lifecycle.head_is_set(state)


lifecycle = Predictions()
