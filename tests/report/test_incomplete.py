"""A run cut short (the deadline, SIGTERM, Ctrl-C) and scenarios blocked by an established
cause: the verdict, summary.json, junit.xml, summary.md, report.html and the terminal."""

from __future__ import annotations

import io
import json
from xml.etree import ElementTree

import pytest
from rich.console import Console

from conformance.report import job_summary, write_html
from conformance.report.terminal import print_summary
from conformance.results.junit import write_junit
from conformance.results.summary import write_summary
from conformance.target import deadline
from tests.report import factory
from tests.report.test_results import assert_valid

CUT_SHORT = {
    "reason": "deadline",
    "said": "the run's deadline (--deadline 20s) passed",
    "deadline": "20s",
    "tests": [
        {"test": "6b1f0d47-signals[hup]", "how": "stopped"},
        {"test": "property:test_operation[GET /accounts]", "how": "not started"},
    ],
}


# an observation as a data row, alike the factory's by design
def _blocked(test_id: str):
    return factory.scenario_observation(
        test_id=test_id,
        name=test_id,
        capability="vm.power",
        outcome="skipped",
        title="Blocked by: Timed out waiting for provisioning to finish",
        message="Virtual machine 9: wanted {'power_on': True}, last seen {'power_on': False}.",
        blocked_by="0a6d5e31-power-table-put",
    )


def test_a_run_cut_short_is_incomplete_never_conformant():
    passing = factory.summary([factory.observation()])
    passing.incomplete = CUT_SHORT
    assert passing.verdict == "INCOMPLETE"
    assert not passing.conformant and not passing.complete

    failing = factory.summary()  # required failures: the verdict stands, finished or not
    failing.incomplete = CUT_SHORT
    assert failing.verdict == "NOT CONFORMANT" and not failing.conformant

    finished = factory.summary([factory.observation()])
    assert finished.verdict == "CONFORMANT" and finished.conformant and finished.complete


def test_every_report_says_the_run_is_incomplete_and_what_did_not_run(tmp_path):
    summary = factory.summary([factory.observation()])
    summary.incomplete = CUT_SHORT
    write_summary(summary, tmp_path / "summary.json")
    data = json.loads((tmp_path / "summary.json").read_text())
    assert_valid(data)
    assert data["verdict"] == "INCOMPLETE" and data["complete"] is False
    assert data["incomplete"]["tests"][0] == {"test": "6b1f0d47-signals[hup]", "how": "stopped"}

    write_junit(summary, tmp_path / "junit.xml")
    root = ElementTree.parse(tmp_path / "junit.xml").getroot()
    run = next(suite for suite in root if suite.get("name") == "run")
    failure = run.find("testcase/failure")
    assert failure is not None and "deadline (--deadline 20s) passed" in failure.get("message")
    assert "stopped: 6b1f0d47-signals[hup]" in failure.text

    markdown = job_summary.render(summary)
    assert "INCOMPLETE" in markdown and "2 tests were not run to the end" in markdown

    write_html(summary, {}, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "Incomplete: the run&#39;s deadline (--deadline 20s) passed" in html
    assert "6b1f0d47-signals[hup]" in html and 'href="#incomplete"' in html

    console = Console(file=io.StringIO(), width=200)
    print_summary(console, summary, tmp_path)
    said = console.file.getvalue()
    assert "The run is incomplete: the run's deadline (--deadline 20s) passed" in said
    assert "INCOMPLETE" in said


def test_a_finished_run_says_nothing_of_it(tmp_path):
    summary = factory.summary([factory.observation()])
    write_junit(summary, tmp_path / "junit.xml")
    assert 'name="complete"' not in (tmp_path / "junit.xml").read_text()
    assert "incomplete" not in job_summary.render(summary).lower()
    assert summary.to_dict()["incomplete"] is None and summary.to_dict()["blocked"] == []


def test_blocked_scenarios_are_grouped_by_their_cause_and_judged_by_none(tmp_path):
    blocked = [_blocked(f"5{n}-scenario") for n in range(3)]
    summary = factory.summary([factory.observation(), *blocked])
    data = summary.to_dict()
    assert data["blocked"] == [
        {
            "cause": "Timed out waiting for provisioning to finish",
            "established_by": "0a6d5e31-power-table-put",
            "tests": ["50-scenario", "51-scenario", "52-scenario"],
        }
    ]
    assert data["verdict"] == "CONFORMANT", "a blocked scenario is not a failure of its own"
    assert data["problems"] == []
    write_summary(summary, tmp_path / "summary.json")
    assert_valid(json.loads((tmp_path / "summary.json").read_text()))
    write_html(summary, {}, tmp_path / "report.html")
    assert (
        "Blocked by: Timed out waiting for provisioning to finish"
        in (tmp_path / "report.html").read_text()
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("15m", 900.0), ("1.5h", 5400.0), (" 2M ", 120.0)],
)
def test_durations(text, seconds):
    assert deadline.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["none", "off", "NONE"])
def test_no_deadline(text):
    assert deadline.parse_duration(text) is None
    assert deadline.describe(None) == "none"


@pytest.mark.parametrize("text", ["0", "0s", "-5", "5x", "m", "", "1h30m"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        deadline.parse_duration(text)


def test_a_deadline_is_described_as_given():
    assert deadline.describe(deadline.DEFAULT_DEADLINE) == "30m"
    assert deadline.describe(20.0) == "20s"
    assert deadline.describe(90.0) == "90s"


def test_requests_stop_only_inside_a_test_body_after_the_deadline(monkeypatch):
    monkeypatch.setenv(deadline.DEADLINE_VARIABLE, "1")  # long past
    deadline.check()  # set-up, teardown, cleanup: never stopped
    with deadline.enforced(), pytest.raises(deadline.DeadlinePassed):
        deadline.check()
    monkeypatch.setenv(deadline.DEADLINE_VARIABLE, "")
    with deadline.enforced():
        deadline.check()  # no deadline


def test_an_interrupt_is_not_raised_inside_a_garbage_collector_callback():
    """There it would be printed and lost; the runner interrupts again until pytest has it."""
    import gc
    import sys

    seen = []

    def callback(phase, info):
        if phase == "start":
            seen.append(deadline.in_gc_callback(sys._getframe()))

    gc.callbacks.append(callback)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(callback)
    assert seen and all(seen)
    assert not deadline.in_gc_callback(sys._getframe())
