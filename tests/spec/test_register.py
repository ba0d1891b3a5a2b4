"""The silence register (spec/register.yaml) against SOURCES.md, the spec, rules.yaml and
the suite: every inference and choice has an entry, every entry points at real parts, and
nothing in the suite requires a point the register marks as inferred or silent."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import spec
from conformance.judging import register, tiers

REPO = Path(__file__).resolve().parents[2]
SOURCES = (REPO / "spec" / "SOURCES.md").read_text(encoding="utf-8")
SUITE = REPO / "conformance"
MARKER = re.compile(r"\*\*(inference|choice)\*\*", re.IGNORECASE)
TAG = re.compile(r"\[register: ([a-z0-9-]+)\]")
ENTRIES = register.entries()


def _section(number: int) -> str:
    start = SOURCES.index(f"\n## {number}. ")
    end = SOURCES.find("\n## ", start + 1)
    return SOURCES[start:end]


def test_every_entry_says_what_it_chose_what_else_is_allowed_and_why():
    for entry in ENTRIES.values():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.id), entry.id
        assert entry.basis in register.BASES, entry.id
        assert entry.question.endswith("?"), entry.id
        assert entry.chose and entry.sources, entry.id
        assert bool(entry.divergent) != bool(entry.not_divergent), (
            f"{entry.id}: give either what the divergent emulator does or why it cannot"
        )


def test_every_inference_and_choice_of_sources_names_its_register_entry():
    untagged = []
    for number, line in enumerate(SOURCES.splitlines(), 1):
        if re.match(r"- \*\*(Inference|Choice)\*\*:", line):
            continue  # the legend of "How to read it"
        for marker in MARKER.finditer(line):
            if not line[marker.end() :].startswith(" [register: "):
                untagged.append(f"SOURCES.md:{number}: {line.strip()[:90]}")
    assert not untagged, "inferences and choices without a register tag:\n" + "\n".join(untagged)


def test_every_register_tag_names_an_entry_and_every_inferred_entry_is_tagged():
    tagged = set(TAG.findall(SOURCES))
    assert tagged <= set(ENTRIES), sorted(tagged - set(ENTRIES))
    inferred = {entry.id for entry in ENTRIES.values() if entry.basis == "inferred"}
    # every inference of the register is one SOURCES.md explains, except the points the
    # register adds from the record directly (its sources say where)
    for entry_id in inferred - tagged:
        assert any("record" in source for source in ENTRIES[entry_id].sources), entry_id


def test_every_open_point_of_the_record_has_an_entry():
    points = re.findall(r"^(\d+)\. \*\*", _section(13), re.MULTILINE)
    assert [int(point) for point in points] == list(range(1, 11))
    recorded = {entry.record for entry in ENTRIES.values() if entry.record}
    assert recorded == {f"§11.{point}" for point in points}


@pytest.mark.parametrize("pointer", register.pointers(), ids=lambda p: f"{p.entry}:{p.parts[-1]}")
def test_every_schema_pointer_names_a_part_of_the_spec(pointer):
    node = {"bigv": spec.api, "auth": spec.auth}[pointer.document]()
    for part in pointer.parts[:-1]:
        node = node[part]
    if isinstance(node, list):
        assert pointer.parts[-1] in node, pointer
    else:
        assert pointer.parts[-1] in node, pointer


def test_no_stated_entry_covers_a_keyword():
    assert all(register.basis(pointer.entry) != "stated" for pointer in register.pointers())


def _check_names() -> set[str]:
    from schemathesis.checks import CHECKS, load_all_checks

    import conformance.judging.checks  # noqa: F401  (registers the suite's checks)

    load_all_checks()
    return set(CHECKS.get_all_names())


def test_every_check_cover_names_a_check_and_operations_of_the_spec():
    checks = _check_names()
    operation_ids = set(tiers.operations())
    for name, covers in register.check_covers().items():
        assert name in checks, name
        for cover in covers:
            assert cover.operations is None or cover.operations <= operation_ids, cover
    for operation_id, status in register.status_covers():
        assert operation_id in operation_ids and 400 <= status < 600, (operation_id, status)


def test_every_status_an_entry_lets_a_target_answer_is_undocumented():
    for (operation_id, status), entry_id in register.status_covers().items():
        operation = tiers.operations()[operation_id]
        document = {"bigv": spec.api, "auth": spec.auth}[operation.document]()
        documented = document["paths"][operation.path][operation.method.lower()]["responses"]
        assert str(status) not in documented, (entry_id, operation_id, status)


def _rules_keys() -> set[str]:
    rules = spec.rules()
    found = set()
    for key, value in rules.items():
        found.add(key)
        if isinstance(value, dict):
            found |= {f"{key}/{inner}" for inner in value}
    for operation_id in rules["hidden"]["operations"]:
        found.add(f"hidden/{operation_id}")
    for operation_id, tables in rules["operations"].items():
        for table in tables:
            for rule in table["rules"]:
                found.add(f"{operation_id}/{table['table']}/{rule['name']}")
    return found


def test_every_rule_an_entry_covers_is_in_rules_yaml():
    known = _rules_keys()
    for entry in ENTRIES.values():
        for rule in entry.covers.get("rules", []):
            assert rule in known, (entry.id, rule)


def test_every_rule_sources_marks_inferred_or_chosen_rests_on_its_entry():
    """SOURCES.md §12: a row of rules.yaml marked as an inference or a choice names its
    register entry, and that entry covers the rule (so the suite judges it at its basis)."""
    for line in _section(12).splitlines():
        tags = TAG.findall(line)
        if not line.startswith("| `") or not tags:
            continue
        first = line.split("|")[1]
        head = re.findall(r"`([^`]+)`", first)[0]
        for entry_id in tags:
            rules = ENTRIES[entry_id].covers.get("rules", [])
            assert any(rule.split("/")[0] == head for rule in rules), (entry_id, head, rules)


def _names_in_suite(function: str, keyword: str | None = None) -> list[tuple[str, str]]:
    """(file, entry id) of every string a call of `function` passes first (or as `keyword`)."""
    found = []
    for path in SUITE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            values = []
            if keyword is not None:
                values = [k.value for k in node.keywords if k.arg == keyword]
            elif name == function and node.args:
                values = [node.args[0]]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.append((path.name, value.value))
    return found


def test_every_point_the_suite_names_is_in_the_register():
    named = _names_in_suite("note") + _names_in_suite("", keyword="rests_on")
    assert named, "the suite names no register point at all"
    unknown = [(where, entry) for where, entry in named if entry not in ENTRIES]
    assert not unknown, unknown


def test_an_expectation_resting_on_a_stated_point_needs_no_entry():
    """`rests_on` is only for points that are not stated: naming a stated entry would look
    like a relaxation and be none."""
    for where, entry in _names_in_suite("", keyword="rests_on") + _names_in_suite("note"):
        assert ENTRIES[entry].basis != "stated", (where, entry)
