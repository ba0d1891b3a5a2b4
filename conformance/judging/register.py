"""The silence register of spec/register.yaml, as the suite reads it. Pure; read once.

Each entry is a point where the spec, rules.yaml, a check or a scenario rests on an
inference (`inferred`), or where the record is silent or allows more than one answer
(`silent`); a few `stated` entries record how the record settles its own disagreements. The
basis decides how a failure that rests on the point is judged (`weight`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import spec

BASES = ("stated", "inferred", "silent")
# how a failure is judged, by the basis of the point it rests on
WEIGHTS = {
    "stated": "the capability's level",
    "inferred": "advisory",
    "silent": "noted, never failed",
}


@dataclass(frozen=True)
class Entry:
    """One point of the register."""

    id: str
    basis: str
    question: str
    chose: str
    others: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    record: str | None = None  # the open point of bigv-api.md §11, if it is one
    covers: dict[str, Any] = field(default_factory=dict)
    divergent: str | None = None
    not_divergent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "basis": self.basis,
            "question": self.question,
            "chose": self.chose,
            "others": list(self.others),
            "sources": list(self.sources),
            "record": self.record,
        }


class RegisterError(ValueError):
    """spec/register.yaml is malformed (a bug of the spec, said in one line)."""


def _entry(raw: dict[str, Any]) -> Entry:
    basis = raw.get("basis")
    if basis not in BASES:
        raise RegisterError(f"register entry {raw.get('id')!r}: basis must be one of {BASES}")
    return Entry(
        id=raw["id"],
        basis=basis,
        question=raw["question"],
        chose=str(raw["chose"]),
        others=tuple(str(other) for other in raw.get("others") or ()),
        sources=tuple(raw.get("sources") or ()),
        record=raw.get("record"),
        covers=raw.get("covers") or {},
        divergent=raw.get("divergent"),
        not_divergent=raw.get("not_divergent"),
    )


@cache
def entries() -> dict[str, Entry]:
    """Every entry of the register, by id, in the register's order."""
    found: dict[str, Entry] = {}
    for raw in spec.register()["entries"]:
        entry = _entry(raw)
        if entry.id in found:
            raise RegisterError(f"register entry {entry.id!r} appears twice")
        found[entry.id] = entry
    return found


def entry(entry_id: str) -> Entry:
    """One entry; a KeyError that names the unknown id (a bug of the suite)."""
    try:
        return entries()[entry_id]
    except KeyError:
        raise KeyError(f"no entry {entry_id!r} in spec/register.yaml") from None


def basis(entry_id: str | None) -> str:
    """The basis of a point: `stated` when no entry is named."""
    return "stated" if entry_id is None else entry(entry_id).basis


@dataclass(frozen=True)
class Pointer:
    """A keyword of a spec document that rests on a register entry (or that a statement
    makes required)."""

    document: str  # bigv | auth
    parts: tuple[str, ...]  # the JSON pointer, unescaped
    entry: str
    # the situation it is limited to: an answer to view=overview, or to a request whose body
    # breaks a stated keyword (`invalid-body`); None: always
    situation: str | None = None

    @property
    def overview_only(self) -> bool:
        return self.situation == "overview"


def parse_pointer(text: str, owner: str, situation: str | None, error: type[ValueError]) -> Pointer:
    """One schema pointer (`bigv:/...` or `auth:/...`) of a register entry or statement
    (`owner`: its id); a bad one raises `error` naming the owner."""
    document, _, pointer = text.partition(":")
    if document not in ("bigv", "auth") or not pointer.startswith("/"):
        raise error(f"{owner!r}: bad schema pointer {text!r}")
    parts = tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:])
    return Pointer(document, parts, owner, situation)


@cache
def pointers() -> tuple[Pointer, ...]:
    """Every schema keyword the register covers."""
    found = []
    for item in entries().values():
        for covered in item.covers.get("schema", []):
            text, when = (
                (covered["pointer"], covered.get("when"))
                if isinstance(covered, dict)
                else (covered, None)
            )
            found.append(parse_pointer(text, item.id, when, RegisterError))
    return tuple(found)


def entry_covering(document: str, parts: tuple[str, ...]) -> str | None:
    """The entry whose schema pointer covers the keyword at `parts` of `document` (the
    keyword itself, or a schema around it); overview-only pointers aside."""
    for pointer in pointers():
        covered = pointer.parts == parts[: len(pointer.parts)]
        if pointer.document == document and covered and not pointer.overview_only:
            return pointer.entry
    return None


CONDITIONS = (
    "media_type",
    "method",
    "query_lacks",
    "statuses",
    "attribute",
    "part",
    "request",
    "body_lacks",
    "credentials",
)
REQUESTS = ("valid", "invalid-body", "invalid")


