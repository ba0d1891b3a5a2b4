"""Runs side by side: a baseline hides exactly its own problems, `compare` exits 1 on a
regression and 0 on an improvement, and summaries of another layout are refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.results import baseline
from conformance.results.summary import write_summary
from tests.report import factory
from tests.suite.test_cli import assert_one_line_error, run_cli


def written(tmp_path: Path, name: str, observations=None) -> Path:
    directory = tmp_path / name
    directory.mkdir()
    write_summary(factory.summary(observations), directory / "summary.json")
    return directory


def without(test_id_part: str):
    return [o for o in factory.observations() if test_id_part not in o.test_id]


def test_problems_are_matched_by_their_key(tmp_path):
    old = baseline.load(written(tmp_path, "old"))
    assert all(isinstance(problem["key"], list) for problem in old["problems"])
    same = baseline.compare(old, old)
    assert not same.worse and not same.better and len(same.same) == len(old["problems"])


def test_a_fixed_problem_is_better_and_a_new_one_worse(tmp_path):
    full = baseline.load(written(tmp_path, "full"))
    fewer = baseline.load(written(tmp_path, "fewer", without("hostname")))
    improved = baseline.compare(full, fewer)
    assert improved.better and not improved.worse and not improved.regressions
    regressed = baseline.compare(fewer, full)
    assert regressed.worse and regressed.regressions
    assert {p["check"] for p in regressed.worse} >= {"vm_hostname_derivation"}


def test_compare_exits_1_on_a_regression_and_0_on_an_improvement(tmp_path):
    full = written(tmp_path, "full")
    fewer = written(tmp_path, "fewer", without("hostname"))
    worse = run_cli("compare", str(fewer), str(full / "summary.json"), timeout=60)
    assert worse.returncode == 1, worse.stderr
    assert "REGRESSION" in worse.stdout and "+ required" in worse.stdout
    better = run_cli("compare", str(full), str(fewer), timeout=60)
    assert better.returncode == 0, better.stderr
    assert "NO REGRESSION" in better.stdout and "- required" in better.stdout


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (None, "no summary.json"),
        ("not json", "not a readable summary.json"),
        (json.dumps({"format": 99, "problems": []}), "not a bigv-conformance summary of format 1"),
        (json.dumps([1, 2]), "format None"),
    ],
)
def test_a_summary_of_another_layout_is_one_line_and_exit_2(tmp_path, content, text):
    good = written(tmp_path, "good")
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    assert_one_line_error(run_cli("compare", str(bad), str(good), timeout=60), text)
    with pytest.raises(baseline.CompareError, match=text):
        baseline.load(bad)


def test_a_baseline_hides_exactly_its_own_problems(tmp_path):
    from conformance.report import job_summary

    known_run = baseline.load(written(tmp_path, "baseline", without("hostname")))
    run = factory.summary()
    assert not run.conformant
    comparison = baseline.apply_baseline(run, known_run, "baseline/summary.json")
    left = run.problems()
    assert left and all("hostname" in problem.check for problem in left)
    assert not run.conformant  # the new hostname problem is required
    known = {baseline.problem_key(p) for p in known_run["problems"]}
    assert all(tuple(problem.key) not in known for problem in left)
    accepted = [o for o in run.observations if o.outcome == "deviation"]
    assert accepted and all("known in the baseline" in o.deviation_reason for o in accepted)
    assert comparison.regressions and run.baseline["file"] == "baseline/summary.json"
    same = factory.summary()
    baseline.apply_baseline(same, baseline.load(written(tmp_path, "same")), "same")
    assert same.conformant and not same.problems()
    markdown = job_summary.render(run)
    assert "Against the baseline `baseline/summary.json`" in markdown


def test_every_report_shows_the_comparison_with_the_baseline(tmp_path):
    from conformance import report
    from conformance.report import terminal
    from tests.report.test_results import assert_valid

    run = factory.summary()
    baseline.apply_baseline(run, baseline.load(written(tmp_path, "b", without("hostname"))), "b")
    write_summary(run, tmp_path / "summary.json")
    data = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert_valid(data)
    assert data["baseline"]["regressions"] >= 1
    page = report.render(run, factory.EXAMPLES)
    assert 'id="baseline"' in page and "Against the baseline" in page
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=140, color_system=None)
    terminal.print_summary(console, run, "reports")
    assert "Against the baseline b:" in console.file.getvalue()


def test_summary_md_is_short_and_points_to_the_report():
    from conformance.report import job_summary

    text = job_summary.render(factory.summary(), "reports/report.html")
    lines = text.splitlines()
    assert lines[0].startswith("## ❌ BigV conformance: NOT CONFORMANT")
    assert len(lines) <= 40
    assert "| required |" in text and "Coverage:" in text
    assert lines[-1].startswith("Full report: `reports/report.html`")
    many = factory.observations()
    for index in range(30):
        many.append(
            factory.observation(check=f"check_{index}", outcome="failed", title="x", message="y")
        )
    crowded = job_summary.render(factory.summary(many)).splitlines()
    assert len(crowded) <= 40 and any("more in the report" in line for line in crowded)


def test_a_baseline_that_cannot_be_read_ends_the_run_in_one_line(tmp_path):
    bad = tmp_path / "summary.json"
    bad.write_text(json.dumps({"format": 2, "problems": []}), encoding="utf-8")
    result = run_cli("run", "--baseline", str(bad), "--profile", "smoke", timeout=120)
    assert_one_line_error(result, "not a bigv-conformance summary of format 1")
    missing = run_cli("run", "--baseline", str(tmp_path / "nowhere"), timeout=120)
    assert_one_line_error(missing, "no summary.json")
