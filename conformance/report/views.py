"""The report page's view of a run: problems with what the documentation says next to what
the API did, the matrix of operations and checks, scenarios and one real exchange per
operation, as plain data for the template (conformance.report.html renders it)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

from conformance.judging import checks, register
from conformance.report import documentation
from conformance.results.observations import OUTCOMES, Observation, Problem, scrub
from conformance.results.summary import Summary, incomplete_line
from conformance.target import redaction

# Matrix columns: the response checks first, then the other built-ins, then the suite's own.
CHECK_ORDER = (
    *checks.RESPONSE_ONLY_CHECKS,
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "object_level_authorization",
    "vm_read_by_id",
    "vm_hostname_derivation",
    "vm_head_follows_power",
    "vm_update_applied",
    "vm_created_as_requested",
    "action_echoed",
    "go_client_understands_status",
    "python_client_reads_media_type",
    "go_client_decodes_result",
    "execution",
)


CHECK_SHORT = {
    "not_a_server_error": "no 5xx",
    "status_code_conformance": "status",
    "content_type_conformance": "content type",
    "response_headers_conformance": "headers",
    "response_schema_conformance": "schema",
    "vendor_type_schema_conformance": "schema (vendor type)",
    "negative_data_rejection": "rejects invalid",
    "positive_data_acceptance": "accepts valid",
    "missing_required_header": "needs header",
    "ignored_auth": "auth enforced",
    "unsupported_method": "405 method",
    "allow_header_conformance": "Allow header",
    "use_after_free": "gone after delete",
    "ensure_resource_availability": "there after create",
    "object_level_authorization": "object authz",
    "vm_read_by_id": "reads by id",
    "vm_hostname_derivation": "hostname",
    "vm_head_follows_power": "head / power",
    "vm_update_applied": "update applied",
    "vm_created_as_requested": "created as asked",
    "action_echoed": "echo",
    "go_client_understands_status": "Go client status",
    "python_client_reads_media_type": "Python client type",
    "go_client_decodes_result": "Go client JSON",
    "execution": "test ran",
}


SYMBOL = {
    "failed": "\u2717",
    "deviation": "\u2248",
    "noted": "\u25cb",
    "passed": "\u2713",
    "skipped": "\u2013",
}


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown(text: str) -> Markup:
    """SOURCES.md text as HTML (raw HTML in it is escaped)."""
    return Markup(_markdown().render(text or ""))


def inline_markdown(text: str) -> Markup:
    """One line of the spec's CommonMark (code spans, emphasis) as HTML."""
    return Markup(_markdown().renderInline(text or ""))


def pretty(body: Any) -> str:
    """A body for reading: JSON indented, anything else as it came."""
    if body is None or body == "":
        return ""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(body)


def worst(counts: dict[str, int]) -> str:
    """The outcome a cell or row shows: failed over deviation over passed over skipped."""
    for outcome in ("failed", "deviation", "noted", "passed", "skipped"):
        if counts.get(outcome):
            return outcome
    return "none"


def _status_class(status: str) -> str:
    return f"s{str(status)[:1]}xx" if str(status)[:1].isdigit() else "sother"


@dataclass
class ExchangeView:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: Any
    response_headers: dict[str, str]
    response_body: str
    elapsed: float | None
    curl: str


def exchange_view(exchange: dict[str, Any] | None) -> ExchangeView | None:
    if not exchange:
        return None
    request, response = exchange.get("request") or {}, exchange.get("response") or {}
    return ExchangeView(
        method=request.get("method", ""),
        url=scrub(request.get("url", "")),
        request_headers=redaction.redact_headers(request.get("headers") or {}),
        request_body=scrub(pretty(request.get("body"))),
        status=response.get("status"),
        response_headers=redaction.redact_headers(response.get("headers") or {}),
        response_body=scrub(pretty(response.get("body"))),
        elapsed=response.get("elapsed"),
        curl=scrub(exchange.get("curl", "")),
    )


