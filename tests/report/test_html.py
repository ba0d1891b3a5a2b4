"""The HTML report of a synthetic run: it parses, holds the matrix, explains each failure."""

import html
import re

import spec
from conformance import report
from conformance.results import expectations
from tests.report import factory, htmltree


def render(summary=None, examples=None) -> str:
    return report.render(summary or factory.summary(), examples or factory.EXAMPLES)


def test_the_page_parses_strictly_and_shows_the_verdict_and_score():
    root = htmltree.parse(render())
    assert root.by_id("verdict").text.strip() == "NOT CONFORMANT"
    header = root.find_all("header", class_="top")[0].text
    for text in ("required checks passed", "advisory checks passed", "accepted deviation",
                 "conformance / default / alice", "full / 1", "schemathesis 4.32.5",
                 "abcdef123456"):  # fmt: skip
        assert text in " ".join(header.split()), text


def test_the_matrix_has_every_operation_and_a_cell_per_check():
    root = htmltree.parse(render())
    matrix = root.find_all("table", class_="matrix")
    assert len(matrix) == 1
    rows = matrix[0].find_all("tr")[1:]
    labels = {row.find_all("a")[0].attrs["title"] for row in rows}
    every = {
        f"{m} {p}" for d in (spec.api(), spec.auth()) for m, p, _ in spec.operations(d).values()
    }
    assert labels == every
    columns = [th.attrs["title"].split(":")[0] for th in matrix[0].find_all("th", class_="rot")]
    assert columns[:2] == ["not_a_server_error", "status_code_conformance"]
    get_vm = root.by_id("op-getVirtualMachine")
    cells = get_vm.find_all("td", class_="cell")
    assert len(cells) == len(columns)
    hostname = cells[columns.index("vm_hostname_derivation")]
    assert "failed" in hostname.classes() and hostname.text.startswith("✗ 2/2")
    assert "passed" in cells[0].classes()
    statuses = " ".join(get_vm.find_all("td", class_="statuses")[0].text.split())
    assert "200\u00d75" in statuses and "404\u00d72" in statuses


def test_each_problem_shows_the_documentation_the_evidence_and_a_curl_line():
    root = htmltree.parse(render())
    cards = root.find_all("article", class_="problem")
    assert len(cards) == 4
    schema = next(c for c in cards if "listVirtualMachines" in c.text)
    text = " ".join(schema.text.split())
    assert "The body of every answer matches the schema" in text
    assert "List the virtual machines of a group" in text  # capability description
    assert "| `cores` |" not in text and "cores integer no W yes" in text  # SOURCES row as a table
    assert "Sources of listVirtualMachines: spec/SOURCES.md § 5.1" in text
    assert '"1" is not of type "integer"' in text
    assert "curl -sS -X GET" in text
    assert schema.find_all("pre", class_="schema")  # the schema the body had to match
    seen = schema.find_all("span", class_="seen")
    assert [s.text for s in seen] == ["200"]

    scenario = next(c for c in cards if "0a6d5e31-power-table-put" in c.text)
    failed_steps = [li.text for li in scenario.find_all("li", class_="failed")]
    assert [s[:2] for s in failed_steps] == ["2.", "3."]
    assert "Failed at step 2-3." in " ".join(scenario.text.split())

    hostname = next(c for c in cards if "vm_hostname_derivation" in c.text)
    assert "1 scenario stopped at it" in " ".join(hostname.text.split())
    assert "www1.default.myaccount.uk0.bigv.io" in hostname.text  # the source of vm.hostname


def test_deviations_and_stale_entries_are_shown_apart_from_problems(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text(
        '[[deviation]]\noperation = "GET /accounts/{account}/groups/{group}/virtual_machines/'
        '{virtual_machine}"\ncheck = "vm_hostname_derivation"\nreason = "OPS-1 legacy"\n'
        '[[deviation]]\noperation = "DELETE /accounts/{account}/groups/{group}"\n'
        'check = "status_code_conformance"\nreason = "used to answer 200"\n'
    )
    summary = factory.summary()
    expectations.apply(summary, expectations.load(path))
    root = htmltree.parse(render(summary))
    stale = " ".join(root.by_id("stale").text.split())
    assert "DELETE /accounts/{account}/groups/{group}" in stale and "passes now" in stale
    deviations = root.by_id("deviations").find_all("article", class_="deviation")
    assert len(deviations) == 1 and "OPS-1 legacy" in deviations[0].text
    assert not any("OPS-1" in c.text for c in root.by_id("problems").find_all("article"))
    cell = root.by_id("op-getVirtualMachine").find_all("td", class_="deviation")
    assert cell and cell[0].text.startswith("≈")


def test_the_page_is_self_contained_and_reads_without_javascript():
    text = render()
    assert not re.search(r"""<(script|img|iframe|link)[^>]+(src|href)=""", text)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    root = htmltree.parse(text)
    assert "hidden" in root.by_id("filters").attrs  # shown only by the script
    assert len(root.find_all("svg")) == 2  # charts drawn in the page
    scripts = root.find_all("script")
    assert len(scripts) == 1 and "src" not in scripts[0].attrs


def test_every_operation_is_documented_by_its_real_exchange_or_says_none_was_seen():
    root = htmltree.parse(render())
    behaviour = root.by_id("behaviour")
    examples = behaviour.find_all("details", class_="example")
    assert len(examples) == sum(len(spec.operations(d)) for d in (spec.api(), spec.auth()))
    put = root.by_id("ex-updateVirtualMachine")
    text = html.unescape(put.text)
    assert '"cores": 2' in text and "bvcx-s1" in text and "curl -sS -X PUT" in text
    assert "no successful exchange" in root.by_id("ex-deleteGroup").text


def test_filters_and_search_cover_problems_matrix_and_scenarios():
    root = htmltree.parse(render())
    marked = [n for n in root.iter() if "data-filter" in n.attrs]
    kinds = {n.tag for n in marked}
    assert {"article", "tr", "details"} <= kinds
    assert all(n.attrs.get("data-outcome") or n.tag == "details" for n in marked)
    assert root.by_id("search").attrs["type"] == "search"


def test_text_from_the_run_is_escaped():
    evil = factory.observation(
        check="status_code_conformance",
        outcome="failed",
        title="<script>alert(1)</script>",
        message="<img src=x onerror=alert(1)>",
        exchange=factory.exchange("GET", "http://x/<b>", 500, {"a": "</pre>"}),
    )
    text = render(factory.summary([evil]))
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    htmltree.parse(text)


def test_capabilities_no_test_spoke_about_are_shown_as_not_exercised():
    root = htmltree.parse(render())
    rows = root.by_id("capabilities").find_all("tr", class_="unexercised")
    names = {row.find_all("code")[0].text for row in rows}
    assert "vm.delete" in names and "vm.read" not in names
    every = {name for d in (spec.api(), spec.auth()) for name in d["x-capabilities"]}
    assert len(root.by_id("capabilities").find_all("tr")) == len(every) + 1
