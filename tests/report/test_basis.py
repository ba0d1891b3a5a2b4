"""Every report says whether the documentation states a broken rule or we inferred it, and
lists the points where the documentation is silent and the target chose otherwise."""

from __future__ import annotations

import io
import json
from xml.etree import ElementTree

from rich.console import Console

from conformance import report
from conformance.report import terminal
from conformance.results.junit import write_junit
from conformance.results.summary import write_summary
from tests.report import factory
from tests.report.htmltree import parse
from tests.report.test_results import assert_valid

VENDOR = "application/vnd.bigv.virtual-machine+json"


def judged_observations():
    """A run whose only findings rest on the register: an inference broken (advisory), two
    silent points noted (one by a check, one by a scenario), and passes."""
    return [
        factory.observation(check="content_type_conformance"),
        factory.observation(
            check="content_type_conformance",
            outcome="noted",
            title="Undocumented Content-Type",
            message=f"Received: {VENDOR}",
            exchange=factory.HOSTNAME_FAILURE,
            basis="silent",
            register="vendor-media-types",
        ),
        factory.observation(
            operation=factory.PUT_VM,
            capability="vm.update",
            level="advisory",
            check="response_schema_conformance",
            outcome="failed",
            title="Response violates schema",
            # observations as data rows: alike by design
            message="'WWW1' does not match '^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$'",
            exchange=factory.HOSTNAME_FAILURE,
            basis="inferred",
            register="names-dns-labels",
        ),
        factory.scenario_observation(
            test_id="6b1f0d47-signals[signal refused while off-False-True-body4]",
            name="test_signal",
            capability="vm.signal",
            outcome="passed",
            title="signals",
        ),
        factory.scenario_observation(
            test_id="6b1f0d47-signals[signal refused while off-False-True-body4]:refusal-status",
            name="test_signal",
            capability="vm.signal",
            outcome="noted",
            title="Expected 400, got 409",
            message="POST .../signal answered 409",
            step="2-3. signal refused while off",
            basis="silent",
            register="refusal-status",
        ),
    ]


def test_the_verdict_rests_on_stated_rules_only():
    summary = factory.summary(judged_observations())
    assert summary.conformant
    score = summary.score()
    assert score["noted"] == 2
    assert score["advisory"]["failed"] == 1 and score["required"]["failed"] == 0
    assert score["required"]["total"] == 2  # noted observations are not counted as checks


def test_summary_json_says_each_problems_basis_and_lists_the_silent_points(tmp_path):
    summary = factory.summary(judged_observations())
    write_summary(summary, tmp_path / "summary.json")
    data = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert_valid(data)
    (problem,) = data["problems"]
    assert (problem["basis"], problem["register"], problem["level"]) == (
        "inferred",
        "names-dns-labels",
        "advisory",
    )
    points = {point["id"]: point for point in data["silent_points"]}
    assert list(points) == ["vendor-media-types", "refusal-status"]  # the register's order
    assert points["refusal-status"]["tests"] == [
        "6b1f0d47-signals[signal refused while off-False-True-body4]"
    ]
    assert "409 Conflict" in points["refusal-status"]["others"]
    assert points["vendor-media-types"]["operations"] == [factory.GET_VM]
    assert data["checks"]["content_type_conformance"]["noted"] == 1


def test_the_html_report_shows_the_badges_the_inference_and_the_silent_points():
    page = report.render(factory.summary(judged_observations()), factory.EXAMPLES)
    root = parse(page)
    (card,) = root.find_all("article", class_="problem")
    text = " ".join(card.text.split())
    assert "our inference" in text and "names-dns-labels" in text
    assert "A faithful implementation may also" in text
    silent = " ".join(root.by_id("silent").text.split())
    assert "vendor-media-types" in silent and "refusal-status" in silent
    assert "Expected 400, got 409" in silent and "409 Conflict" in silent
    stated = report.render(factory.summary(), factory.EXAMPLES)
    assert "documentation states it" in stated and "our inference</span>" not in stated


def test_the_terminal_marks_inferences_and_lists_the_silent_points():
    console = Console(file=io.StringIO(), width=140, color_system=None)
    terminal.print_summary(console, factory.summary(judged_observations()), "reports")
    text = console.file.getvalue()
    assert "(our inference: names-dns-labels)" in text
    assert "○ vendor-media-types: Undocumented Content-Type" in text
    assert "○ refusal-status: Expected 400, got 409" in text
    assert "2 noted where the documentation is silent" in text
    assert text.splitlines()[-2].startswith("CONFORMANT")


def test_junit_passes_noted_observations_with_what_the_target_chose(tmp_path):
    write_junit(factory.summary(judged_observations()), tmp_path / "junit.xml")
    root = ElementTree.parse(tmp_path / "junit.xml").getroot()
    cases = root.iter("testcase")
    noted = [case for case in cases if case.find("system-out") is not None]
    assert len(noted) == 2
    assert all(case.find("failure") is None for case in noted)
    assert "the documentation is silent here" in noted[0].find("system-out").text
