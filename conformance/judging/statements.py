"""The statements of spec/statements.yaml, as the suite reads them. Pure; read once.

A statement is the documentation's own words (quoted verbatim from the record under
spec/documentation/) and what they make required: failures of named checks under named
conditions, schema keywords, rules of rules.yaml, and the scenario expectations that name it
(`expect(..., by=id)`). Only through a statement can a failure count as required; anything
no statement covers is at most advisory (judging.classify).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import spec
from conformance.judging.register import CheckCover, Pointer, parse_check_cover, parse_pointer


class StatementError(ValueError):
    """spec/statements.yaml is malformed (a bug of the spec, said in one line)."""


@dataclass(frozen=True)
class Statement:
    """Words of the documentation and the rule they state."""

    id: str
    source: str  # the document and section: "bigv-api.md §7", "virtual_machines.md, Attributes"
    quote: str
    rule: str
    checks: tuple[CheckCover, ...] = ()
    schema: tuple[Pointer, ...] = ()
    rules: tuple[str, ...] = ()

    @property
    def document(self) -> str:
        """The file the quote is from."""
        return self.source.split()[0].rstrip(",")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "quote": self.quote, "source": self.source, "rule": self.rule}


def says(citation: dict[str, str]) -> str:
    """How a report cites a statement ({quote, source, ...} as summary.json carries it)."""
    return f"The documentation says: '{citation['quote']}' ({citation['source']})"


def _statement(raw: dict[str, Any]) -> Statement:
    owner = raw.get("id")
    for key in ("id", "source", "quote", "rule"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise StatementError(f"statement {owner!r}: {key} must be a non-empty string")
    requires = raw.get("requires") or {}
    unknown = set(requires) - {"checks", "schema", "rules"}
    if unknown:
        raise StatementError(f"statement {owner!r}: unknown requirement {sorted(unknown)}")
    pointers = []
    for item in requires.get("schema", []):
        text, when = (
            (item["pointer"], item.get("when") or {}) if isinstance(item, dict) else (item, {})
        )
        if set(when) - {"request"} or when.get("request") not in (None, "invalid-body"):
            raise StatementError(
                f"statement {owner!r}: a pointer's when takes request: invalid-body"
            )
        pointers.append(parse_pointer(text, owner, when.get("request"), StatementError))
    return Statement(
        id=raw["id"],
        source=raw["source"],
        quote=raw["quote"],
        rule=" ".join(raw["rule"].split()),
        checks=tuple(
            parse_check_cover(c, owner, StatementError) for c in requires.get("checks", [])
        ),
        schema=tuple(pointers),
        rules=tuple(requires.get("rules", [])),
    )


# read as register.entries() reads its file: two files, two kinds of item, alike in shape
@cache
def statements() -> dict[str, Statement]:
    """Every statement, by id, in the file's order."""
    found: dict[str, Statement] = {}
    for raw in spec.statements()["statements"]:
        item = _statement(raw)
        if item.id in found:
            raise StatementError(f"statement {item.id!r} appears twice")
        found[item.id] = item
    return found


def statement(statement_id: str) -> Statement:
    """One statement; a KeyError that names the unknown id (a bug of the suite)."""
    try:
        return statements()[statement_id]
    except KeyError:
        raise KeyError(f"no statement {statement_id!r} in spec/statements.yaml") from None


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def quote_found(item: Statement) -> bool:
    """Whether the quote stands, whitespace aside, in the document its source names."""
    try:
        text = spec.documentation(item.document)
    except KeyError:
        return False
    return _words(item.quote) in _words(text)


def cited(citation: dict[str, str]) -> bool:
    """Whether a report's citation ({id, quote, source, ...}) is a statement of the spec,
    quoted as it stands in the documentation."""
    item = statements().get(citation.get("id", ""))
    return (
        item is not None
        and citation.get("quote") == item.quote
        and citation.get("source") == item.source
        and quote_found(item)
    )


@cache
def check_covers() -> dict[str, tuple[CheckCover, ...]]:
    """check name -> the covers through which statements make its failures required."""
    found: dict[str, list[CheckCover]] = {}
    for item in statements().values():
        for cover in item.checks:
            found.setdefault(cover.check, []).append(cover)
    return {check: tuple(covers) for check, covers in found.items()}


def covering(check: str, facts: dict[str, Any]) -> Statement | None:
    """The statement that makes a failure of `check` with these facts required, if any."""
    for cover in check_covers().get(check, ()):
        if cover.applies(facts):
            return statements()[cover.entry]
    return None


@cache
def pointers() -> tuple[Pointer, ...]:
    """Every schema keyword a statement makes required."""
    return tuple(pointer for item in statements().values() for pointer in item.schema)


def covers_keyword(pointer: Pointer, document: str, parts: tuple[str, ...]) -> bool:
    """Whether a statement's pointer speaks for the keyword at `parts` of `document`."""
    return pointer.document == document and parts[: len(pointer.parts)] == pointer.parts


def statement_of_keyword(
    document: str, parts: tuple[str, ...], situations: frozenset[str] = frozenset()
) -> str | None:
    """The statement that makes the keyword at `parts` required (in these situations)."""
    for pointer in pointers():
        applies = pointer.situation is None or pointer.situation in situations
        if applies and covers_keyword(pointer, document, parts):
            return pointer.entry
    return None


@cache
def rule_statement(rule: str) -> str | None:
    """The statement that states a rules.yaml rule (`operation/table/rule` or a key)."""
    for item in statements().values():
        if rule in item.rules:
            return item.id
    return None
