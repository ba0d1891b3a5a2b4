"""Invalid values for every documented constraint of a request schema. Pure functions.

The spec is the only source: each constraint a property declares (type, minimum, maxLength,
pattern, const, enum, a `bigv-*` definitions format) gives one value that breaks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import spec

NOT_IN_DEFINITIONS = "no-such-value-in-definitions"


@dataclass(frozen=True)
class Violation:
    """A value for `field` that breaks one documented constraint."""

    field: str
    value: Any
    constraint: str

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


def for_property(document: dict[str, Any], field: str, schema: dict[str, Any]) -> list[Violation]:
    """One violation per constraint the property's schema declares."""
    schema = spec.resolve(document, schema)
    types = _types(schema)
    found = []
    wrong = _wrong_type(types)
    if wrong is not None:
        found.append(Violation(field, wrong, f"type {'/'.join(types)}"))
    if "minimum" in schema:
        found.append(Violation(field, schema["minimum"] - 1, f"minimum {schema['minimum']}"))
    if "maxLength" in schema:
        found.append(
            Violation(field, "a" * (schema["maxLength"] + 1), f"maxLength {schema['maxLength']}")
        )
    if "pattern" in schema:
        found.append(Violation(field, "Not A Valid Value!", f"pattern {schema['pattern']}"))
    if "const" in schema:
        other = (
            (not schema["const"]) if isinstance(schema["const"], bool) else f"not-{schema['const']}"
        )
        found.append(Violation(field, other, f"const {schema['const']!r}"))
    if "enum" in schema:
        found.append(Violation(field, "no-such-value", f"enum {schema['enum']}"))
    if schema.get("format") in document.get("x-definition-formats", {}):
        section = document["x-definition-formats"][schema["format"]]
        found.append(Violation(field, NOT_IN_DEFINITIONS, f"one of /definitions {section}"))
    return found


def for_schema(document: dict[str, Any], schema: dict[str, Any]) -> list[Violation]:
    """Violations of every property of an object schema, and of each required property."""
    schema = spec.resolve(document, schema)
    found = [Violation(name, None, "required") for name in schema.get("required", [])]
    for name, property_schema in schema.get("properties", {}).items():
        found += for_property(document, name, property_schema)
    return found
