"""The spec's schemas in three tiers, and the tier a document breaks. Pure (no I/O).

- `stated`: what the documentation states (every keyword the register covers removed);
- `inferred`: that and our inferences (the keywords of `silent` entries removed);
- `full`: the spec as written (our choices on silent points too).

A response or request that breaks the `stated` tier breaks the documentation; one that
keeps it but breaks `inferred` breaks only an inference; one that keeps both breaks only a
choice of ours where the record is silent. Formats are not checked (as schemathesis checks
none of the spec's `bigv-*` formats on answers).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import spec
from conformance.judging import register

TIERS = ("stated", "inferred", "full")
# the bases whose keywords each tier leaves out
_LEFT_OUT = {"stated": {"inferred", "silent"}, "inferred": {"silent"}, "full": set()}
# the tier a failure of a basis breaks (the strictest tier that still holds its keywords)
_TIER_OF = {"inferred": "inferred", "silent": "full"}
_DOCUMENTS = {"bigv": spec.api, "auth": spec.auth}


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


@cache
def document(name: str, tier: str, overview: bool = False, without: str | None = None) -> dict:
    """The spec document `name` at `tier`; `overview`: for an answer to view=overview;
    `without`: one entry's keywords removed as well (to find which entry a failure rests on)."""
    left_out = _LEFT_OUT[tier]
    stripped = copy.deepcopy(_document(name))
    for pointer in register.pointers():
        if pointer.document != name or (pointer.overview_only and not overview):
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
def _validator(name: str, tier: str, overview: bool, without: str | None, pointer: str):
    root = f"urn:bigv-conformance:{name}"
    resource = Resource(contents=document(name, tier, overview, without), specification=DRAFT202012)
    registry = Registry().with_resource(root, resource)
    return jsonschema.Draft202012Validator({"$ref": f"{root}#{pointer}"}, registry=registry)


def valid(
    name: str, tier: str, pointer: str, instance: Any, overview: bool = False, without=None
) -> bool:
    """Whether `instance` keeps the schema at `pointer` of document `name` at `tier`."""
    try:
        return _validator(name, tier, overview, without, pointer).is_valid(instance)
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


def _responsible(name: str, basis: str, pointer: str, instance: Any, overview: bool) -> list[str]:
    """The entries of `basis` whose keywords alone make `instance` break its tier."""
    tier = _TIER_OF[basis]
    candidates = {
        pointer.entry
        for pointer in register.pointers()
        if pointer.document == name and register.basis(pointer.entry) == basis
    }
    return [
        entry_id
        for entry_id in sorted(candidates)
        if valid(name, tier, pointer, instance, overview, without=entry_id)
    ]


@dataclass(frozen=True)
class Basis:
    """The basis of a failure: the documentation's (`stated`), an inference's, or a silent
    point's, and the register entries it rests on."""

    basis: str
    entries: tuple[str, ...] = ()


STATED = Basis("stated")


def response_basis(
    operation_id: str, status: int, media_type: str, body: Any, overview: bool
) -> Basis | None:
    """The basis of a schema failure of an answer; None when no tier is broken."""
    operation = operations().get(operation_id)
    pointer = operation and _response_pointer(operation, status, media_type)
    if operation is None or pointer is None:
        return None
    name = operation.document
    breaks = {tier: not valid(name, tier, pointer, body, overview) for tier in TIERS}
    basis = _rank(breaks)
    if basis in (None, "stated"):
        return None if basis is None else STATED
    return Basis(basis, tuple(_responsible(name, basis, pointer, body, overview)))


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


def request_basis(
    operation_id: str,
    body: Any,
    has_body: bool,
    media_type: str | None,
    path: dict[str, Any],
    query: dict[str, Any],
) -> Basis:
    """The basis on which a request is invalid: the strictest tier one of its parts breaks.
    A request no tier finds invalid (its media type, a header, ...) counts as `stated`."""
    operation = operations().get(operation_id)
    if operation is None:
        return STATED
    name = operation.document
    breaks = dict.fromkeys(TIERS, False)
    suspects: list[tuple[str, Any]] = []
    body_schema = _body_schema(operation, media_type)
    for tier in TIERS:
        if not has_body and _body_required(operation, tier):
            breaks[tier] = True
    if has_body and body_schema is not None:
        suspects.append((body_schema, body))
    schemas = _parameter_schemas(operation)
    for location, values in (("path", path), ("query", query)):
        for key, value in (values or {}).items():
            pointer = schemas.get((location, key))
            if pointer is None:
                continue
            schema = spec.resolve(_document(name), {"$ref": "#" + pointer})
            integer = schema.get("type") == "integer"
            suspects.append((pointer, _as_wire(value, integer)))
    broken = []  # (pointer, instance, the tiers it breaks)
    for pointer, instance in suspects:
        tiers = {tier for tier in TIERS if not valid(name, tier, pointer, instance)}
        broken.append((pointer, instance, tiers))
        for tier in tiers:
            breaks[tier] = True
    basis = _rank(breaks)
    if basis in (None, "stated"):
        return STATED
    tier = _TIER_OF[basis]
    entries: list[str] = []
    for pointer, instance, tiers in broken:
        if tier in tiers:
            entries += _responsible(name, basis, pointer, instance, False)
    if not has_body and _body_required(operation, tier):
        entries += [
            pointer.entry
            for pointer in register.pointers()
            if pointer.parts == (*operation.base, "requestBody", "required")
            and register.basis(pointer.entry) == basis
        ]
    return Basis(basis, tuple(dict.fromkeys(entries)))
