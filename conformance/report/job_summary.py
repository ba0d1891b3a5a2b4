"""summary.md: the verdict, score, coverage and problems of a run in a few lines of
Markdown, short enough for a CI job summary (GitHub's $GITHUB_STEP_SUMMARY, a GitLab
merge-request note), pointing to report.html. Written by every run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.judging import statements
from conformance.results import coverage
from conformance.results.summary import Summary, incomplete_line

MAX_LINES = 10  # problems (and silent points) listed; the rest are counted


def _problem(problem: dict[str, Any]) -> str:
    where = problem.get("operation") or (problem.get("tests") or ["?"])[0]
    inferred = " (our inference)" if problem.get("basis") == "inferred" else ""
    tests = len(problem["tests"])
    line = (
        f"- **{problem['level']}**{inferred} `{where}` · `{problem['check']}`: "
        f"{problem['title']} ({tests} test{'s' if tests != 1 else ''})"
    )
    statement = problem.get("statement")
    if statement and problem["level"] == "required":
        line += f"\n  {statements.says(statement)}"
    return line


def render(summary: Summary, report: str = "report.html") -> str:
    """The Markdown of summary.md."""
    data = summary.to_dict()
    score = data["score"]
    mark = "✅" if data["conformant"] else "❌"
    operations = data["operations"]
    exercised = sum(1 for operation in operations.values() if operation["requests"])
    capabilities = data["capabilities"]
    judged = sum(1 for counts in capabilities.values() if counts["passed"] + counts["failed"])
    out = [
        f"## {mark} BigV conformance: {data['verdict']}",
        "",
        f"Target `{data['target']['url']}` · profile {data['profile']} · seed "
        f"{data['seed'] if data['seed'] is not None else 'random'} · {data['duration']:.0f} s",
        "",
    ]
    if (data["target"].get("tls") or {}).get("verified") is False:
        out += [
            "⚠️ **TLS not verified** (`--insecure`): the endpoint's certificate was not checked."
        ]
        out += [""]
    out += [
        "| | passed | failed | total |",
        "|---|---:|---:|---:|",
        f"| required | {score['required']['passed']} | {score['required']['failed']} | "
        f"{score['required']['total']} |",
        f"| advisory | {score['advisory']['passed']} | {score['advisory']['failed']} | "
        f"{score['advisory']['total']} |",
        "",
        f"Coverage: {exercised} of {len(operations)} operations exercised, {judged} of "
        f"{len(capabilities)} capabilities judged. Accepted deviations: "
        f"{score['deviations']['accepted']}; noted where the documentation is silent: "
        f"{score['noted']}.",
    ]
    if data.get("coverage"):
        out += ["", coverage.summary_line(data["coverage"]) + "."]
    baseline = data.get("baseline")
    if baseline:
        out += [
            "",
            f"Against the baseline `{baseline['file']}`: {len(baseline['worse'])} new "
            f"problem(s), {len(baseline['better'])} fixed, {baseline['unchanged']} unchanged.",
        ]
    if summary.incomplete:
        out += ["", f"**{incomplete_line(summary)}**"]
    problems = data["problems"]
    if problems:
        required = sum(problem["level"] == "required" for problem in problems)
        out += ["", f"**Problems: {len(problems)} ({required} required)**", ""]
        out += [_problem(problem) for problem in problems[:MAX_LINES]]
        if len(problems) > MAX_LINES:
            out.append(f"- … and {len(problems) - MAX_LINES} more in the report")
    out += ["", f"Full report: `{report}` (and `summary.json`, `junit.xml` beside it)."]
    return "\n".join(out) + "\n"


def write(summary: Summary, path: Path, report: Path) -> None:
    Path(path).write_text(render(summary, str(report)), encoding="utf-8")
