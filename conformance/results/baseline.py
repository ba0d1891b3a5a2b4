"""Two runs side by side: what got worse, what got better, what is newly covered. Pure.

A run is read from its `summary.json` (or the report directory holding it); only the layout
this version writes (`format` 1) is read, anything else is refused with one line. Problems
are matched by their key (`key`: the operation or scenario, and the check, with the register
point a finding rests on), so the same rule broken in both runs is the same problem.

`bigv-conformance compare OLD NEW` prints the comparison and exits 1 when NEW has a required
problem OLD does not (a regression), else 0; `run --baseline OLD` fails only on such problems
and puts the comparison in every report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.results.summary import SUMMARY_FORMAT, Summary


class CompareError(Exception):
    """A summary that cannot be read (the message is one line for the user)."""


def summary_path(path: str | Path) -> Path:
    """The summary.json a path names: the file itself, or the one in a report directory."""
    path = Path(path)
    return path / "summary.json" if path.is_dir() else path


def load(path: str | Path) -> dict[str, Any]:
    """A run's summary.json, refused in one line unless it is the layout this version reads."""
    found = summary_path(path)
    try:
        data = json.loads(found.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CompareError(f"no summary.json at {path}") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = type(error).__name__
        raise CompareError(f"{found} is not a readable summary.json ({reason})") from None
    if not isinstance(data, dict) or data.get("format") != SUMMARY_FORMAT:
        shown = data.get("format") if isinstance(data, dict) else None
        raise CompareError(
            f"{found} is not a bigv-conformance summary of format {SUMMARY_FORMAT} "
            f"(format {shown!r})"
        )
    if not isinstance(data.get("problems"), list):
        raise CompareError(f"{found} has no problems list")
    return data


def problem_key(problem: dict[str, Any]) -> tuple[str, ...]:
    """The identity of a problem across runs."""
    key = problem.get("key")
    if isinstance(key, list) and key:
        return tuple(str(part) for part in key)
    where = problem.get("operation") or (problem.get("tests") or ["?"])[0]
    return (str(where), str(problem.get("check")))


def _covered(summary: dict[str, Any]) -> set[str]:
    """What a run exercised: capabilities and operations with at least one judgement."""
    found = set()
    for name, counts in (summary.get("capabilities") or {}).items():
        if any(counts.get(outcome) for outcome in ("passed", "failed", "deviation", "noted")):
            found.add(f"capability {name}")
    for label, operation in (summary.get("operations") or {}).items():
        if operation.get("requests"):
            found.add(f"operation {label}")
    return found


@dataclass
class Comparison:
    """What changed from an old run to a new one."""

    old: str
    new: str
    worse: list[dict[str, Any]] = field(default_factory=list)  # problems NEW has, OLD not
    better: list[dict[str, Any]] = field(default_factory=list)  # problems OLD had, NEW not
    same: list[dict[str, Any]] = field(default_factory=list)  # problems both have
    newly_covered: list[str] = field(default_factory=list)
    no_longer_covered: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[dict[str, Any]]:
        """The new problems at the required level: what makes NEW worse than OLD."""
        return [problem for problem in self.worse if problem.get("level") == "required"]

    def to_dict(self) -> dict[str, Any]:
        def short(problem: dict[str, Any]) -> dict[str, Any]:
            return {
                "key": list(problem_key(problem)),
                "level": problem.get("level"),
                "title": problem.get("title"),
                "operation": problem.get("operation"),
                "check": problem.get("check"),
            }

        return {
            "old": self.old,
            "new": self.new,
            "regressions": len(self.regressions),
            "worse": [short(p) for p in self.worse],
            "better": [short(p) for p in self.better],
            "unchanged": len(self.same),
            "newly_covered": self.newly_covered,
            "no_longer_covered": self.no_longer_covered,
        }


def compare(
    old: dict[str, Any], new: dict[str, Any], old_name: str = "old", new_name: str = "new"
) -> Comparison:
    """The comparison of two summaries (as `load` reads them)."""
    before = {problem_key(p): p for p in old["problems"]}
    after = {problem_key(p): p for p in new["problems"]}
    covered_before, covered_after = _covered(old), _covered(new)
    return Comparison(
        old=old_name,
        new=new_name,
        worse=[p for key, p in after.items() if key not in before],
        better=[p for key, p in before.items() if key not in after],
        same=[p for key, p in after.items() if key in before],
        newly_covered=sorted(covered_after - covered_before),
        no_longer_covered=sorted(covered_before - covered_after),
    )


def lines(comparison: Comparison) -> list[str]:
    """The comparison as plain lines (the compare command's output, a CI log)."""

    def line(sign: str, problem: dict[str, Any]) -> str:
        where = problem.get("operation") or problem_key(problem)[0]
        check, title = problem.get("check"), problem.get("title")
        return f"{sign} {problem.get('level')} {where} · {check}: {title}"

    out = [f"Comparing {comparison.new} with {comparison.old}:"]
    out.append(
        f"{len(comparison.worse)} new problem(s) ({len(comparison.regressions)} required), "
        f"{len(comparison.better)} fixed, {len(comparison.same)} unchanged"
    )
    out += [line("+", p) for p in comparison.worse]
    out += [line("-", p) for p in comparison.better]
    out += [f"newly covered: {item}" for item in comparison.newly_covered]
    out += [f"no longer covered: {item}" for item in comparison.no_longer_covered]
    verdict = "REGRESSION" if comparison.regressions else "NO REGRESSION"
    out.append(f"{verdict}: {len(comparison.regressions)} required problem(s) not in the old run")
    return out


def apply_baseline(summary: Summary, baseline: dict[str, Any], file: str) -> Comparison:
    """Judge a run against a baseline: the failures of the problems the baseline has too are
    accepted (known in the baseline), so that only new problems decide the verdict; the
    comparison goes in the summary (and so in every report)."""
    comparison = compare(baseline, summary.to_dict(), file, "this run")
    known = {problem_key(problem) for problem in baseline["problems"]}
    for problem in summary.problems():
        if tuple(str(part) for part in problem.key) not in known:
            continue
        for observation in [*problem.observations, *problem.stopped]:
            if observation.outcome == "failed":
                observation.outcome = "deviation"
                observation.deviation_reason = f"known in the baseline {file}"
    summary.baseline = {"file": file, **comparison.to_dict()}
    return comparison
