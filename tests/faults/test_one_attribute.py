"""One wrong attribute is one problem: a target that answers one attribute of a machine in
another form still has the rest of its behaviour judged (issue 18).

Every scenario reads machines by id while it waits, so before the scenarios went on past a
failure that does not concern their step, such a target stopped almost all of them, and the
report judged little else. Here the same budget runs against a faithful emulator and against
one whose single-machine answers carry `memory` as text: one required problem, no scenario
stopped at it, and a contract coverage within a few points of the faithful run's.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.judging import statements
from tests.faults import faults as f
from tests.faults.catalogue import GET, SCHEMA, Entry, on, set_attribute
from tests.faults.harness import run_entry

COVERAGE_POINTS = 5.0  # how far the run's coverage may fall below the faithful run's
ONE_ATTRIBUTE = Entry(
    f.MachineFields(
        "memory-as-text-when-read",
        'A machine read by id answers memory as text ("1024"), not an integer.',
        "vm.attributes: memory is an integer",
        change=set_attribute("memory", str),
        operations=frozenset({"getVirtualMachine"}),
    ),
    (on(GET, SCHEMA),),
)
FAITHFUL = Entry(
    f.MachineFields(
        "faithful-machines",
        "Machines answered as the emulator gives them.",
        "nothing",
        operations=frozenset({"getVirtualMachine"}),
    )
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("one-attribute")
    with ThreadPoolExecutor(2) as pool:
        futures = {
            entry.name: pool.submit(run_entry, entry, workdir / entry.name, False)
            for entry in (ONE_ATTRIBUTE, FAITHFUL)
        }
    summaries = {}
    for name, future in futures.items():
        result = future.result()
        path = workdir / name / "report" / "summary.json"
        summaries[name] = (result, json.loads(path.read_text(encoding="utf-8")))
    return summaries


@pytest.mark.slow
def test_one_attribute_in_another_form_is_one_problem_and_hides_nothing(runs):
    faithful_result, faithful = runs[FAITHFUL.name]
    result, summary = runs[ONE_ATTRIBUTE.name]
    assert faithful_result.exit_code == 0, faithful_result.output
    assert result.exit_code == 1, result.output
    required = [p for p in summary["problems"] if p["level"] == "required"]
    assert [(p["operation"], p["check"]) for p in required] == [(GET, SCHEMA)], required
    (problem,) = required
    assert problem["statement"]["id"] == "vm-attribute-types"
    assert statements.cited(problem["statement"])
    assert not problem["scenarios_stopped"], problem["scenarios_stopped"]
    assert not summary["blocked"], summary["blocked"]
    total, baseline = summary["coverage"]["total"], faithful["coverage"]["total"]
    assert total >= baseline - COVERAGE_POINTS, (total, baseline)