@dataclass
class StoryLine:
    text: str
    failed: bool


@dataclass
class ProblemView:
    """One broken rule, with the documentation beside the evidence."""

    anchor: str
    problem: Problem
    title: str
    level: str
    kind: str
    operation: str | None
    short_operation: str | None
    check: str
    check_text: str
    capability: dict[str, str]
    tests: list[str]
    stopped: list[str]
    kinds: dict[str, int]
    message: str
    step: str | None
    exchange: ExchangeView | None
    reason: str | None
    doc: documentation.OperationDoc | None
    sources: Markup | None
    capability_sources: Markup | None
    status_seen: str | None
    schema: str | None
    schema_reference: str | None
    field_sources: Markup | None
    story: list[StoryLine] = field(default_factory=list)
    scenario_function: str | None = None
    search: str = ""
    basis: str = "stated"
    register_entry: dict[str, Any] | None = None  # the inference it rests on, if any
    statement: dict[str, str] | None = None  # the documentation's words that require it


def _story(test_id: str, step: str | None) -> tuple[list[StoryLine], str | None]:
    found = documentation.scenario(test_id)
    if found is None:
        return [], None
    numbers: set[int] = set()
    match = re.match(r"\s*(\d+)(?:\s*-\s*(\d+))?", step or "")
    if match:
        first = int(match.group(1))
        numbers = set(range(first, int(match.group(2) or first) + 1))
    lines = []
    for line in found.story.splitlines():
        number = re.match(r"(\d+)\.", line)
        lines.append(StoryLine(line, bool(number and int(number.group(1)) in numbers)))
    return lines, f"{found.module}::{found.function}"


def _entry(entry_id: str | None) -> dict[str, Any] | None:
    entry = register.entries().get(entry_id or "")
    return entry.to_dict() if entry else None


def problem_view(problem: Problem, anchor: str) -> ProblemView:
    first = problem.first
    doc = documentation.operation(problem.operation) if problem.kind != "scenario" else None
    capability = documentation.capability(problem.capability)
    schema = schema_reference = field_sources = None
    status = first.status
    if problem.check == "response_schema_conformance" and doc is not None:
        found = documentation.response_schema(problem.operation, status)
        if found:
            schema = documentation.schema_text(found["schema"])
            schema_reference = found["reference"]
        failing = documentation.failing_field(first.message)
        if failing and failing[1]:
            row = documentation.schema_field_sources(*failing)
            field_sources = markdown(row) if row else None
    story: list[StoryLine] = []
    function = None
    if problem.kind == "scenario":
        story, function = _story(first.base_test_id, first.step)
    kinds = Counter(
        {o.base_test_id: o.kind for o in [*problem.observations, *problem.stopped]}.values()
    )
    view = ProblemView(
        anchor=anchor,
        problem=problem,
        title=scrub(problem.title) or problem.check,
        level=problem.level,
        kind=problem.kind,
        operation=problem.operation,
        short_operation=documentation.short_label(problem.operation) if problem.operation else None,
        check=problem.check,
        check_text=documentation.check(problem.check),
        capability=capability,
        tests=problem.tests,
        stopped=[o.test_id for o in problem.stopped],
        kinds=dict(kinds),
        message=scrub(first.message),
        step=first.step,
        exchange=exchange_view(first.exchange),
        reason=problem.reason,
        doc=doc,
        sources=markdown(doc.sources) if doc and doc.sources else None,
        capability_sources=markdown(capability["sources"]) if capability["sources"] else None,
        status_seen=str(status) if status is not None else None,
        schema=schema,
        schema_reference=schema_reference,
        field_sources=field_sources,
        story=story,
        scenario_function=function,
        basis=problem.basis,
        register_entry=_entry(problem.register),
        statement=problem.statement,
    )
    view.search = " ".join(
        str(part)
        for part in (
            view.title,
            view.operation,
            doc.operation_id if doc else "",
            view.check,
            view.capability["name"],
            " ".join(view.tests),
        )
    )
    return view


