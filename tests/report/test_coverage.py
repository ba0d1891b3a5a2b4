"""Contract coverage: the pure computation on hand-made tallies, what the recorder tallies from
exchanges and lifecycle predictions, and the figures in summary.json, report.html, the
terminal summary and summary.md."""

import io
import json

import pytest
from rich.console import Console

import spec
from conformance.judging.predictions import lifecycle as recorded_lifecycle
from conformance.report import job_summary, render, terminal
from conformance.results import coverage, exercised
from conformance.results.recording import RECORDER
from conformance.results.summary import write_summary
from conformance.target.client import Exchange
from spec import lifecycle
from tests.report import factory
from tests.report.htmltree import parse
from tests.report.test_results import assert_valid, validator

RULES = spec.rules()
LISTS = {
    "Signal.signal": ["powerdown", "reset", "sendkey"],
    "sendkeys": ["ctrl", "alt", "del", "a"],
    "distributions": ["stretch", "wheezy"],
}
SIGNAL = "POST /accounts/{account}/groups/{group}/virtual_machines/{virtual_machine}/signal"
CREATE_VM = "POST /accounts/{account}/groups/{group}/virtual_machines"
BASE = "http://127.0.0.1:9/accounts/conformance/groups/default/virtual_machines"


def tally(**parts):
    found = coverage.empty_tally()
    coverage.merge(found, parts)
    return found


def test_documented_responses_observed_out_of_documented_with_gaps_and_undocumented_apart():
    figures = coverage.compute(
        tally(statuses={factory.GET_VM: ["200", "404", "500"]}),
        LISTS,
        RULES,
        unreachable={"getVirtualMachine 202": "provisions at once", "getGroup 999": "stale"},
    )
    operation = figures["operations"][factory.GET_VM]
    assert operation["documented"] == ["200", "202", "401", "404"]
    assert operation["observed"] == ["200", "404"]
    assert operation["undocumented"] == ["500"]
    assert operation["missing"] == [
        {"status": "202", "reason": "provisions at once"},
        {"status": "401", "reason": None},
    ]
    gaps = {(gap["operation_id"], gap["status"]): gap["reason"] for gap in figures["gaps"]}
    assert gaps[("getVirtualMachine", "202")] == "provisions at once"
    assert gaps[("getVirtualMachine", "401")] is None
    documented = sum(
        len(operation["responses"])
        for document in (spec.api(), spec.auth())
        for _, _, operation in spec.operations(document).values()
    )
    assert figures["facets"]["responses"] == {
        "covered": 2,
        "total": documented,
        "percent": round(200 / documented, 1),
    }
    assert figures["stale_unreachable"] == ["getGroup 999"]


def test_the_total_is_the_mean_of_the_facets_and_a_minimum_is_met_or_not():
    rows = coverage.rule_rows(RULES)
    figures = coverage.compute(
        tally(
            values={"Signal.signal": ["reset"], "sendkeys": ["ctrl", "alt"]},
            rules=rows[:5],
            links=["createVirtualMachine 202 GetVirtualMachine"],
        ),
        LISTS,
        RULES,
        minimum=50,
    )
    facets = figures["facets"]
    assert facets["values"]["covered"] == 3 and facets["values"]["total"] == 9
    assert facets["rules"] == {
        "covered": 5,
        "total": len(rows),
        "percent": round(500 / len(rows), 1),
    }
    assert facets["links"]["covered"] == 1
    assert facets["parameters"]["covered"] == 0
    mean = sum(facet["percent"] for facet in facets.values()) / 5
    assert figures["total"] == round(mean, 1)
    assert figures["met"] is False and figures["minimum"] == 50
    assert coverage.shortfall(figures) == (
        f"contract coverage {figures['total']:.1f}% is below the minimum 50% (--min-coverage)"
    )
    assert figures["values"]["sendkeys"] == {"used": ["alt", "ctrl"], "unused": ["a", "del"]}
    met = coverage.compute(tally(), LISTS, RULES, minimum=0)
    assert met["met"] is True and coverage.shortfall(met) is None
    assert coverage.compute(tally(), LISTS, RULES)["met"] is None


def test_rule_rows_are_every_row_of_rules_yaml():
    rows = coverage.rule_rows(RULES)
    for operation_id, tables in RULES["operations"].items():
        for table in tables:
            for rule in table["rules"]:
                assert f"{operation_id}/{table['table']}/{rule['name']}" in rows
    assert "signalVirtualMachine/signal/otherwise" in rows
    assert "updateVirtualMachine/power/otherwise" not in rows  # it keeps, never refuses
    assert {f"hidden/{o}" for o in RULES["hidden"]["operations"]} <= set(rows)
    assert len(rows) == len(set(rows))


def test_an_exchange_gives_its_status_query_values_and_listed_values():
    facts = exercised.request_facts(
        SIGNAL,
        "POST",
        f"{BASE}/7/signal?include_deleted=True",
        json.dumps({"signal": "sendkey", "data": "ctrl-alt-del"}),
        200,
        LISTS,
    )
    assert facts["status"] == "200"
    assert facts["values"] == {"Signal.signal": {"sendkey"}, "sendkeys": {"ctrl", "alt", "del"}}
    listed = exercised.request_facts(
        factory.LIST_VMS, "GET", f"{BASE}?include_deleted=false&view=overview", None, 200, LISTS
    )
    assert listed["query"] == {"include_deleted": coverage.OTHER_VALUE, "view": "overview"}
    probe = exercised.request_facts(factory.LIST_VMS, "PATCH", BASE, None, 405, LISTS)
    assert probe["status"] is None  # another method than the operation's: not its answer


