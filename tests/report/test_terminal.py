"""The one-screen terminal summary: one line per rule broken, deviations, stale entries."""

import io

from rich.console import Console

from conformance.report import terminal
from conformance.results import expectations
from tests.report import factory


def printed(summary) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    terminal.print_summary(console, summary, "reports")
    return console.file.getvalue()


def test_problems_are_one_line_each_and_the_verdict_closes_the_summary():
    text = printed(factory.summary())
    lines = text.splitlines()
    problems = [line for line in lines if line.startswith("✗")]
    assert len(problems) == 4
    assert problems[0].startswith("✗ required getVirtualMachine · vm_hostname_derivation:")
    assert "(2 tests)" in problems[0]
    assert "scenario 0a6d5e31-power-table-put" in problems[1]
    assert lines[-2].startswith("NOT CONFORMANT: required ")
    assert lines[-1] == "Report: reports/report.html"
    assert "vm.hostname" in text and "vm.delete" in text  # the capability table


def test_accepted_and_stale_deviations_are_reported(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text(
        f'[[deviation]]\noperation = "{factory.GET_VM}"\ncheck = "vm_hostname_derivation"\n'
        'reason = "OPS-1"\n'
        f'[[deviation]]\noperation = "{factory.DELETE_GROUP}"\n'
        'check = "status_code_conformance"\nreason = "fixed"\n'
    )
    summary = factory.summary()
    expectations.apply(summary, expectations.load(path))
    text = printed(summary)
    assert "Accepted deviations: 3 judgements of 1 rule" in text
    assert "Stale deviations: 1 listed but not failing" in text
    assert "status_code_conformance now passes on DELETE /accounts/{account}/groups/{group}" in (
        " ".join(text.split())
    )
    assert "1 stale" in text.splitlines()[-2]