@dataclass
class Cell:
    outcome: str
    counts: dict[str, int]
    text: str
    tip: str


@dataclass
class MatrixRow:
    label: str
    short: str
    operation_id: str
    capability: str
    level: str
    cells: list[Cell | None]
    statuses: list[tuple[str, int, str]]
    requests: int
    outcome: str
    anchor: str
    problem: str | None = None  # the anchor of the problem card about this operation


def _cell(counts: dict[str, int]) -> Cell | None:
    total = sum(counts.values())
    if not total:
        return None
    outcome = worst(counts)
    shown = counts[outcome]
    text = f"{SYMBOL[outcome]} {shown}" + (
        f"/{total}" if outcome in ("failed", "deviation") else ""
    )
    tip = ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts.get(o))
    return Cell(outcome, counts, text, tip)


def matrix_view(data: dict[str, Any]) -> tuple[list[str], list[MatrixRow]]:
    operations = data["operations"]
    present = {check for row in operations.values() for check in row["checks"]}
    checks = [c for c in CHECK_ORDER if c in present] + sorted(present - set(CHECK_ORDER))
    rows = []
    for label, doc in documentation.operations().items():
        seen = operations.get(label, {"checks": {}, "statuses": {}, "requests": 0})
        cells = [
            _cell({o: seen["checks"].get(check, {}).get(o, 0) for o in OUTCOMES})
            for check in checks
        ]
        totals = Counter()
        for cell in cells:
            if cell:
                totals.update(cell.counts)
        rows.append(
            MatrixRow(
                label=label,
                short=documentation.short_label(label),
                operation_id=doc.operation_id,
                capability=doc.capability,
                level=doc.level,
                cells=cells,
                statuses=[
                    (status, count, _status_class(status))
                    for status, count in sorted(seen["statuses"].items())
                ],
                requests=seen["requests"],
                outcome=worst(totals),
                anchor=f"op-{doc.operation_id}",
            )
        )
    return checks, rows


@dataclass
class ScenarioRow:
    observation: Observation
    title: str
    story: str
    anchor: str | None


@dataclass
class ExampleView:
    doc: documentation.OperationDoc
    anchor: str
    exchange: ExchangeView | None
    status_description: str


def example_views(examples: dict[str, Any]) -> list[ExampleView]:
    views = []
    for label, doc in documentation.operations().items():
        exchange = exchange_view(examples.get(label))
        description = ""
        if exchange is not None:
            description = dict(doc.responses).get(str(exchange.status), "")
        views.append(ExampleView(doc, f"ex-{doc.operation_id}", exchange, description))
    return views


def verdict_sentence(summary: Summary, problems: list[ProblemView]) -> str:
    text = _judged_sentence(summary, problems)
    if summary.incomplete:
        text += f" {incomplete_line(summary)}"
    return text


def _judged_sentence(summary: Summary, problems: list[ProblemView]) -> str:
    required = [p for p in problems if p.level == "required"]
    advisory = len(problems) - len(required)
    if summary.incomplete and not required:
        return "No required check failed in what ran, but the run did not finish."
    if summary.conformant:
        text = "Every required check passed: the target behaves as the original documentation says."
        if advisory:
            text += (
                f" {advisory} advisory rule{'s are' if advisory != 1 else ' is'} broken "
                "(listed below; advisory failures do not change the verdict)."
            )
        return text
    return (
        f"The target breaks {len(required)} required rule{'s' if len(required) != 1 else ''} "
        "of the documentation"
        + (f" and {advisory} advisory one{'s' if advisory != 1 else ''}" if advisory else "")
        + ". Each is explained below with the documentation it breaks, what the API answered, "
        "and a curl line to reproduce it."
    )
