"""Contract coverage: how much of the contract a run exercised, over the exchanges it recorded.

Pure: the inputs are the spec documents (read here), what the tests recorded (a tally, below)
and the target's own /definitions lists; the output is a plain dict for the reports. Nothing
here sends a request or knows pytest. `conformance/results/recording.py` calls
`exercised.request_facts` (what one exchange exercised) on every exchange it counts and keeps
the tally; docs/coverage.md says what each facet means.

Five facets, each `covered` of `total`:

- responses: per operation, the documented statuses answered to a request of that operation
  (its own method); statuses seen that the operation does not document are listed apart.
- parameters: per operation, each value the spec gives meaning to of each query parameter
  (its `enum` and `examples`: `include_deleted=true`, `view=overview`, ...; one item, any
  value, for a parameter that lists none), sent in some request.
- values: each value of the lists a request body draws from: a schema `enum`, or a section of
  the target's /definitions (`x-definition-formats`), used in some request body.
- rules: the rows of rules.yaml a test derived what it expected of the target from.
- links: the spec's OpenAPI links followed: a request of the link's target operation carrying
  the values its expressions take from an earlier answer of its source (same test).

The total is the mean of the five facets' percentages (each facet weighs the same, whatever
its size); a facet with nothing to cover counts as fully covered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import spec

FACETS = {  # facet -> what it counts (the reports say it beside the figures)
    "responses": "documented responses (operation and status) answered to a request of the "
    "operation",
    "parameters": "documented values of query parameters (include_deleted, purge, view, ...) sent",
    "values": "values of the lists request bodies draw from (enums, the target's "
    "/definitions) used",
    "rules": "rows of spec/rules.yaml a test derived what it expected of the target from",
    "links": "OpenAPI links of the spec followed (a request carrying what an earlier answer gave)",
}
TOTAL_DEFINITION = "the mean of the percentages of the five facets"
# formats whose value is several keys of their list joined (Signal.data: "dash-separated")
JOINED_FORMATS = {"bigv-sendkeys": "-"}
OTHER_VALUE = "*"  # a query parameter sent with a value the spec gives no meaning to
ANY_VALUE = "any"  # the one item of a query parameter whose spec lists no value


# -- the contract, read once ---------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    operation_id: str
    label: str  # "METHOD /path", as schemathesis and the recorder name it
    method: str
    template: str
    document: dict[str, Any]
    definition: dict[str, Any]


@dataclass(frozen=True)
class Link:
    id: str  # "sourceOperationId status LinkName"
    source: str  # label
    status: str
    target: str  # label
    parameters: tuple[tuple[str, str], ...]  # (parameter name, runtime expression)


@cache
def operations() -> dict[str, Operation]:
    """label -> operation, over both spec documents."""
    found = {}
    for document in (spec.api(), spec.auth()):
        for operation_id, (method, path, operation) in spec.operations(document).items():
            label = f"{method} {path}"
            found[label] = Operation(operation_id, label, method, path, document, operation)
    return found


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    item = operation.document["paths"][operation.template]
    listed = [*item.get("parameters", []), *operation.definition.get("parameters", [])]
    return [spec.resolve(operation.document, parameter) for parameter in listed]


@cache
def query_parameters() -> dict[str, dict[str, tuple[str, ...]]]:
    """label -> query parameter -> the values the spec gives meaning to (empty: any)."""
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for label, operation in operations().items():
        for parameter in _parameters(operation):
            if parameter.get("in") != "query":
                continue
            schema = spec.resolve(operation.document, parameter.get("schema", {}))
            meaningful = [*schema.get("enum", []), *schema.get("examples", [])]
            found.setdefault(label, {})[parameter["name"]] = tuple(map(str, meaningful))
    return found


Position = tuple[tuple[str, ...], str, str, tuple[str, ...]]  # path, list id, format, enum


def _walk(document, schema, path, owner, seen) -> Iterable[Position]:
    """Every place of a body whose value is drawn from a list: (path in the body, list id,
    the `bigv-*` format naming a /definitions section, or the schema's `enum`)."""
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if ref in seen:
            return
        seen = seen | {ref}
        owner = ref.rsplit("/", 1)[-1]
        schema = spec.resolve(document, {"$ref": ref})
    if not isinstance(schema, dict):
        return
    section = document.get("x-definition-formats", {}).get(schema.get("format", ""))
    if section:
        yield path, section, schema["format"], ()
    elif "enum" in schema and path:
        yield path, f"{owner}.{path[-1]}", "", tuple(map(str, schema["enum"]))
    for name, inner in schema.get("properties", {}).items():
        yield from _walk(document, inner, (*path, name), owner, seen)
    if "items" in schema:
        yield from _walk(document, schema["items"], (*path, "*"), owner, seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for inner in schema.get(key, []):
            yield from _walk(document, inner, path, owner, seen)
    for key in ("then", "else"):
        if key in schema:
            yield from _walk(document, schema[key], path, owner, seen)


@cache
def value_positions() -> dict[str, tuple[Position, ...]]:
    """label -> the places of its JSON body whose values are drawn from a list."""
    found = {}
    for label, operation in operations().items():
        body = operation.definition.get("requestBody", {})
        media = spec.resolve(operation.document, body).get("content", {}).get("application/json")
        if media:
            walked = _walk(operation.document, media.get("schema", {}), (), "", frozenset())
            found[label] = tuple(dict.fromkeys(walked))
    return found


def value_lists(definitions: Mapping[str, Any]) -> dict[str, list[str]]:
    """list id -> its values: the enums of request bodies, and the /definitions sections
    request bodies draw from (the target's own lists)."""
    lists: dict[str, list[str]] = {}
    for positions in value_positions().values():
        for _, list_id, format_name, enum in positions:
            values = (definitions.get(list_id) or []) if format_name else enum
            lists.setdefault(list_id, [str(value) for value in values])
    return lists


@cache
def links() -> tuple[Link, ...]:
    """Every OpenAPI link of the spec documents."""
    found = []
    by_id = {operation.operation_id: label for label, operation in operations().items()}
    for label, operation in operations().items():
        for status, response in operation.definition.get("responses", {}).items():
            response = spec.resolve(operation.document, response)
            for name, link in response.get("links", {}).items():
                link = spec.resolve(operation.document, link)
                parameters = tuple(
                    (key.split(".", 1)[-1], str(value))
                    for key, value in link.get("parameters", {}).items()
                )
                found.append(
                    Link(
                        f"{operation.operation_id} {status} {name}",
                        label,
                        status,
                        by_id[link["operationId"]],
                        parameters,
                    )
                )
    return tuple(found)


def rule_rows(rules: Mapping[str, Any]) -> list[str]:
    """The rows of rules.yaml, named as the register names them (`operation/table/rule`,
    `hidden/operation`, `key/inner`), with `operation/table/otherwise` for a table that
    refuses what no rule matches."""
    rows = ["refusal", "provisioning"]
    rows += [f"derived/{name}" for name in rules["derived"]]
    rows += [
        f"create/{key}"
        for key in ("then_from_request", "request_defaults", "names_unique_in", "name_freed_by")
    ]
    rows += [f"hidden/{operation_id}" for operation_id in rules["hidden"]["operations"]]
    for operation_id, tables in rules["operations"].items():
        for table in tables:
            rows += [f"{operation_id}/{table['table']}/{rule['name']}" for rule in table["rules"]]
            if table.get("otherwise") == "refuse":
                rows.append(f"{operation_id}/{table['table']}/otherwise")
    return rows


# -- the tally a run keeps, and the figures ----------------------------------------------------


def empty_tally() -> dict[str, Any]:
    """What tests recorded: statuses and query values per operation, listed values used,
    links followed and rules.yaml rows exercised (sets; `as_json` for the wire)."""
    return {"statuses": {}, "query": {}, "values": {}, "links": set(), "rules": set()}


def add_facts(tally: dict[str, Any], label: str, facts: dict[str, Any]) -> None:
    if facts["status"] is not None:
        tally["statuses"].setdefault(label, set()).add(facts["status"])
    for name, value in facts["query"].items():
        tally["query"].setdefault(label, {}).setdefault(name, set()).add(value)
    for list_id, used in facts["values"].items():
        tally["values"].setdefault(list_id, set()).update(used)


def merge(tally: dict[str, Any], other: Mapping[str, Any]) -> None:
    """Add a tally (or its JSON form) into `tally`."""
    for label, statuses in other.get("statuses", {}).items():
        tally["statuses"].setdefault(label, set()).update(statuses)
    for label, parameters in other.get("query", {}).items():
        for name, values in parameters.items():
            tally["query"].setdefault(label, {}).setdefault(name, set()).update(values)
    for list_id, used in other.get("values", {}).items():
        tally["values"].setdefault(list_id, set()).update(used)
    tally["links"].update(other.get("links", ()))
    tally["rules"].update(other.get("rules", ()))


def as_json(tally: Mapping[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: plain(inner) for key, inner in sorted(value.items())}
        if isinstance(value, set):
            return sorted(value)
        return value

    return plain(dict(tally))


def _exercised(meaningful: tuple[str, ...], sent: Iterable[str]) -> set[str]:
    """The documented values of a query parameter a run sent (`any` when it lists none)."""
    sent = set(sent) - {OTHER_VALUE}
    return (sent & set(meaningful)) if meaningful else ({ANY_VALUE} if sent else set())


def _facet(covered: int, total: int) -> dict[str, Any]:
    percent = 100.0 if total == 0 else round(100.0 * covered / total, 1)
    return {"covered": covered, "total": total, "percent": percent}


def compute(
    tally: Mapping[str, Any],
    lists: Mapping[str, Iterable[str]],
    rules: Mapping[str, Any],
    unreachable: Mapping[str, str] | None = None,
    minimum: float | None = None,
) -> dict[str, Any]:
    """The coverage figures of a run.

    `tally`: what the tests recorded (`empty_tally`, merged); `lists`: the value lists
    (`value_lists` of the target's /definitions); `unreachable`: "operationId status" ->
    why this target cannot answer that documented response (its target file says so);
    `minimum`: the --min-coverage percentage, if any."""
    unreachable = dict(unreachable or {})
    statuses, query = tally.get("statuses", {}), tally.get("query", {})
    per_operation: dict[str, Any] = {}
    observed = documented = parameters_covered = parameters_total = 0
    gaps = []
    for label, operation in operations().items():
        listed = list(operation.definition.get("responses", {}))
        seen = set(statuses.get(label, ()))
        missing = []
        for status in listed:
            if status in seen:
                continue
            reason = unreachable.get(f"{operation.operation_id} {status}")
            missing.append({"status": status, "reason": reason})
            gaps.append(
                {"operation_id": operation.operation_id, "status": status, "reason": reason}
            )
        sent = query.get(label, {})
        parameters = {
            name: {
                "sent": sorted(sent.get(name, ())),
                "documented": list(meaningful) or [ANY_VALUE],
                "exercised": sorted(_exercised(meaningful, sent.get(name, ()))),
            }
            for name, meaningful in query_parameters().get(label, {}).items()
        }
        per_operation[label] = {
            "operation_id": operation.operation_id,
            "documented": listed,
            "observed": [status for status in listed if status in seen],
            "missing": missing,
            "undocumented": sorted(seen - set(listed)),
            "parameters": parameters,
        }
        observed += len(listed) - len(missing)
        documented += len(listed)
        parameters_covered += sum(len(p["exercised"]) for p in parameters.values())
        parameters_total += sum(len(p["documented"]) for p in parameters.values())
    used = tally.get("values", {})
    values = {
        list_id: {
            "used": sorted(set(members) & set(used.get(list_id, ()))),
            "unused": sorted(set(members) - set(used.get(list_id, ()))),
        }
        for list_id, members in sorted(lists.items())
    }
    rows = rule_rows(rules)
    exercised_rows = set(tally.get("rules", ()))
    link_ids = [link.id for link in links()]
    followed = set(tally.get("links", ()))
    facets = {
        "responses": _facet(observed, documented),
        "parameters": _facet(parameters_covered, parameters_total),
        "values": _facet(
            sum(len(v["used"]) for v in values.values()),
            sum(len(v["used"]) + len(v["unused"]) for v in values.values()),
        ),
        "rules": _facet(sum(row in exercised_rows for row in rows), len(rows)),
        "links": _facet(sum(link in followed for link in link_ids), len(link_ids)),
    }
    total = round(sum(facet["percent"] for facet in facets.values()) / len(facets), 1)
    stale = sorted(
        key
        for key in unreachable
        if key not in {f"{gap['operation_id']} {gap['status']}" for gap in gaps}
    )
    return {
        "total": total,
        "definition": TOTAL_DEFINITION,
        "facets": facets,
        "operations": per_operation,
        "gaps": gaps,
        "stale_unreachable": stale,
        "values": values,
        "rules": {
            "exercised": [row for row in rows if row in exercised_rows],
            "missing": [row for row in rows if row not in exercised_rows],
        },
        "links": {
            "followed": [link for link in link_ids if link in followed],
            "missing": [link for link in link_ids if link not in followed],
        },
        "minimum": minimum,
        "met": None if minimum is None else total >= minimum,
    }


def summary_line(coverage: Mapping[str, Any]) -> str:
    """The figures in one line: the total and each facet, covered of total."""
    facets = ", ".join(
        f"{name} {facet['covered']}/{facet['total']}" for name, facet in coverage["facets"].items()
    )
    return f"Contract coverage {coverage['total']:.1f}% ({facets}; {coverage['definition']})"


def gap_line(gap: Mapping[str, Any]) -> str:
    """One documented response not observed: not reachable on this target and why, or not
    observed (no reason given)."""
    where = f"{gap['operation_id']} {gap['status']}"
    if gap.get("reason"):
        return f"{where}: not reachable on this target: {gap['reason']}"
    return f"{where}: not observed"


def shortfall(coverage: Mapping[str, Any] | None) -> str | None:
    """One line when a run's coverage is below its --min-coverage, else None."""
    if not coverage or coverage.get("met") is not False:
        return None
    return (
        f"contract coverage {coverage['total']:.1f}% is below the minimum "
        f"{coverage['minimum']:g}% (--min-coverage)"
    )
