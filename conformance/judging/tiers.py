"""The spec's schemas in three tiers, and the tier a document breaks. Pure (no I/O).

- `stated`: only the keywords a statement of the documentation makes required
  (spec/statements.yaml), less any the register covers;
- `inferred`: the spec less the keywords of the register's `silent` entries: what we
  derived (an inference is advisory at most);
- `full`: the spec as written (our choices on silent points too).

A response or request that breaks the `stated` tier breaks what the documentation states
(and the statements that make it so are named); one that keeps it but breaks `inferred`
breaks only an inference of ours; one that keeps both breaks only a choice of ours where the
record is silent. Formats are not checked (as schemathesis checks none of the spec's
`bigv-*` formats on answers).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis.core import NOT_SET

import spec
from conformance.judging import register, statements

TIERS = ("stated", "inferred", "full")
# the register's bases whose keywords each tier leaves out
_LEFT_OUT = {"stated": {"inferred", "silent"}, "inferred": {"silent"}, "full": set()}
# the tier a failure of a basis breaks (the strictest tier that still holds its keywords)
_TIER_OF = {"stated": "stated", "inferred": "inferred", "silent": "full"}
_DOCUMENTS = {"bigv": spec.api, "auth": spec.auth}
NO_SITUATION: frozenset[str] = frozenset()

# Schema keywords that constrain an instance: in the stated tier each is kept only where a
# statement speaks for it. The others hold schemas (walked into) or annotate.
CONSTRAINTS = {
    "type", "enum", "const", "required", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "format",
    "minItems", "maxItems", "uniqueItems", "contains", "minContains", "maxContains",
    "minProperties", "maxProperties", "dependentRequired", "propertyNames", "not", "if",
    "then", "else", "unevaluatedProperties", "unevaluatedItems",
}  # fmt: skip
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


@cache
def _document(name: str) -> dict[str, Any]:
    return _DOCUMENTS[name]()


def _remove(document: dict[str, Any], parts: tuple[str, ...]) -> None:
    """Remove the keyword (or `required` name, or whole schema) at `parts`, if present."""
    node: Any = document
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return
    last = parts[-1]
    if isinstance(node, list):  # a name of a `required` list
        if last in node:
            node.remove(last)
    elif isinstance(node, dict) and last in node:
        if last == "schema":
            node[last] = {}  # a whole schema: anything goes
        else:
            del node[last]


def _keep_stated(node: Any, where: tuple[str, ...], stated: Any) -> None:
    """Strip from the schema `node` (at `where`) every constraint no statement speaks for
    (`stated(parts)`); `oneOf` becomes `anyOf`, as branches stripped alike would all match."""
    if not isinstance(node, dict):
        return
    for key in list(node):
        value, here = node[key], (*where, key)
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            for name, schema in value.items():
                _keep_stated(schema, (*here, name), stated)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            for index, schema in enumerate(value):
                _keep_stated(schema, (*here, str(index)), stated)
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            _keep_stated(value, here, stated)
        elif key == "required" and isinstance(value, list):
            node[key] = [name for name in value if stated(here) or stated((*here, name))]
        elif (key in CONSTRAINTS or key == "additionalProperties") and not stated(here):
            del node[key]
    if "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")


def _schemas(node: Any, where: tuple[str, ...]):
    """(schema, location) of every schema of an OpenAPI document: the component schemas and
    every `schema` of a parameter, a request body or a response (examples aside)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("examples", "example"):
                continue
            here = (*where, key)
            if where == ("components", "schemas") or (key == "schema" and isinstance(value, dict)):
                yield value, here
            else:
                yield from _schemas(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, (*where, str(index)))


@cache
def document(
    name: str, tier: str, situations: frozenset[str] = NO_SITUATION, without: str | None = None
) -> dict:
    """The spec document `name` at `tier`; `situations`: what the instance answers
    (`overview`: a view=overview request; `invalid-body`: a request whose body breaks a
    stated keyword); `without`: one statement's (at `stated`) or register entry's keywords
    left out as well (to find which one a failure rests on)."""
    left_out = _LEFT_OUT[tier]
    stripped = copy.deepcopy(_document(name))
    if tier == "stated":

        def stated(parts: tuple[str, ...]) -> bool:
            return any(
                pointer.entry != without
                and (pointer.situation is None or pointer.situation in situations)
                and statements.covers_keyword(pointer, name, parts)
                for pointer in statements.pointers()
            )

        for schema, where in list(_schemas(stripped, ())):
            _keep_stated(schema, where, stated)
    for pointer in register.pointers():
        if pointer.document != name or (pointer.overview_only and "overview" not in situations):
            continue
        if register.basis(pointer.entry) in left_out or pointer.entry == without:
            _remove(stripped, pointer.parts)
    return stripped


def _walk(node: Any, parts: tuple[str, ...]) -> Any:
    """The node at `parts` of a document, or {} where the path leads nowhere."""
    for part in parts:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def pointer_of(parts: tuple[str, ...]) -> str:
    return "".join(f"/{_escape(part)}" for part in parts)


