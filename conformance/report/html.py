"""The HTML conformance report: one self-contained page per run (Jinja2, no remote assets).

`write_html(summary, examples, path)` writes it. The page is built from a view of the run made
by `views` (problems with what the documentation says next to what the API did, the matrix of
operations and checks, scenarios, charts, one real exchange per operation) and rendered by
`templates/report.html.j2`; the CSS and the small filter script are inlined from
`templates/report.css` and `templates/report.js`. Everything reads without JavaScript.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from conformance.report import charts, documentation
from conformance.report.views import (
    CHECK_SHORT,
    SYMBOL,
    ScenarioRow,
    example_views,
    inline_markdown,
    matrix_view,
    problem_view,
    verdict_sentence,
)
from conformance.results import coverage
from conformance.results.observations import OUTCOMES
from conformance.results.summary import Summary

TEMPLATES = Path(__file__).resolve().parent / "templates"

_ENVIRONMENT = Environment(
    loader=PackageLoader("conformance.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENVIRONMENT.filters["md"] = lambda text: inline_markdown(text)


def context(summary: Summary, examples: dict[str, Any]) -> dict[str, Any]:
    """Everything the template shows."""
    data = summary.to_dict()
    problems = [problem_view(p, f"problem-{i}") for i, p in enumerate(summary.problems(), 1)]
    accepted = [problem_view(p, f"deviation-{i}") for i, p in enumerate(summary.accepted(), 1)]
    anchors = {}
    for view in [*problems, *accepted]:
        for test in [*view.tests, *view.stopped]:
            anchors.setdefault(test, view.anchor)
    checks, rows = matrix_view(data)
    for row in rows:
        for view in [*problems, *accepted]:
            if view.operation == row.label:
                row.problem = view.anchor
                break
    scenarios = []
    for observation in summary.observations:
        if observation.kind != "scenario" or observation.check != "scenario":
            continue
        found = documentation.scenario(observation.base_test_id)
        story = found.story if found else ""
        title = documentation.humanise(found.function) if found else observation.title
        anchor = anchors.get(observation.base_test_id)
        scenarios.append(ScenarioRow(observation, title, story, anchor))
    scenarios.sort(key=lambda row: (OUTCOME_RANK[row.observation.outcome], row.observation.test_id))
    chart_rows = [
        (
            row.operation_id,
            row.label,
            {o: sum(c.counts[o] for c in row.cells if c) for o in OUTCOMES},
        )
        for row in rows
        if any(row.cells)
    ]
    time_rows = [
        (row.operation_id, row.label, data["operations"][row.label])
        for row in rows
        if data["operations"].get(row.label, {}).get("requests")
    ]
    return {
        "summary": summary,
        "data": data,
        "verdict_sentence": verdict_sentence(summary, problems),
        "problems": problems,
        "accepted": accepted,
        "silent_points": data["silent_points"],
        "stale": data["stale_deviations"],
        "checks": checks,
        "check_short": CHECK_SHORT,
        "check_text": {check: documentation.check(check) for check in checks},
        "rows": rows,
        "scenarios": scenarios,
        "capabilities": [
            {**documentation.capability(name), **counts, "total": sum(counts[o] for o in OUTCOMES)}
            for name, counts in data["capabilities"].items()
        ],
        "outcomes_chart": charts.outcomes_per_operation(chart_rows),
        "times_chart": charts.response_times(time_rows) if time_rows else None,
        "examples": example_views(examples),
        "facet_meaning": coverage.FACETS,
        "symbol": SYMBOL,
        "kind_names": {"property": "property run", "stateful": "stateful run"},
        "css": Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        "script": Markup((TEMPLATES / "report.js").read_text(encoding="utf-8")),
    }


OUTCOME_RANK = {"failed": 0, "deviation": 1, "noted": 2, "skipped": 3, "passed": 4}


def render(summary: Summary, examples: dict[str, Any]) -> str:
    return _ENVIRONMENT.get_template("report.html.j2").render(**context(summary, examples))


def write_html(summary: Summary, examples: dict[str, Any], path: Path) -> None:
    Path(path).write_text(render(summary, examples), encoding="utf-8")
