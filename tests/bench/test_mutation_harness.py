"""The mutation harness's pure parts (bench/mutation): scope, the seeded sample, how a run is
counted, the score and the one-line diffs of the results file. The harness itself is never run
here (`tox -e mutation`)."""

import importlib.util
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "bench" / "mutation"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"mutation_{name}", HARNESS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    sys.path[:0] = [str(HARNESS), str(HARNESS.parent)]
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.path[:2]
    return module


sampling = _load("sampling")
report = _load("report")

SOURCE = """from __future__ import annotations

def handle(value: int | None, name: str = "x") -> str | None:
    limit: int | None = 3
    return None if value is None else name * (value + limit)
"""


def _mutant(
    module="emulator/model.py",
    operator="core/AddNot",
    occurrence=0,
    line=5,
    column=0,
    definition="handle",
):
    return sampling.Mutant("job", module, operator, occurrence, line, column, definition)


def test_annotations_are_out_of_scope_only_where_they_are_never_evaluated():
    spans = {"emulator/model.py": sampling.annotation_spans(SOURCE)}
    in_annotation = _mutant(operator="core/ReplaceBinaryOperator_BitOr_BitAnd", line=3, column=20)
    in_body = _mutant(operator="core/ReplaceBinaryOperator_Add_Sub", line=5, column=45)
    in_variable_annotation = _mutant(line=4, column=16)
    assert sampling.exclusion(in_annotation, spans) == sampling.ANNOTATION_REASON
    assert sampling.exclusion(in_variable_annotation, spans) == sampling.ANNOTATION_REASON
    assert sampling.exclusion(in_body, spans) is None
    evaluated = SOURCE.replace("from __future__ import annotations\n", "")
    assert sampling.annotation_spans(evaluated) == []


def test_excluded_modules_and_definitions():
    spans = {}
    assert "divergent" in sampling.exclusion(_mutant(module="emulator/divergent.py"), spans)
    seed = _mutant(module="emulator/seed.py", definition="_read")
    assert "seed-file" in sampling.exclusion(seed, spans)
    assert (
        sampling.exclusion(_mutant(module="emulator/seed.py", definition="_apply"), spans) is None
    )
    kept, left_out = sampling.eligible([seed, _mutant()], {"emulator/model.py": SOURCE})
    assert kept == [_mutant()]
    assert sum(left_out.values()) == 1


def test_sample_is_reproducible_whatever_the_listing_order():
    mutants = [_mutant(occurrence=n, line=5) for n in range(50)]
    first = sampling.sample(mutants, 10, seed=14)
    assert first == sampling.sample(list(reversed(mutants)), 10, seed=14)
    assert first != sampling.sample(mutants, 10, seed=15)
    assert len(first) == 10
    assert sampling.sample(mutants, 80, seed=14) == sorted(
        mutants, key=lambda m: (m.module, m.operator, m.occurrence)
    )


@pytest.mark.parametrize(
    ("worker", "test", "output", "counted"),
    [
        # a table of outcomes written as code: rows alike by design
        ("normal", "killed", "judge: exit 1\nverdict: NOT CONFORMANT", sampling.KILLED),
        (
            "normal",
            "killed",
            "judge: exit 2\nthe embedded emulator did not start",
            sampling.KILLED_EXIT_2,
        ),
        ("normal", "killed", "timeout", sampling.TIMEOUT),
        (
            "normal",
            "killed",
            "judge: exit 2\n... SyntaxError: invalid syntax",
            sampling.INCOMPETENT,
        ),
        ("normal", "survived", "judge: exit 0\nverdict: CONFORMANT", sampling.SURVIVED),
        (
            "normal",
            "survived",
            "judge: exit 0\nverdict: CONFORMANT\nproblem: [advisory] Server error (GET /x)",
            sampling.KILLED_ADVISORY,
        ),
        ("normal", "killed", "Traceback (most recent call last):", sampling.INCOMPETENT),
        ("exception", "incompetent", "Traceback", sampling.INCOMPETENT),
        ("normal", "incompetent", "", sampling.INCOMPETENT),
    ],
)
def test_outcome(worker, test, output, counted):
    assert sampling.outcome(worker, test, output) == counted


def test_score_leaves_out_equivalent_and_incompetent_mutants():
    counts = {
        sampling.KILLED: 80,
        sampling.KILLED_EXIT_2: 3,
        sampling.TIMEOUT: 2,
        sampling.SURVIVED: 10,
        sampling.INCOMPETENT: 5,
    }
    score = sampling.Score(counts, equivalent=4)
    assert (score.killed, score.judged) == (85, 91)
    assert round(score.percent, 1) == 93.4
    assert sampling.Score({}, 0).percent == 0.0
    reported = sampling.Score({**counts, sampling.KILLED_ADVISORY: 6}, equivalent=4)
    assert (reported.killed, reported.gate_killed, reported.judged) == (91, 85, 97)
    assert round(reported.gate_percent, 1) == 87.6


def test_one_line_diff():
    diff = (
        "--- mutation diff ---\n--- a/emulator/x.py\n+++ b/emulator/x.py\n@@ -1,3 +1,3 @@\n"
        " context\n-    if a == b:\n+    if a != b:\n"
    )
    assert report.one_line_diff(diff) == "`if a == b:` → `if a != b:`"
    assert report.one_line_diff("-    raise X\n") == "`raise X` → `(removed)`"
    assert report.one_line_diff("-a | b\n+a & b\n") == "`a \\| b` → `a & b`"  # a table cell


def test_recount_tells_kills_apart_by_the_output_alone():
    assert sampling.recount(sampling.KILLED_EXIT_2, "judge: exit 2\nSyntaxError") == "incompetent"
    assert sampling.recount(sampling.KILLED, "judge: exit 1") == sampling.KILLED
    assert sampling.recount(sampling.SURVIVED, "judge: exit 0") == sampling.SURVIVED
    advisory = "judge: exit 0\nproblem: [advisory] Expected 200, got 404 (x)"
    assert sampling.recount(sampling.SURVIVED, advisory) == sampling.KILLED_ADVISORY


def test_advisory_findings_of_a_conformant_run():
    output = "judge: exit 0\nverdict: CONFORMANT\nproblem: [advisory] Expected 200, got 401 (x)\n"
    assert sampling.advisory_findings(output) == ["Expected 200, got 401 (x)"]
    assert sampling.advisory_findings(None) == []
