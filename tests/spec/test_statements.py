"""spec/statements.yaml: every rule that can gate a target is words of the documentation,
quoted verbatim, covering what the suite judges by it; and nothing else can gate."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import spec
from conformance.judging import register, statements, tiers
from conformance.judging.checks import CAPABILITIES
from tests.spec.test_register import _rules_keys

REPO = Path(__file__).resolve().parents[2]
SHARED_DOCS = REPO.parent / "shared" / "docs"
SUITE = REPO / "conformance"
STATEMENTS = statements.statements()
# schemathesis' built-in checks the suite runs (what a statement's check cover may name)
BUILTIN_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
}


@pytest.mark.parametrize("statement_id", list(STATEMENTS))
def test_every_quote_stands_verbatim_in_the_documentation(statement_id):
    item = STATEMENTS[statement_id]
    assert item.document in spec.DOCUMENTS, item.source
    assert statements.quote_found(item), (
        f"{statement_id}: {item.quote!r} is not in {item.document} (whitespace aside)"
    )


def test_a_quote_that_is_not_in_the_documentation_is_found_out():
    item = STATEMENTS["get-ok"]
    altered = type(item)(item.id, item.source, item.quote.replace("200", "201"), item.rule)
    assert not statements.quote_found(altered)
    elsewhere = type(item)(item.id, "virtual_machines.md", item.quote, item.rule)
    assert not statements.quote_found(elsewhere)
    citation = item.to_dict() | {"quote": "GET ok answers 200"}
    assert statements.cited(item.to_dict()) and not statements.cited(citation)


@pytest.mark.skipif(not SHARED_DOCS.is_dir(), reason="no shared/docs beside this checkout")
@pytest.mark.parametrize("name", spec.DOCUMENTS)
def test_the_documentation_under_spec_is_the_record_as_handed_over(name):
    kept = (spec.DOCUMENTATION_DIR / name).read_text(encoding="utf-8")
    assert kept == (SHARED_DOCS / name).read_text(encoding="utf-8"), name


def _by_names() -> list[tuple[str, str]]:
    """(file, statement id) of every `by=` constant in the suite."""
    found = []
    for path in SUITE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    value = keyword.value
                    if keyword.arg == "by" and isinstance(value, ast.Constant) and value.value:
                        found.append((path.name, value.value))
    return found


def test_every_statement_the_suite_names_exists():
    unknown = [(where, name) for where, name in _by_names() if name not in STATEMENTS]
    assert not unknown


def test_every_statement_judges_something():
    named = {name for _, name in _by_names()}
    idle = [
        item.id
        for item in STATEMENTS.values()
        if not (item.checks or item.schema or item.rules or item.id in named)
    ]
    assert not idle, f"statements that make nothing required: {idle}"


def test_what_statements_cover_exists():
    known_checks = BUILTIN_CHECKS | set(CAPABILITIES) | {"vendor_type_schema_conformance"}
    operation_ids = set(tiers.operations())
    rows = _rules_keys() | {
        f"{operation_id}/{table['table']}/otherwise"  # a table's refusal (predictions.applied_rows)
        for operation_id, tables in spec.rules()["operations"].items()
        for table in tables
        if table.get("otherwise") == "refuse"
    }
    for item in STATEMENTS.values():
        for cover in item.checks:
            assert cover.check in known_checks, (item.id, cover.check)
            assert cover.operations is None or cover.operations <= operation_ids, item.id
        for pointer in item.schema:
            document = spec.api() if pointer.document == "bigv" else spec.auth()
            node = document
            for part in pointer.parts[:-1]:
                node = node[part]
            last = pointer.parts[-1]
            assert (last in node) if isinstance(node, dict | list) else False, (item.id, pointer)
        for rule in item.rules:
            assert rule in rows, (item.id, rule)


def test_a_statement_and_a_register_point_never_speak_for_one_keyword():
    """A keyword is stated, or an inference or a choice of ours: never both (a register
    point limited to a situation, such as view=overview, speaks for that situation)."""
    for pointer in register.pointers():
        if register.basis(pointer.entry) == "stated" or pointer.situation:
            continue
        exact = [p.entry for p in statements.pointers() if p.parts == pointer.parts]
        assert not exact, (pointer.entry, exact)


def test_malformed_statements_are_one_clear_error(monkeypatch):
    def load(raw):
        monkeypatch.setattr(spec, "statements", lambda: {"statements": raw})
        statements.statements.cache_clear()
        try:
            return statements.statements()
        finally:
            statements.statements.cache_clear()

    good = {"id": "x", "source": "bigv-api.md §1", "quote": "JSON in and out.", "rule": "r"}
    assert load([good])["x"].quote == "JSON in and out."
    cases = [
        [good, good],
        [good | {"quote": ""}],
        [good | {"requires": {"checks": [{"check": "c", "when": {"colour": 1}}]}}],
        [good | {"requires": {"checks": [{"check": "c", "when": {"request": "odd"}}]}}],
        [good | {"requires": {"schema": ["nowhere:/x"]}}],
        [good | {"requires": {"elsewhere": []}}],
    ]
    for raw in cases:
        with pytest.raises(statements.StatementError):
            load(raw)


def test_the_statements_file_is_plain_yaml_with_one_list():
    raw = yaml.safe_load(spec.STATEMENTS_PATH.read_text(encoding="utf-8"))
    assert set(raw) == {"version", "statements"} and raw["version"] == 1


def test_docs_required_md_is_generated_from_the_statements():
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "required_doc.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    text = (REPO / "docs" / "required.md").read_text(encoding="utf-8")
    for item in STATEMENTS.values():
        assert f"> {item.quote}" in text and f"`{item.id}`" in text
