"""Known deviations: the file's format, its errors, and how it changes a run's results."""

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.results import expectations
from tests.report import factory

GOOD = """
[[deviation]]
operation = "GET /accounts/{account}/groups/{group}/virtual_machines/{virtual_machine}"
check = "vm_hostname_derivation"
reason = "the old cluster answers hostnames under wrong.example (OPS-1)"

[[deviation]]
test_id = "0a6d5e31-power-table-put"
check = "scenario"
reason = "stop takes longer than the wait (OPS-2)"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "expectations.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_gives_its_deviations(tmp_path):
    loaded = expectations.load(write(tmp_path, GOOD))
    assert [(d.operation, d.test_id, d.check) for d in loaded.deviations] == [
        (factory.GET_VM, None, "vm_hostname_derivation"),
        (None, "0a6d5e31-power-table-put", "scenario"),
    ]
    assert expectations.load(write(tmp_path, "")).deviations == ()


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("[[deviation]\ncheck = 1", "cannot be read"),
        ('[other]\nx = "y"', "unknown key 'other'"),
        ('deviation = "x"', "[[deviation]]"),
        ('[[deviation]]\noperation = "GET /accounts"\ncheck = "scenario"', "reason is missing"),
        ('[[deviation]]\noperation = "GET /accounts"\nreason = "r"', "check is missing"),
        ('[[deviation]]\ncheck = "scenario"\nreason = "r"', "the operation, the test_id, or both"),
        (
            '[[deviation]]\noperation = "GET /nowhere"\ncheck = "scenario"\nreason = "r"',
            "unknown operation",
        ),
        (
            '[[deviation]]\noperation = "GET /accounts"\ncheck = "no_such"\nreason = "r"',
            "unknown check 'no_such'",
        ),
        (
            '[[deviation]]\ntest_id = "x"\ncheck = "scenario"\nreason = ""',
            "reason must be a non-empty",
        ),
        (
            '[[deviation]]\ntest_id = 3\ncheck = "scenario"\nreason = "r"',
            "test_id must be a non-empty",
        ),
        (
            '[[deviation]]\ntest_id = "x"\ncheck = "scenario"\nreason = "r"\nwhy = "w"',
            "unknown key 'why'",
        ),
        (
            '[[deviation]]\ntest_id = "x"\ncheck = "scenario"\nreason = "r"\n' * 2,
            "deviation 2: listed twice",
        ),
    ],
)
def test_a_bad_file_is_one_line_that_names_the_problem(tmp_path, text, wanted):
    with pytest.raises(expectations.ExpectationsError) as raised:
        expectations.load(write(tmp_path, text))
    message = str(raised.value)
    assert wanted in message
    assert "\n" not in message
    assert str(tmp_path / "expectations.toml") in message


def test_an_operation_is_matched_whatever_its_spacing_and_method_case(tmp_path):
    text = GOOD.replace('"GET /accounts', '"get   /accounts')
    loaded = expectations.load(write(tmp_path, text))
    assert loaded.deviations[0].operation == factory.GET_VM


def test_accepted_failures_become_deviations_with_their_reason(tmp_path):
    summary = factory.summary()
    expectations.apply(summary, expectations.load(write(tmp_path, GOOD)))
    hostname = [o for o in summary.observations if o.check == "vm_hostname_derivation"]
    assert {o.outcome for o in hostname} == {"deviation"}
    assert all("OPS-1" in o.deviation_reason for o in hostname)
    power = [o for o in summary.observations if o.test_id.startswith("0a6d5e31")]
    assert [o.outcome for o in power] == ["deviation"]
    assert "OPS-2" in power[0].deviation_reason
    # the list's schema failure is not listed: still a failure
    assert [o.operation for o in summary.failures() if o.level == "required"] == [factory.LIST_VMS]
    assert summary.stale_deviations == []
    assert summary.expectations == {"file": str(tmp_path / "expectations.toml"), "entries": 2}


def test_a_scenario_stopped_at_an_accepted_deviation_is_a_deviation_too(tmp_path):
    summary = factory.summary()
    expectations.apply(summary, expectations.load(write(tmp_path, GOOD)))
    stopped = next(o for o in summary.observations if o.test_id == "c4d1a8e2-hostname-derived")
    assert stopped.outcome == "deviation"
    assert stopped.deviation_reason.startswith("stopped at the accepted deviation")
    assert "OPS-1" in stopped.deviation_reason


def test_when_every_required_failure_is_accepted_the_target_conforms(tmp_path):
    text = GOOD + (
        '[[deviation]]\noperation = "GET /accounts/{account}/groups/{group}/virtual_machines"\n'
        'check = "response_schema_conformance"\nreason = "cores as text (OPS-3)"\n'
    )
    summary = factory.summary()
    assert not summary.conformant
    expectations.apply(summary, expectations.load(write(tmp_path, text)))
    assert summary.conformant
    assert summary.verdict == "CONFORMANT"
    # the advisory failure stays a failure, shown but not deciding
    assert [o.level for o in summary.failures()] == ["advisory"]


def test_entries_that_match_no_failure_are_stale_and_say_why(tmp_path):
    text = GOOD + (
        '[[deviation]]\noperation = "DELETE /accounts/{account}/groups/{group}"\n'
        'check = "status_code_conformance"\nreason = "used to answer 200"\n'
        '[[deviation]]\ntest_id = "b8d61f2e-purge-frees-name"\ncheck = "scenario"\n'
        'reason = "never ran here"\n'
    )
    summary = factory.summary()
    expectations.apply(summary, expectations.load(write(tmp_path, text)))
    assert summary.stale_deviations == [
        {
            "operation": factory.DELETE_GROUP,
            "test_id": None,
            "check": "status_code_conformance",
            "reason": "used to answer 200",
            "status": "passes",
            "passed": 1,
        },
        {
            "operation": None,
            "test_id": "b8d61f2e-purge-frees-name",
            "check": "scenario",
            "reason": "never ran here",
            "status": "not run",
            "passed": 0,
        },
    ]
    assert summary.score()["deviations"]["stale"] == 2
    # stale entries are reported, never a failure of the run
    assert summary.to_dict()["conformant"] is summary.conformant


def test_a_bad_expectations_file_ends_the_run_with_exit_2_and_one_line(tmp_path):
    path = write(tmp_path, '[[deviation]]\ncheck = "scenario"\nreason = "no operation"\n')
    result = subprocess.run(
        [sys.executable, "-m", "bigv_conformance", "run", "--expectations", str(path),
         "--report-dir", str(tmp_path / "reports")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "expectations file" in lines[0] and "deviation 1" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "reports" / "summary.json").exists()