def _status_matches(wanted: str | int, status: Any) -> bool:
    """`wanted` is a status (404) or a class of them ("4xx")."""
    if isinstance(wanted, str) and wanted.endswith("xx"):
        return isinstance(status, int) and status // 100 == int(wanted[0])
    return status == int(wanted)


@dataclass(frozen=True)
class CheckCover:
    """A check whose failures (on some operations, under some conditions) rest on an entry
    of the register, or are made required by a statement (spec/statements.yaml)."""

    check: str
    entry: str
    operations: frozenset[str] | None = None  # None: every operation
    media_type: re.Pattern | None = None
    method_undeclared: bool = False
    query_lacks: str | None = None
    statuses: tuple[str | int, ...] | None = None
    attribute: str | None = None
    part: str | None = None
    # what the request is, one of: valid (it keeps the spec), invalid-body (its body breaks
    # a keyword a statement states: a bad value of a known attribute), invalid (otherwise)
    request: tuple[str, ...] | None = None
    body_lacks: str | None = None
    credentials: bool | None = None

    def applies(self, facts: dict[str, Any]) -> bool:
        """Whether a failure with these facts is one this cover speaks for. `facts`:
        operation_id, media_type, method_undeclared, query (dict), status, attribute, part,
        request (valid, invalid-body or invalid), body (the keys sent), credentials."""
        if self.operations is not None and facts.get("operation_id") not in self.operations:
            return False
        if self.media_type is not None and not self.media_type.search(
            facts.get("media_type") or ""
        ):
            return False
        if self.method_undeclared and not facts.get("method_undeclared"):
            return False
        if self.query_lacks is not None:
            value = (facts.get("query") or {}).get(self.query_lacks)
            if str(value).lower() == "true":
                return False
        status = facts.get("status")
        if self.statuses is not None and not any(
            _status_matches(wanted, status) for wanted in self.statuses
        ):
            return False
        if self.request is not None and facts.get("request") not in self.request:
            return False
        if self.body_lacks is not None and self.body_lacks in (facts.get("body") or ()):
            return False
        if self.credentials is not None and bool(facts.get("credentials")) != self.credentials:
            return False
        if self.attribute is not None and facts.get("attribute") != self.attribute:
            return False
        return self.part is None or facts.get("part") == self.part


def parse_check_cover(raw: dict[str, Any], owner: str, error: type[ValueError]) -> CheckCover:
    """One `checks` item of a register entry or a statement (`owner`: its id); a bad one
    raises `error` naming the owner."""
    when = raw.get("when") or {}
    unknown = set(when) - set(CONDITIONS)
    if unknown:
        raise error(f"{owner!r}: unknown condition {sorted(unknown)}")
    request = when.get("request")
    request = (request,) if isinstance(request, str) else request
    if request is not None and (not request or set(request) - set(REQUESTS)):
        raise error(f"{owner!r}: request must be one or more of {REQUESTS}")
    operations = raw.get("operations")
    return CheckCover(
        check=raw["check"],
        entry=owner,
        operations=frozenset(operations) if operations else None,
        media_type=re.compile(when["media_type"]) if "media_type" in when else None,
        method_undeclared=when.get("method") == "undeclared",
        query_lacks=when.get("query_lacks"),
        statuses=tuple(when["statuses"]) if "statuses" in when else None,
        attribute=when.get("attribute"),
        part=when.get("part"),
        request=tuple(request) if request is not None else None,
        body_lacks=when.get("body_lacks"),
        credentials=when.get("credentials"),
    )


@cache
def check_covers() -> dict[str, tuple[CheckCover, ...]]:
    """check name -> the covers that speak for its failures."""
    found: dict[str, list[CheckCover]] = {}
    for item in entries().values():
        for raw in item.covers.get("checks", []):
            cover = parse_check_cover(raw, item.id, RegisterError)
            found.setdefault(cover.check, []).append(cover)
    return {check: tuple(covers) for check, covers in found.items()}


@cache
def attribute_entries(check: str) -> dict[str, str]:
    """attribute -> the entry a failure of `check` about that attribute rests on."""
    return {
        cover.attribute: cover.entry
        for cover in check_covers().get(check, ())
        if cover.attribute is not None
    }


@cache
def status_covers() -> dict[tuple[str, int], str]:
    """(operationId, status) -> the entry that lets a target answer that undocumented status."""
    found = {}
    for item in entries().values():
        for raw in item.covers.get("statuses", []):
            for operation_id in raw["operations"]:
                for status in raw["statuses"]:
                    known = found.setdefault((operation_id, int(status)), item.id)
                    if known != item.id:
                        raise RegisterError(
                            f"register entries {known!r} and {item.id!r} both let "
                            f"{operation_id} answer {status}"
                        )
    return found


def rule_entry(rule: str) -> str | None:
    """The entry a rules.yaml rule (`operation/table/rule` or a top-level key) rests on."""
    for item in entries().values():
        if rule in item.covers.get("rules", []):
            return item.id
    return None
