"""The one-screen terminal summary of a run: capabilities, problems, deviations, verdict.

`print_summary(console, summary, report_dir)` is what `bigv-conformance run` prints after the
progress view. Problems are grouped as in the HTML report (one line per rule broken), so a
single fault that fails fifty tests is one line, not fifty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from conformance.judging import statements
from conformance.report import documentation
from conformance.results import coverage
from conformance.results.observations import Problem
from conformance.results.summary import Summary, incomplete_line, stale_advice

MAX_PROBLEMS = 8


def _where(problem: Problem) -> str:
    if problem.kind == "scenario":
        return f"scenario {problem.key[0]}"
    doc = documentation.operation(problem.operation)
    return doc.operation_id if doc else (problem.operation or problem.key[0])


def problem_line(problem: Problem) -> str:
    """One line (rich markup) for one rule broken."""
    tests = len(problem.tests)
    check = "" if problem.kind == "scenario" else f" · {problem.check}"
    basis = ""
    if problem.basis == "inferred":
        basis = (
            f" [dim](our inference: {problem.register})[/dim]"
            if problem.register
            else " [dim](no statement of the documentation: advisory)[/dim]"
        )
    line = (
        f"[red]✗[/red] [bold]{problem.level}[/bold] {escape(_where(problem))}{escape(check)}: "
        f"{escape(problem.title)}{basis} [dim]({tests} test{'s' if tests != 1 else ''})[/dim]"
    )
    statement = problem.statement
    if statement is not None and problem.level == "required":
        line += f"\n    [dim]{escape(statements.says(statement))}[/dim]"
    return line


def print_summary(console: Console, summary: Summary, report_dir: Any) -> None:
    """Capabilities, problems, deviations and the verdict, on one screen."""
    data = summary.to_dict()
    seed = data["seed"] if data["seed"] is not None else "random"
    console.print(
        f"[bold]BigV conformance of {escape(str(data['target']['url']))}[/bold] "
        f"(profile {data['profile']}, seed {seed}, {data['duration']:.0f} s)",
        highlight=False,
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("capability", "level", "passed", "failed", "deviation", "skipped"):
        table.add_column(column, justify="left" if column in ("capability", "level") else "right")
    for name, row in data["capabilities"].items():
        failed = f"[bold red]{row['failed']}[/bold red]" if row["failed"] else "0"
        deviation = f"[yellow]{row['deviation']}[/yellow]" if row["deviation"] else "0"
        table.add_row(
            name, row["level"], str(row["passed"]), failed, deviation, str(row["skipped"])
        )
    console.print(table)

    problems = summary.problems()
    if problems:
        required = sum(p.level == "required" for p in problems)
        console.print(
            f"[bold]Problems: {len(problems)} rule{'s' if len(problems) != 1 else ''} broken "
            f"({required} required)[/bold]"
        )
        for problem in problems[:MAX_PROBLEMS]:
            console.print(problem_line(problem), highlight=False)
        if len(problems) > MAX_PROBLEMS:
            console.print(f"... and {len(problems) - MAX_PROBLEMS} more in the report")
    accepted = summary.accepted()
    if accepted:
        count = data["score"]["deviations"]["accepted"]
        console.print(
            f"[yellow]Accepted deviations:[/yellow] {count} judgement{'s' if count != 1 else ''} "
            f"of {len(accepted)} rule{'s' if len(accepted) != 1 else ''} listed in "
            f"{escape(str((data['expectations'] or {}).get('file', '')))}",
            highlight=False,
        )
    baseline = data.get("baseline")
    if baseline:
        console.print(
            f"[bold]Against the baseline {escape(baseline['file'])}:[/bold] "
            f"{len(baseline['worse'])} new problem(s) ({baseline['regressions']} required), "
            f"{len(baseline['better'])} fixed, {baseline['unchanged']} unchanged (accepted as "
            "known)",
            highlight=False,
        )
        for sign, problems in (("+", baseline["worse"]), ("-", baseline["better"])):
            for problem in problems[:MAX_PROBLEMS]:
                where = problem["operation"] or problem["key"][0]
                console.print(
                    f"{sign} {problem['level']} {escape(where)} · {escape(problem['check'])}: "
                    f"{escape(problem['title'])}",
                    highlight=False,
                )
    silent = data["silent_points"]
    if silent:
        console.print(
            f"[blue]Documentation silent:[/blue] on {len(silent)} point"
            f"{'s' if len(silent) != 1 else ''} this target chose otherwise than the spec "
            "(noted, never failures; see the report):",
            highlight=False,
        )
        for point in silent[:MAX_PROBLEMS]:
            console.print(
                f"[blue]○[/blue] {escape(point['id'])}: {escape(point['title'])}", highlight=False
            )
        if len(silent) > MAX_PROBLEMS:
            console.print(f"... and {len(silent) - MAX_PROBLEMS} more in the report")
    if summary.retries:
        retried = ", ".join(
            f"{count} x {status}" for status, count in sorted(summary.retries.items())
        )
        console.print(f"[yellow]Retried busy answers:[/yellow] {retried}", highlight=False)
    if summary.stale_deviations:
        console.print(
            f"[bold yellow]Stale deviations: {len(summary.stale_deviations)} listed but not "
            "failing[/bold yellow] (reported; they do not fail the run)"
        )
        for entry in summary.stale_deviations[:MAX_PROBLEMS]:
            console.print(f"[yellow]![/yellow] {escape(stale_advice(entry))}", highlight=False)

    _print_coverage(console, data.get("coverage"))
    for cause in data["blocked"]:
        console.print(
            f"[yellow]Blocked:[/yellow] {len(cause['tests'])} scenario(s) not judged, blocked "
            f"by {escape(cause['cause'])} (first met by {escape(cause['established_by'])})",
            highlight=False,
        )
    if summary.incomplete:
        console.print(f"[bold red]{escape(incomplete_line(summary))}[/bold red]", highlight=False)

    score = data["score"]
    colour = "green" if summary.conformant else "red"
    console.print(
        f"[bold {colour}]{data['verdict']}[/bold {colour}]: required "
        f"{score['required']['passed']}/{score['required']['total']} passed, advisory "
        f"{score['advisory']['passed']}/{score['advisory']['total']} passed, "
        f"{score['deviations']['accepted']} accepted deviations"
        + (f", {score['deviations']['stale']} stale" if score["deviations"]["stale"] else "")
        + (f", {score['noted']} noted where the documentation is silent" if score["noted"] else ""),
        highlight=False,
    )
    console.print(f"Report: {escape(str(Path(report_dir) / 'report.html'))}", highlight=False)


def _print_coverage(console: Console, figures: dict[str, Any] | None) -> None:
    """The contract coverage in one line, then each documented response not observed."""
    if not figures:
        return
    console.print(f"[bold]{escape(coverage.summary_line(figures))}[/bold]", highlight=False)
    gaps = sorted(figures["gaps"], key=lambda gap: gap["reason"] is not None)  # unexplained first
    for gap in gaps[:MAX_PROBLEMS]:
        mark = "[dim]○[/dim]" if gap["reason"] else "[yellow]?[/yellow]"
        console.print(f"{mark} {escape(coverage.gap_line(gap))}", highlight=False)
    if len(gaps) > MAX_PROBLEMS:
        console.print(f"... and {len(gaps) - MAX_PROBLEMS} more in the report")
