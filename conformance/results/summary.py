"""The summary of a run: its observations (conformance.results.observations) counted by
capability and check, the verdict, problems and silent points, written as summary.json.
Pure data and pure functions."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import spec
from conformance.judging import register, statements
from conformance.results.observations import (
    OUTCOMES,
    Observation,
    Problem,
    capability_level,
    group_problems,
    link_stopped_scenarios,
    scrub,
)

SUMMARY_FORMAT = 1  # the version of summary.json's layout (conformance/report/summary.schema.json)


@dataclass
class Summary:
    """What a run found, ready to be written as summary.json."""

    target: dict[str, Any]
    versions: dict[str, str]
    seed: int | None
    profile: str
    started: str
    duration: float
    observations: list[Observation] = field(default_factory=list)
    stale_deviations: list[dict[str, Any]] = field(default_factory=list)
    traffic: dict[str, dict[str, Any]] = field(default_factory=dict)
    # 429 and 503 answers retried (with backoff) before an answer was judged, by status
    retries: dict[str, int] = field(default_factory=dict)
    # the expectations file applied, if any: {"file": path, "entries": count}
    expectations: dict[str, Any] | None = None
    # the baseline given (--baseline), if any: the comparison with it (compare.Comparison)
    baseline: dict[str, Any] | None = None
    # a run that did not finish (the deadline, SIGTERM, Ctrl-C): incomplete() says how
    incomplete: dict[str, Any] | None = None
    # contract coverage (conformance.results.coverage.compute), if measured
    coverage: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        link_stopped_scenarios(self.observations)

    @property
    def complete(self) -> bool:
        return self.incomplete is None

    @property
    def conformant(self) -> bool:
        """True when the run finished and no required check failed (accepted deviations
        aside). Stale deviations (listed but no longer failing) are reported, never a
        failure; a run cut short is never conformant.
        """
        return self.complete and not self.failed_required()

    def failed_required(self) -> bool:
        return any(o.outcome == "failed" and o.level == "required" for o in self.observations)

    @property
    def verdict(self) -> str:
        """CONFORMANT; NOT CONFORMANT (a required check failed, finished or not); or
        INCOMPLETE (cut short before any required check failed)."""
        if self.failed_required():
            return "NOT CONFORMANT"
        return "CONFORMANT" if self.complete else "INCOMPLETE"

    def counts(self, key: str) -> dict[str, dict[str, int]]:
        """Outcome counts grouped by an observation attribute (capability, check, ...)."""
        grouped: dict[str, Counter] = defaultdict(Counter)
        for observation in self.observations:
            grouped[getattr(observation, key) or "-"][observation.outcome] += 1
        return {
            name: {outcome: counter.get(outcome, 0) for outcome in OUTCOMES}
            for name, counter in sorted(grouped.items())
        }

    def capabilities(self) -> dict[str, dict[str, Any]]:
        """Level and outcome counts of every capability of the spec (zeros: not exercised)."""
        counts = self.counts("capability")
        names = sorted({*counts, *_all_capabilities()})
        zero = dict.fromkeys(OUTCOMES, 0)
        return {name: {"level": capability_level(name), **counts.get(name, zero)} for name in names}

    def matrix(self) -> dict[str, dict[str, dict[str, int]]]:
        """operation -> check -> outcome counts (observations that name an operation)."""
        cells: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        for observation in self.observations:
            if observation.operation:
                cells[observation.operation][observation.check][observation.outcome] += 1
        return {
            operation: {
                check: {outcome: counter.get(outcome, 0) for outcome in OUTCOMES}
                for check, counter in sorted(checks.items())
            }
            for operation, checks in sorted(cells.items())
        }

    def score(self) -> dict[str, dict[str, int]]:
        """Passed of total for required and advisory observations, and accepted deviations."""
        score = {}
        for level in ("required", "advisory"):
            mine = [
                o
                for o in self.observations
                if o.level == level and o.outcome not in ("skipped", "noted")
            ]
            score[level] = {
                "passed": sum(o.outcome == "passed" for o in mine),
                "failed": sum(o.outcome == "failed" for o in mine),
                "total": len(mine),
            }
        score["deviations"] = {
            "accepted": sum(o.outcome == "deviation" for o in self.observations),
            "stale": len(self.stale_deviations),
        }
        score["noted"] = sum(o.outcome == "noted" for o in self.observations)
        return score

    def failures(self) -> list[Observation]:
        return [o for o in self.observations if o.outcome == "failed"]

    def silent_points(self) -> list[dict[str, Any]]:
        """The points where the record is silent and this target chose otherwise than the
        spec, one per register entry (in the register's order), with where it was seen."""
        return silent_points([o for o in self.observations if o.outcome == "noted"])

    def deviations(self) -> list[Observation]:
        return [o for o in self.observations if o.outcome == "deviation"]

    def blocked(self) -> list[dict[str, Any]]:
        """Scenarios not judged because they met a cause another scenario established (a
        wait that timed out), one entry per cause, in the order they were met."""
        causes: dict[tuple[str, str], list[str]] = {}
        for o in self.observations:
            if o.blocked_by:
                cause = (o.title.removeprefix("Blocked by: "), o.blocked_by)
                causes.setdefault(cause, []).append(o.test_id)
        return [
            {"cause": cause, "established_by": by, "tests": tests}
            for (cause, by), tests in causes.items()
        ]

    def problems(self) -> list[Problem]:
        """The failures, one entry per rule broken."""
        return group_problems(self.failures())

    def accepted(self) -> list[Problem]:
        """The accepted deviations, one entry per rule."""
        return group_problems(self.deviations())

    def to_dict(self) -> dict[str, Any]:
        operation_ids = _operation_ids()
        matrix = self.matrix()
        return {
            "format": SUMMARY_FORMAT,
            "verdict": self.verdict,
            "conformant": self.conformant,
            "complete": self.complete,
            "incomplete": self.incomplete,
            "target": self.target,
            "versions": self.versions,
            "seed": self.seed,
            "profile": self.profile,
            "started": self.started,
            "duration": round(self.duration, 3),
            "expectations": self.expectations,
            "score": self.score(),
            "capabilities": self.capabilities(),
            "checks": self.counts("check"),
            "operations": {
                label: {
                    "operation_id": operation_ids.get(label),
                    "requests": seen["count"],
                    "statuses": dict(sorted(seen["statuses"].items())),
                    "mean_seconds": round(seen["seconds"] / seen["count"], 4)
                    if seen["count"]
                    else 0,
                    "max_seconds": round(seen["max"], 4),
                    "checks": {
                        check: {k: v for k, v in counts.items() if v}
                        for check, counts in matrix.get(label, {}).items()
                    },
                }
                for label, seen in sorted(_with_untrafficked(self.traffic, matrix).items())
            },
            "problems": [problem.to_dict() for problem in self.problems()],
            "failures": [_failure_entry(o, operation_ids) for o in self.failures()],
            "deviations": [
                {**_failure_entry(o, operation_ids), "reason": o.deviation_reason}
                for o in self.deviations()
            ],
            "stale_deviations": self.stale_deviations,
            "retries": dict(sorted(self.retries.items())),
            "silent_points": self.silent_points(),
            "blocked": self.blocked(),
            "baseline": self.baseline,
            "coverage": self.coverage,
        }


def empty_traffic() -> dict[str, Any]:
    """The traffic of an operation before any request: statuses, count, total and max seconds."""
    return {"statuses": {}, "count": 0, "seconds": 0.0, "max": 0.0}


def _with_untrafficked(
    traffic: dict[str, dict[str, Any]], matrix: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Traffic per operation, with an empty entry for operations judged but not counted."""
    return {label: traffic.get(label) or empty_traffic() for label in {*traffic, *matrix}}


def _all_capabilities() -> set[str]:
    return {name for document in (spec.api(), spec.auth()) for name in document["x-capabilities"]}


def _operation_ids() -> dict[str, str]:
    found = {}
    for document in (spec.api(), spec.auth()):
        for operation_id, (method, path, _) in spec.operations(document).items():
            found[f"{method} {path}"] = operation_id
    return found


def _failure_entry(o: Observation, operation_ids: dict[str, str]) -> dict[str, Any]:
    return {
        "test_id": o.test_id,
        "kind": o.kind,
        "operation": o.operation,
        "operation_id": operation_ids.get(o.operation or ""),
        "check": o.check,
        "capability": o.capability,
        "level": o.level,
        "title": scrub(o.title),
        "message": scrub(o.message),
        "step": o.step,
        "stopped_at": o.stopped_at,
        "status": o.status,
        "curl": scrub(o.curl) if o.curl else None,
        "basis": o.basis,
        "register": o.register,
        "statement": statements.statement(o.statement).to_dict() if o.statement else None,
    }


def silent_points(noted: list[Observation]) -> list[dict[str, Any]]:
    """Noted observations grouped by register entry: what the spec chose, what else the
    record allows, and what this target did (the first time it was seen, and where)."""
    by_entry: dict[str, list[Observation]] = defaultdict(list)
    for observation in noted:
        by_entry[observation.register or "unattributed"].append(observation)
    known = list(register.entries())
    points = []
    for entry_id in sorted(by_entry, key=lambda e: known.index(e) if e in known else len(known)):
        seen = by_entry[entry_id]
        # the one that says most of what the target did (a bare "Server error" says little)
        first = max(seen, key=lambda o: (bool(o.message and o.message != o.title), -seen.index(o)))
        entry = register.entries().get(entry_id)
        described = (
            entry.to_dict()
            if entry
            else {"id": entry_id, "basis": "silent", "question": "", "chose": "", "others": []}
        )
        points.append(
            {
                **{key: described.get(key) for key in ("id", "question", "chose", "others")},
                "record": described.get("record"),
                "sources": described.get("sources", []),
                "observations": len(seen),
                "tests": list(dict.fromkeys(o.base_test_id for o in seen)),
                "operations": sorted({o.operation for o in seen if o.operation}),
                "title": scrub(first.title),
                "message": scrub(first.message),
                "curl": scrub(first.curl) if first.curl else None,
            }
        )
    return points


def write_summary(summary: Summary, path: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(summary.to_dict(), handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def incomplete_line(summary: Summary) -> str:
    """One sentence on why a run is incomplete and what it left unjudged."""
    data = summary.incomplete or {}
    said, count = data.get("said", "it was cut short"), len(data.get("tests", []))
    unjudged = f"; {count} test{'s were' if count != 1 else ' was'} not run to the end"
    return f"The run is incomplete: {said}{unjudged if count else ''}."


def stale_advice(entry: dict[str, Any]) -> str:
    """One sentence on what to do about a stale deviation."""
    if entry.get("status") == "passes":
        return (
            f"stale deviation: {entry['check']} now passes on "
            f"{entry.get('operation') or entry.get('test_id')}; remove it from the "
            "expectations file"
        )
    return (
        f"stale deviation: {entry['check']} on {entry.get('operation') or entry.get('test_id')} "
        "was not run (profile or name?); nothing matched it"
    )