@cache
def _validator(name: str, tier: str, situations: frozenset[str], without: str | None, pointer: str):
    root = f"urn:bigv-conformance:{name}"
    contents = document(name, tier, situations, without)
    resource = Resource(contents=contents, specification=DRAFT202012)
    registry = Registry().with_resource(root, resource)
    return jsonschema.Draft202012Validator({"$ref": f"{root}#{pointer}"}, registry=registry)


def valid(
    name: str,
    tier: str,
    pointer: str,
    instance: Any,
    situations: frozenset[str] = NO_SITUATION,
    without: str | None = None,
) -> bool:
    """Whether `instance` keeps the schema at `pointer` of document `name` at `tier`."""
    try:
        return _validator(name, tier, situations, without, pointer).is_valid(instance)
    except (jsonschema.exceptions.RefResolutionError, LookupError):  # the pointer left out
        return True


@dataclass(frozen=True)
class Operation:
    """Where an operation's schemas are, in its document."""

    document: str
    operation_id: str
    method: str
    path: str

    @property
    def base(self) -> tuple[str, ...]:
        return ("paths", self.path, self.method.lower())


@cache
def operations() -> dict[str, Operation]:
    found = {}
    for name in _DOCUMENTS:
        for operation_id, (method, path, _) in spec.operations(_document(name)).items():
            found[operation_id] = Operation(name, operation_id, method, path)
    return found


def _response_pointer(operation: Operation, status: int, media_type: str) -> str | None:
    document = _document(operation.document)
    parts: tuple[str, ...] = (*operation.base, "responses", str(status))
    node = _walk(document, parts)
    while isinstance(node, dict) and "$ref" in node:
        parts = tuple(node["$ref"].removeprefix("#/").split("/"))
        node = spec.resolve(document, node)
    content = (node or {}).get("content") or {}
    chosen = media_type if media_type in content else next(iter(content), None)
    if chosen is None:
        return None
    return pointer_of((*parts, "content", chosen, "schema"))


def _rank(breaks: dict[str, bool]) -> str | None:
    """The basis of the strictest tier broken: stated, inferred, silent; None if none is."""
    if breaks["stated"]:
        return "stated"
    if breaks["inferred"]:
        return "inferred"
    if breaks["full"]:
        return "silent"
    return None


def _responsible(
    name: str, basis: str, pointer: str, instance: Any, situations: frozenset[str]
) -> list[str]:
    """The statements (basis stated) or register entries (inferred, silent) whose keywords
    alone make `instance` break its tier."""
    tier = _TIER_OF[basis]
    if basis == "stated":
        candidates = {p.entry for p in statements.pointers() if p.document == name}
    else:
        candidates = {
            p.entry
            for p in register.pointers()
            if p.document == name and register.basis(p.entry) == basis
        }
    alone = [
        owner
        for owner in sorted(candidates)
        if valid(name, tier, pointer, instance, situations, without=owner)
    ]
    if alone or basis != "stated":
        return alone
    # keywords of several statements broken: name the one whose keywords break the most
    errors = {
        owner: _error_count(name, pointer, instance, situations, owner) for owner in candidates
    }
    least = min(errors.values(), default=0)
    return sorted(owner for owner, count in errors.items() if count == least)[:1]


def _error_count(name: str, pointer: str, instance: Any, situations, without: str) -> int:
    try:
        validator = _validator(name, "stated", situations, without, pointer)
        return sum(1 for _ in validator.iter_errors(instance))
    except (jsonschema.exceptions.RefResolutionError, LookupError):
        return 0


@dataclass(frozen=True)
class Basis:
    """The basis of a failure: what the documentation states (`stated`, through the
    statement named), an inference (`inferred`), or a silent point; and the register
    entries it rests on. An inference no entry names is one no statement covers."""

    basis: str
    entries: tuple[str, ...] = ()
    statement: str | None = None


STATED = Basis("stated")  # the basis of a pass (nothing to weigh)
UNSTATED = Basis("inferred")  # a failure no statement covers: advisory at most


def _basis(name: str, basis: str | None, pointer: str, instance: Any, situations) -> Basis | None:
    if basis is None:
        return None
    found = tuple(_responsible(name, basis, pointer, instance, situations))
    if basis == "stated":
        return Basis("stated", statement=found[0] if found else None)
    return Basis(basis, found)


def response_basis(
    operation_id: str, status: int, media_type: str, body: Any, situations: frozenset[str]
) -> Basis | None:
    """The basis of a schema failure of an answer; None when no tier is broken."""
    operation = operations().get(operation_id)
    pointer = operation and _response_pointer(operation, status, media_type)
    if operation is None or pointer is None:
        return None
    name = operation.document
    breaks = {tier: not valid(name, tier, pointer, body, situations) for tier in TIERS}
    return _basis(name, _rank(breaks), pointer, body, situations)


