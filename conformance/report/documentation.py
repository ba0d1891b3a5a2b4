"""What the documentation says about an operation, a check, a capability or a scenario.

The report quotes the contract next to each failure: the operation's summary, description and
documented responses from `spec/bigv.openapi.yaml` (or the auth document), the schema a body
had to match, the capability's level and description, the section of `spec/SOURCES.md` that
names the sources, and for scenarios their numbered story. Every lookup is here, read once.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import spec

SOURCES_PATH = spec.SPEC_DIR / "SOURCES.md"
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "suite" / "scenarios"

# What each check of schemathesis verifies, in one sentence a reader of the docs follows.
BUILTIN_CHECKS = {
    "not_a_server_error": "The API never answers with a server error (5xx): no documented "
    "request may crash it.",
    "status_code_conformance": "Every status code answered is one the spec documents for the "
    "operation.",
    "content_type_conformance": "Every answer has a Content-Type the spec documents for its "
    "status.",
    "response_headers_conformance": "Headers the spec documents for an answer are present and "
    "valid.",
    "response_schema_conformance": "The body of every answer matches the schema the spec "
    "documents for its status.",
    "negative_data_rejection": "A request the spec calls invalid is refused with a 4xx status.",
    "positive_data_acceptance": "A request the spec calls valid is accepted (2xx, or one of "
    "the documented refusals 400, 404, 409).",
    "missing_required_header": "A request without a required header (Authorization included) "
    "is refused; without credentials, with 401.",
    "ignored_auth": "Authentication is enforced: without valid credentials the API answers "
    "401 and does nothing.",
    "unsupported_method": "A method the spec does not document for a path is refused with 405.",
    "allow_header_conformance": "The Allow header of an answer lists exactly the documented "
    "methods.",
    "use_after_free": "After a successful DELETE the resource is gone: it is not found again.",
    "ensure_resource_availability": "A resource that a successful POST created can be read at "
    "once.",
    "object_level_authorization": "One identity cannot read an object another identity created.",
    "scenario": "A lifecycle scenario: numbered steps, each response judged by the spec and "
    "the rules of spec/rules.yaml.",
    "execution": "The test could not run to its end (an error in setting it up or running it).",
}


@dataclass
class OperationDoc:
    """One operation as the spec documents it."""

    label: str
    operation_id: str
    method: str
    path: str
    document: str  # bigv | auth
    summary: str
    description: str
    capability: str
    level: str
    capability_description: str
    responses: list[tuple[str, str]] = field(default_factory=list)
    sources_heading: str = ""
    sources: str = ""  # markdown of its SOURCES.md section


@dataclass
class ScenarioDoc:
    """A hand-written scenario: its id, function, capability and numbered story."""

    test_id: str
    function: str
    module: str
    capability: str
    story: str


# -- SOURCES.md -------------------------------------------------------------------------------

HEADING = re.compile(r"^(#{2,3}) (.+)$")
NAMED = re.compile(r"^[\d.]+ `([^`]+)`")


@cache
def _sources() -> dict[str, tuple[str, str]]:
    """SOURCES.md sections by the name in their heading's backticks (or the heading's text):
    name -> (heading, markdown body)."""
    sections: dict[str, tuple[str, str]] = {}
    current: str | None = None
    heading = ""
    lines: list[str] = []

    def close() -> None:
        if current is not None:
            sections.setdefault(current, (heading, "\n".join(lines).strip()))

    for line in SOURCES_PATH.read_text(encoding="utf-8").splitlines():
        match = HEADING.match(line)
        if match:
            close()
            heading = match.group(2).strip()
            named = NAMED.match(heading)
            current = named.group(1) if named else heading
            lines = []
        elif current is not None:
            lines.append(line)
    close()
    return sections


def sources_section(name: str) -> tuple[str, str] | None:
    """(heading, markdown) of the SOURCES.md section about an operationId or schema."""
    return _sources().get(name)


def _table_row(markdown: str, first_cell: str) -> str | None:
    for line in markdown.splitlines():
        if re.match(rf"\| `{re.escape(first_cell)}`[^|`]*\|", line):
            return line
    return None


def _table_header(markdown: str) -> str:
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    return "\n".join(lines[:2])


def capability_sources(capability: str) -> str | None:
    """The row of SOURCES.md's capability table for `capability`, as a one-row table."""
    for heading, (_, body) in _sources().items():
        if heading.startswith("4. Capabilities"):
            row = _table_row(body, capability)
            return f"{_table_header(body)}\n{row}" if row else None
    return None


def schema_field_sources(schema_name: str, field_name: str) -> str | None:
    """The row of a schema's SOURCES.md table for one field, as a one-row table."""
    section = sources_section(schema_name)
    if section is None:
        return None
    row = _table_row(section[1], field_name)
    return f"{_table_header(section[1])}\n{row}" if row else None


# -- the spec ---------------------------------------------------------------------------------


@cache
def _documents() -> dict[str, dict[str, Any]]:
    return {"bigv": spec.api(), "auth": spec.auth()}


