"""The basis of one check's failure: does it break what the documentation states, only an
inference of ours, or only a choice where the record is silent? Pure (no I/O).

Required only by quotation: a failure is `stated` only through a statement of
spec/statements.yaml that covers that very case (a check on those operations under those
conditions, or a schema keyword the statement quotes). The silence register
(spec/register.yaml) speaks first for the points it lists (`covers.checks`, `covers.statuses`,
`covers.schema`): a choice where the record is silent is noted, an inference is advisory.
Anything neither covers is an inference (advisory at most), without anyone listing it.
"""

from __future__ import annotations

from typing import Any

from conformance.judging import register, statements, tiers
from conformance.judging.checks import SCHEMA_CHECKS, media_type
from conformance.judging.tiers import UNSTATED, Basis
from conformance.target import client


def _sent_headers(response: Any) -> Any:
    return getattr(getattr(response, "request", None), "headers", None) or {}


def facts(case: Any, response: Any, failure: Any) -> dict[str, Any]:
    """What the conditions of the register and of the statements read about one failure."""
    operation = case.operation
    operation_id = operation.definition.raw.get("operationId")
    method = getattr(getattr(response, "request", None), "method", None) or case.method
    sent = tiers.Sent.of(case)
    if tiers.body_invalid(sent):
        request = "invalid-body"
    elif tiers.request_valid(sent):
        request = "valid"
    else:
        request = "invalid"
    headers = {str(key).lower() for key in _sent_headers(response)}
    return {
        "operation_id": operation_id,
        "media_type": media_type(getattr(response, "headers", {})),
        "method_undeclared": str(method).upper() != str(operation.method).upper(),
        "query": sent.query,
        "status": response.status_code,
        "attribute": getattr(failure, "attribute", None),
        "part": getattr(failure, "part", None),
        "request": request,
        "body": set(case.body) if isinstance(case.body, dict) else set(),
        "credentials": "authorization" in headers,
        "sent": sent,
    }


def classify(check: str, case: Any, response: Any, failure: Any) -> Basis:
    """The basis of `check` failing on `response` to `case` (with `failure`). A failure that
    cannot be weighed (an answer too odd to read) is kept, as advisory: never lost, never
    required without a statement."""
    try:
        return _classify(check, case, response, failure)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, LookupError):
        return UNSTATED


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
            situations = frozenset(
                name
                for name, present in (
                    ("overview", str(found["query"].get("view", "")).lower() == "overview"),
                    ("invalid-body", found["request"] == "invalid-body"),
                )
                if present
            )
            basis = tiers.response_basis(
                operation_id, found["status"], found["media_type"], body, situations
            )
            if basis is not None:
                return basis
    if check == "negative_data_rejection":
        basis = tiers.request_basis(found["sent"])
        if basis.basis != "stated":
            return basis
    statement = statements.covering(check, found)
    if statement is not None:
        return Basis("stated", statement=statement.id)
    return UNSTATED