def _body_schema(operation: Operation, media_type: str | None) -> str | None:
    """The pointer of the request body's schema for `media_type`, if it declares one."""
    body_parts = (*operation.base, "requestBody")
    content = _walk(_document(operation.document), body_parts).get("content") or {}
    if media_type not in content:
        return None
    return pointer_of((*body_parts, "content", media_type, "schema"))


def _body_required(operation: Operation, tier: str) -> bool:
    body = _walk(document(operation.document, tier), (*operation.base, "requestBody"))
    return bool(body.get("required"))


def _parameter_schemas(operation: Operation) -> dict[tuple[str, str], str]:
    """(location, name) -> the pointer of each parameter's schema (path item and operation)."""
    document = _document(operation.document)
    found = {}
    for parts in (("paths", operation.path), operation.base):
        for index, parameter in enumerate(_walk(document, parts).get("parameters", [])):
            where = (*parts, "parameters", str(index))
            if "$ref" in parameter:
                where = tuple(parameter["$ref"].removeprefix("#/").split("/"))
                parameter = spec.resolve(document, parameter)
            found[(parameter["in"], parameter["name"])] = pointer_of((*where, "schema"))
    return found


def _as_wire(value: Any, integer: bool) -> Any:
    """A path or query value as the target read it: a string (an integer if all digits)."""
    text = str(value)
    if integer and text.lstrip("-").isdigit():
        return int(text)
    return text


@dataclass(frozen=True)
class Sent:
    """What a request sent, as the tiers read it."""

    operation_id: str
    body: Any
    has_body: bool
    media_type: str | None
    path: dict[str, Any]
    query: dict[str, Any]

    @classmethod
    def of(cls, case: Any) -> Sent:
        """What a schemathesis case sent."""
        has_body = case.body is not NOT_SET and case.body is not None
        operation_id = case.operation.definition.raw.get("operationId") or ""
        path, query = dict(case.path_parameters or {}), dict(case.query or {})
        return cls(operation_id, case.body, has_body, case.media_type, path, query)


def body_invalid(sent: Sent) -> bool:
    """Whether a request's body breaks a keyword a statement makes required (a bad value
    for a known attribute, as the documentation says)."""
    operation = operations().get(sent.operation_id)
    pointer = operation and sent.has_body and _body_schema(operation, sent.media_type)
    if operation is None or not pointer:
        return False
    return not valid(operation.document, "stated", pointer, sent.body)


def _request_breaks(
    operation: Operation, sent: Sent
) -> tuple[dict[str, bool], list[tuple[str, Any, set[str]]]]:
    """The tiers a request breaks, and each part that breaks one: (pointer, value, tiers)."""
    name = operation.document
    breaks = dict.fromkeys(TIERS, False)
    suspects: list[tuple[str, Any]] = []
    body_schema = _body_schema(operation, sent.media_type)
    for tier in TIERS:
        if not sent.has_body and _body_required(operation, tier):
            breaks[tier] = True
    if sent.has_body and body_schema is not None:
        suspects.append((body_schema, sent.body))
    schemas = _parameter_schemas(operation)
    for location, values in (("path", sent.path), ("query", sent.query)):
        for key, value in (values or {}).items():
            pointer = schemas.get((location, key))
            if pointer is None:
                continue
            schema = spec.resolve(_document(name), {"$ref": "#" + pointer})
            integer = schema.get("type") == "integer"
            suspects.append((pointer, _as_wire(value, integer)))
    broken = []
    for pointer, instance in suspects:
        tiers = {tier for tier in TIERS if not valid(name, tier, pointer, instance)}
        broken.append((pointer, instance, tiers))
        for tier in tiers:
            breaks[tier] = True
    return breaks, broken


def request_valid(sent: Sent) -> bool:
    """Whether a request keeps the spec as written: its body (in a media type the operation
    takes), path and query."""
    operation = operations().get(sent.operation_id)
    if operation is None or (sent.has_body and _body_schema(operation, sent.media_type) is None):
        return False
    breaks, _ = _request_breaks(operation, sent)
    return not any(breaks.values())


def request_basis(sent: Sent) -> Basis:
    """The basis on which a request is invalid: the strictest tier one of its parts breaks.
    A request no tier finds invalid (its media type, a header, ...) is so by no statement:
    advisory at most."""
    operation = operations().get(sent.operation_id)
    if operation is None:
        return UNSTATED
    breaks, broken = _request_breaks(operation, sent)
    basis = _rank(breaks)
    if basis is None:
        return UNSTATED
    tier = _TIER_OF[basis]
    owners: list[str] = []
    for pointer, instance, tiers in broken:
        if tier in tiers:
            owners += _responsible(operation.document, basis, pointer, instance, NO_SITUATION)
    if basis == "stated":
        return Basis("stated", statement=owners[0] if owners else None)
    if not sent.has_body and _body_required(operation, tier):
        owners += [
            pointer.entry
            for pointer in register.pointers()
            if pointer.parts == (*operation.base, "requestBody", "required")
            and register.basis(pointer.entry) == basis
        ]
    return Basis(basis, tuple(dict.fromkeys(owners)))
