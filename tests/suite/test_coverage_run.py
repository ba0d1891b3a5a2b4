"""Contract coverage of a real run against the embedded emulator: every documented response
observed or named with the reason this target cannot give it, and --min-coverage as the gate."""

import json
from pathlib import Path

import pytest

from tests.suite.test_cli import run_cli


@pytest.mark.slow
def test_a_run_below_its_min_coverage_fails_in_one_line_and_names_every_gap(tmp_path: Path):
    result = run_cli("run", "--seed", "3", "--min-coverage", "100", "--report-dir", str(tmp_path))
    summary = json.loads((tmp_path / "summary.json").read_text())
    figures = summary["coverage"]
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert summary["conformant"] is True  # conformant, but short of the coverage asked for
    assert (figures["minimum"], figures["met"]) == (100.0, False)
    short = [line for line in result.stderr.splitlines() if "--min-coverage" in line]
    assert short == [
        f"bigv-conformance: contract coverage {figures['total']:.1f}% is below the minimum "
        "100% (--min-coverage)"
    ]
    # every documented response observed, or not reachable here with the reason why
    unexplained = [gap for gap in figures["gaps"] if not gap["reason"]]
    assert unexplained == []
    responses = figures["facets"]["responses"]
    assert responses["total"] - responses["covered"] == len(figures["gaps"]) <= 2
    for status in ("403", "413"):  # reached by scenarios: the read-only account, 2 MiB bodies
        assert all(
            status in operation["observed"]
            for operation in figures["operations"].values()
            if status in operation["documented"]
        )
    assert figures["facets"]["rules"]["covered"] > 0 and figures["facets"]["links"]["covered"] > 0
    assert f"{figures['total']:.1f}%" in (tmp_path / "report.html").read_text()
    assert "Contract coverage" in (tmp_path / "summary.md").read_text()
    assert "Contract coverage" in result.stdout


@pytest.mark.slow
def test_a_run_above_its_min_coverage_passes(tmp_path: Path):
    result = run_cli(
        "run", "--profile", "smoke", "--min-coverage", "1", "--report-dir", str(tmp_path)
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads((tmp_path / "summary.json").read_text())["coverage"]
    assert figures["met"] is True and figures["total"] >= 1
    assert "--min-coverage" not in result.stderr