def _capability(name: str) -> tuple[str, str]:
    for document in _documents().values():
        found = document.get("x-capabilities", {}).get(name)
        if found:
            return found["level"], found.get("description", "")
    return "", ""


def capability(name: str) -> dict[str, str]:
    """A capability's level and description, and its row of SOURCES.md."""
    level, description = _capability(name)
    return {
        "name": name,
        "level": level,
        "description": description,
        "sources": capability_sources(name) or "",
    }


@cache
def _operations() -> dict[str, OperationDoc]:
    found = {}
    for document_name, document in _documents().items():
        for operation_id, (method, path, operation) in spec.operations(document).items():
            label = f"{method} {path}"
            capability_name = operation.get("x-capability", "")
            level, description = _capability(capability_name)
            section = sources_section(operation_id) or ("", "")
            found[label] = OperationDoc(
                label=label,
                operation_id=operation_id,
                method=method,
                path=path,
                document=document_name,
                summary=operation.get("summary", ""),
                description=(operation.get("description") or "").strip(),
                capability=capability_name,
                level=level,
                capability_description=description,
                responses=[
                    (str(code), _describe_response(document, response))
                    for code, response in operation.get("responses", {}).items()
                ],
                sources_heading=section[0],
                sources=section[1],
            )
    return found


def _describe_response(document: dict[str, Any], response: Any) -> str:
    resolved = spec.resolve(document, response)
    return (resolved.get("description") or "").strip() if isinstance(resolved, dict) else ""


def operation(label: str | None) -> OperationDoc | None:
    """The documentation of an operation by its label (`METHOD /path`)."""
    return _operations().get(label or "")


def operations() -> dict[str, OperationDoc]:
    """Every documented operation, by label."""
    return dict(_operations())


def short_label(label: str) -> str:
    """`GET …/virtual_machines/{virtual_machine}` for the long nested paths."""
    return label.replace("/accounts/{account}/groups/{group}/", "…/", 1)


def check(name: str) -> str:
    """What a check verifies, in one sentence."""
    if name in BUILTIN_CHECKS:
        return BUILTIN_CHECKS[name]
    from conformance.judging import checks

    function = getattr(checks, name, None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else name


def check_capability(name: str) -> str | None:
    """The capability a suite check proves whatever the operation (None for built-ins)."""
    from conformance.judging import checks

    return checks.CAPABILITIES.get(name) or checks.BUILTIN_CAPABILITIES.get(name)


SCHEMA_AT = re.compile(r"Schema at (/components/schemas/([^/\s:]+)(?:/properties/([^/\s:]+))?)")


def response_schema(label: str | None, status: int | None) -> dict[str, Any] | None:
    """The schema the spec documents for an operation's answer with `status`, references
    resolved one level deep (nested objects keep their `$ref`)."""
    documentation = operation(label)
    if documentation is None or status is None:
        return None
    document = _documents()[documentation.document]
    _, _, raw = spec.operations(document)[documentation.operation_id]
    responses = raw.get("responses", {})
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    response = responses.get("default") if response is None else response
    if response is None:
        return None
    response = spec.resolve(document, response)
    media = (response.get("content") or {}).get("application/json") or {}
    schema = media.get("schema")
    if schema is None:
        return None
    reference = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    resolved = spec.resolve(document, schema)
    if resolved.get("type") == "array" and isinstance(resolved.get("items"), dict):
        resolved = dict(resolved, items=spec.resolve(document, resolved["items"]))
    return {"reference": reference, "schema": resolved}


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as indented JSON for the page."""
    return json.dumps(schema, indent=2, ensure_ascii=False)


def failing_field(message: str) -> tuple[str, str | None] | None:
    """(schema name, property) named by a schema failure's message, if it names one."""
    match = SCHEMA_AT.search(message or "")
    return (match.group(2), match.group(3)) if match else None


# -- the scenarios ----------------------------------------------------------------------------


def _scenario_marker(decorator: ast.expr) -> tuple[str, str] | None:
    if not isinstance(decorator, ast.Call) or len(decorator.args) != 2:
        return None
    name = decorator.func.id if isinstance(decorator.func, ast.Name) else None
    if name != "scenario":
        return None
    values = [arg.value for arg in decorator.args if isinstance(arg, ast.Constant)]
    return (values[0], values[1]) if len(values) == 2 else None


@cache
def _scenarios() -> dict[str, ScenarioDoc]:
    """Scenarios by stable id, read from the suite's source (never imported)."""
    found: dict[str, ScenarioDoc] = {}
    for path in sorted(SCENARIO_DIR.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                marker = _scenario_marker(decorator)
                if marker:
                    found[marker[0]] = ScenarioDoc(
                        test_id=marker[0],
                        function=node.name,
                        module=path.name,
                        capability=marker[1],
                        story=_dedent(ast.get_docstring(node) or ""),
                    )
    return found


def _dedent(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines())


def humanise(function: str) -> str:
    """`test_power_table_through_put` -> `Power table through put`."""
    words = function.removeprefix("test_").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def scenario(test_id: str) -> ScenarioDoc | None:
    """A scenario's documentation by its id (parameters in brackets are ignored)."""
    return _scenarios().get(test_id.split("[", 1)[0])
