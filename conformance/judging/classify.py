"""The basis of one check's failure: does it break what the documentation states, only an
inference of ours, or only a choice where the record is silent? Pure (no I/O).

The silence register (spec/register.yaml) speaks for failures of named checks under named
conditions (`covers.checks`), for undocumented statuses (`covers.statuses`), and for schema
keywords (`covers.schema`): a schema failure is judged by the strictest tier of the spec the
answer breaks, and an accepted invalid request by the strictest tier the request breaks
(`tiers`). Everything else is `stated`.
"""

from __future__ import annotations

from typing import Any

from schemathesis.core import NOT_SET

from conformance import client
from conformance.judging import register, tiers
from conformance.judging.checks import SCHEMA_CHECKS, media_type
from conformance.judging.tiers import STATED, Basis


def facts(case: Any, response: Any, failure: Any) -> dict[str, Any]:
    """What the register's conditions read about one failed check."""
    operation = case.operation
    sent = getattr(getattr(response, "request", None), "method", None) or case.method
    return {
        "operation_id": operation.definition.raw.get("operationId"),
        "media_type": media_type(getattr(response, "headers", {})),
        "method_undeclared": str(sent).upper() != str(operation.method).upper(),
        "query": dict(case.query or {}),
        "status": response.status_code,
        "attribute": getattr(failure, "attribute", None),
        "part": getattr(failure, "part", None),
    }


def classify(check: str, case: Any, response: Any, failure: Any) -> Basis:
    """The basis of `check` failing on `response` to `case` (with `failure`). A failure that
    cannot be weighed (an answer too odd to read) counts as stated: never a failure lost."""
    try:
        return _classify(check, case, response, failure)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, LookupError):
        return STATED


def _classify(check: str, case: Any, response: Any, failure: Any) -> Basis:
    found = facts(case, response, failure)
    for cover in register.check_covers().get(check, ()):
        if cover.applies(found):
            return Basis(register.basis(cover.entry), (cover.entry,))
    operation_id = found["operation_id"]
    if check == "status_code_conformance":
        entry_id = register.status_covers().get((operation_id, found["status"]))
        if entry_id is not None:
            return Basis(register.basis(entry_id), (entry_id,))
    if check in SCHEMA_CHECKS:
        body = client.json_or_none(response)  # None: no JSON to weigh (never a valid answer)
        if body is not None:
            overview = str(found["query"].get("view", "")).lower() == "overview"
            basis = tiers.response_basis(
                operation_id, found["status"], found["media_type"], body, overview
            )
            if basis is not None:
                return basis
    if check == "negative_data_rejection":
        return tiers.request_basis(
            operation_id,
            case.body,
            case.body is not NOT_SET and case.body is not None,
            case.media_type,
            dict(case.path_parameters or {}),
            dict(case.query or {}),
        )
    return STATED
