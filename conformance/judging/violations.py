"""Invalid values for every documented constraint of a request schema. Pure functions.

The spec is the only source: each constraint a property declares (type, minimum, maxLength,
pattern, const, enum, a `bigv-*` definitions format) gives one value that breaks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import spec
from conformance.judging import register, statements

NOT_IN_DEFINITIONS = "no-such-value-in-definitions"


@dataclass(frozen=True)
class Violation:
    """A value for `field` that breaks one constraint of the spec. `register`: the entry of
    spec/register.yaml the constraint rests on (an inference, or a silent point), if any."""

    field: str
    value: Any
    constraint: str
    register: str | None = None
    # the statement that states the constraint (spec/statements.yaml), if one does: only
    # then is a body breaking it a "bad value for a known attribute" the documentation names
    statement: str | None = None

    @property
    def id(self) -> str:
        """A short test id: the field and the kind of constraint (`cores-minimum`)."""
        return f"{self.field}-{self.constraint.split()[0]}"


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type", [])
    return kind if isinstance(kind, list) else [kind]


def _wrong_type(types: list[str]) -> Any:
    for candidate, kind in (("not-a-number", "integer"), (12345, "string"), ("maybe", "boolean")):
        if kind in types and not _accepts(types, candidate):
            return candidate
    return None


def _accepts(types: list[str], value: Any) -> bool:
    checks = {
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    return any(checks.get(kind, lambda v: False)(value) for kind in types)


def _where(
    document: dict[str, Any], schema: dict[str, Any], where: tuple[str, ...]
) -> tuple[str, ...]:
    """The location of a schema in its document: where its `$ref`s lead, or `where`."""
    while isinstance(schema, dict) and "$ref" in schema:
        where = tuple(schema["$ref"].removeprefix("#/").split("/"))
        schema = _at(document, where)
    return where


def _at(document: dict[str, Any], where: tuple[str, ...]) -> Any:
    node: Any = document
    for part in where:
        node = node[part]
    return node


def for_property(
    document: dict[str, Any], field: str, schema: dict[str, Any], where: tuple[str, ...] = ()
) -> list[Violation]:
    """One violation per constraint the property's schema declares (`where`: its location
    in the document, to name the register entry a constraint rests on)."""
    where = _where(document, schema, where)
    schema = spec.resolve(document, schema)
    types = _types(schema)
    found = []

    def add(keyword: str, value: Any, constraint: str) -> None:
        entry = register.entry_covering("bigv", (*where, keyword)) if where else None
        stated = statements.statement_of_keyword("bigv", (*where, keyword)) if where else None
        found.append(Violation(field, value, constraint, entry, stated))

    wrong = _wrong_type(types)
    if wrong is not None:
        add("type", wrong, f"type {'/'.join(types)}")
    if "minimum" in schema:
        add("minimum", schema["minimum"] - 1, f"minimum {schema['minimum']}")
    if "maxLength" in schema:
        add("maxLength", "a" * (schema["maxLength"] + 1), f"maxLength {schema['maxLength']}")
    if "pattern" in schema:
        add("pattern", "Not A Valid Value!", f"pattern {schema['pattern']}")
    if "const" in schema:
        const = schema["const"]
        add("const", (not const) if isinstance(const, bool) else f"not-{const}", f"const {const!r}")
    if "enum" in schema:
        add("enum", "no-such-value", f"enum {schema['enum']}")
    if schema.get("format") in document.get("x-definition-formats", {}):
        section = document["x-definition-formats"][schema["format"]]
        add("format", NOT_IN_DEFINITIONS, f"one of /definitions {section}")
    return found


def for_schema(
    document: dict[str, Any], schema: dict[str, Any], where: tuple[str, ...] = ()
) -> list[Violation]:
    """Violations of every property of an object schema, and of each required property
    (`where`: the schema's location in the document)."""
    where = _where(document, schema, where)
    schema = spec.resolve(document, schema)
    found = [
        Violation(
            name,
            None,
            "required",
            register.entry_covering("bigv", (*where, "required", name)) if where else None,
            statements.statement_of_keyword("bigv", (*where, "required", name)) if where else None,
        )
        for name in schema.get("required", [])
    ]
    for name, property_schema in schema.get("properties", {}).items():
        place = (*where, "properties", name) if where else ()
        found += for_property(document, name, property_schema, place)
    return found


def for_component(document: dict[str, Any], name: str) -> list[Violation]:
    """Violations of every constraint of the component schema `name`."""
    return for_schema(
        document, document["components"]["schemas"][name], ("components", "schemas", name)
    )
