"""The HTML conformance report: one self-contained page per run (Jinja2, no remote assets)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from conformance.results import Observation, Summary

_ENVIRONMENT = Environment(
    loader=PackageLoader("conformance.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def matrix(observations: list[Observation]) -> tuple[list[str], list[str], dict]:
    """Operations (rows) x checks (columns) -> outcome counts."""
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for observation in observations:
        if observation.operation:
            cells[(observation.operation, observation.check)][observation.outcome] += 1
    operations = sorted({operation for operation, _ in cells})
    checks = sorted({check for _, check in cells})
    return operations, checks, cells


def render(summary: Summary, examples: dict[str, Any]) -> str:
    operations, checks, cells = matrix(summary.observations)
    return _ENVIRONMENT.get_template("report.html.j2").render(
        summary=summary,
        data=summary.to_dict(),
        operations=operations,
        checks=checks,
        cells=cells,
        failures=summary.failures(),
        scenarios=[o for o in summary.observations if o.kind == "scenario"],
        examples=dict(sorted(examples.items())),
    )


def write_html(summary: Summary, examples: dict[str, Any], path: Path) -> None:
    Path(path).write_text(render(summary, examples), encoding="utf-8")