def test_a_link_is_followed_when_a_request_carries_what_its_source_answered():
    source = exercised.request_parameters(CREATE_VM, BASE)
    opened = exercised.link_sources(CREATE_VM, 202, source, {"id": 5, "name": "x"})
    names = {link.id for link, _ in opened}
    assert "createVirtualMachine 202 GetVirtualMachine" in names
    get = next(pair for pair in opened if pair[0].id.endswith(" GetVirtualMachine"))
    assert get[1] == {"account": "conformance", "group": "default", "virtual_machine": "5"}
    same = exercised.request_parameters(factory.GET_VM, f"{BASE}/5")
    other = exercised.request_parameters(factory.GET_VM, f"{BASE}/6")
    assert exercised.follows(*get, same) and not exercised.follows(*get, other)
    assert exercised.link_sources(CREATE_VM, 400, source, {"id": 5}) == []


def _exchange(method, url, status, sent=None, answer=None):
    return Exchange(
        method, url, {}, json.dumps(sent) if sent else None, status, {}, json.dumps(answer), 0.01
    )


def test_the_recorder_tallies_statuses_links_and_the_rules_a_prediction_came_from():
    RECORDER.reset("t", "scenario", "t")
    RECORDER.exchange(CREATE_VM, _exchange("POST", BASE, 202, {"name": "a"}, {"id": 5}))
    RECORDER.exchange(factory.GET_VM, _exchange("GET", f"{BASE}/5", 200, answer={"id": 5}))
    off = {"power_on": False, "autoreboot_on": True, "deleted": False}
    outcome = recorded_lifecycle.apply("signalVirtualMachine", off, {"signal": "reset"})
    assert outcome == lifecycle.apply("signalVirtualMachine", off, {"signal": "reset"})
    recorded_lifecycle.hidden("getVirtualMachine", True, {})
    recorded = RECORDER.coverage_payload()["tally"]
    assert recorded["statuses"] == {CREATE_VM: ["202"], factory.GET_VM: ["200"]}
    assert recorded["links"] == ["createVirtualMachine 202 GetVirtualMachine"]
    assert recorded["rules"] == [
        "hidden/getVirtualMachine",
        "refusal",
        "signalVirtualMachine/signal/otherwise",
    ]
    RECORDER.reset(None, "", "")


@pytest.fixture
def covered():
    summary = factory.summary()
    everything = {
        label: list(operation.definition["responses"])
        for label, operation in coverage.operations().items()
    }
    summary.coverage = coverage.compute(
        tally(statuses=everything | {factory.GET_VM: ["200", "404"]}),
        LISTS,
        RULES,
        unreachable={"getVirtualMachine 202": "provisions at once"},
        minimum=90,
    )
    return summary


def test_summary_json_carries_the_coverage_and_matches_its_schema(covered, tmp_path):
    write_summary(covered, tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    assert_valid(data)
    assert data["coverage"]["total"] == covered.coverage["total"]
    assert data["coverage"]["met"] is False and data["coverage"]["minimum"] == 90
    broken = {**data, "coverage": {**data["coverage"], "total": "high"}}
    assert list(validator().iter_errors(broken))


def test_the_terminal_summary_and_summary_md_give_the_figures(covered):
    console = Console(file=io.StringIO(), width=200, color_system=None)
    terminal.print_summary(console, covered, "reports")
    text = console.file.getvalue()
    facets = covered.coverage["facets"]
    line = next(line for line in text.splitlines() if line.startswith("Contract coverage"))
    assert f"{covered.coverage['total']:.1f}%" in line
    assert f"responses {facets['responses']['covered']}/{facets['responses']['total']}" in line
    assert "getVirtualMachine 202: not reachable on this target: provisions at once" in text
    assert "getVirtualMachine 401: not observed" in text
    markdown = job_summary.render(covered)
    assert [line for line in markdown.splitlines() if line.startswith("Contract coverage")] == [
        coverage.summary_line(covered.coverage) + "."
    ]


def test_the_html_report_has_the_coverage_section_tile_and_gaps(covered):
    root = parse(render(covered, {}))
    (section,) = root.find_all("section", id="coverage")
    assert f"{covered.coverage['total']:.1f}%" in section.find_all("h2")[0].text
    facets = {
        row.attrs["data-facet"]: row for row in section.find_all("tr") if "data-facet" in row.attrs
    }
    assert set(facets) == set(coverage.FACETS)
    cells = [cell.text for cell in facets["responses"].find_all("td")]
    responses = covered.coverage["facets"]["responses"]
    assert cells[2:4] == [str(responses["covered"]), str(responses["total"])]
    assert responses["total"] - responses["covered"] == 2
    gaps = {item.attrs["data-gap"]: item.text for item in section.find_all("li")}
    assert "provisions at once" in gaps["getVirtualMachine 202"]
    assert "not observed" in gaps["getVirtualMachine 401"]
    (tile,) = root.find_all(id="coverage-total")
    assert "minimum 90" in tile.text and "bad" in tile.classes()
