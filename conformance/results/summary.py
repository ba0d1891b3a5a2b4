"""The results of a run: observations, the verdict, and the machine-readable reports.

An observation is one verdict of one check (or one scenario) on one operation. Pure data and
pure functions; the pytest plugin produces observations and the report writers read them.

Failures are also grouped into *problems*: every failure of one check on one operation is one
problem (one documented rule broken), and a scenario that stopped because a response failed a
check belongs to the problem of that check rather than standing alone. The HTML report, the
terminal summary and `summary.json` show problems first and observations on demand.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any
from xml.etree import ElementTree

import spec
from conformance.judging import register, statements
from conformance.target import redaction

# noted: a check or expectation that rests on a point where the record is silent, and where
# this target chose otherwise than the spec (never a failure)
OUTCOMES = ("passed", "failed", "skipped", "deviation", "noted")
BASES = ("stated", "inferred", "silent")
SUMMARY_FORMAT = 1  # the version of summary.json's layout (conformance/report/summary.schema.json)


@dataclass
class Observation:
    """One check's verdict on one operation (or one scenario's verdict)."""

    test_id: str
    kind: str  # property | stateful | scenario
    name: str
    check: str
    capability: str
    level: str  # required | advisory
    operation: str | None
    outcome: str  # one of OUTCOMES
    title: str = ""
    message: str = ""
    step: str | None = None
    exchange: dict[str, Any] | None = None
    duration: float = 0.0
    deviation_reason: str | None = None
    # A failed scenario that stopped because a response failed a check: that check and
    # operation ({"operation": ..., "check": ...}); set by `link_stopped_scenarios`.
    stopped_at: dict[str, str] | None = None
    # What the expectation rests on: the documentation (stated), an inference of ours, or a
    # point where the record is silent; and the entry of spec/register.yaml, if any.
    basis: str = "stated"
    register: str | None = None
    # The statement of spec/statements.yaml that makes a failure required (basis stated).
    statement: str | None = None
    # A skipped scenario that met a cause another scenario established (deadline.Blocked):
    # the test id of that scenario; the cause is the title.
    blocked_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Observation:
        return cls(**data)

    @property
    def base_test_id(self) -> str:
        """The test this observation belongs to: a scenario's id (with its parameters), or
        `property` / `stateful` for the generated runs."""
        if self.kind == "scenario":
            if self.register and self.test_id.endswith(f":{self.register}"):
                return self.test_id[: -len(self.register) - 1]
            return _scenario_of(self) or self.test_id
        return self.test_id.split(":", 1)[0]

    @property
    def status(self) -> int | None:
        """The HTTP status of the recorded exchange, if any."""
        response = (self.exchange or {}).get("response") or {}
        return response.get("status")

    @property
    def curl(self) -> str | None:
        return (self.exchange or {}).get("curl")


def capability_level(capability: str) -> str:
    """`required` or `advisory` for a capability of either spec document."""
    try:
        return spec.capability_levels()[capability]
    except KeyError:
        raise KeyError(f"unknown capability {capability!r}") from None


def _scenario_of(observation: Observation) -> str | None:
    """The scenario test id a check-level observation of a scenario belongs to."""
    if observation.kind != "scenario" or observation.operation is None:
        return None
    suffix = f":{observation.operation}:{observation.check}"
    if observation.test_id.endswith(suffix):
        return observation.test_id[: -len(suffix)]
    return observation.test_id.split(":", 1)[0]


def link_stopped_scenarios(observations: list[Observation]) -> None:
    """Mark each failed scenario that stopped on a failed check with that check.

    A scenario calls operations through the verdict engine, which stops it at the first
    response that fails a check; the same test then holds a failed check-level observation
    with the same exchange. Idempotent.
    """
    checks_by_test: dict[str, list[Observation]] = defaultdict(list)
    for observation in observations:
        scenario = _scenario_of(observation)
        if scenario is not None and observation.outcome in ("failed", "deviation"):
            checks_by_test[scenario].append(observation)
    for observation in observations:
        if observation.kind != "scenario" or observation.check != "scenario":
            continue
        if observation.outcome not in ("failed", "deviation") or observation.stopped_at:
            continue
        if observation.register:  # a finding of the scenario's own, at a register point
            continue
        for candidate in checks_by_test.get(observation.test_id, []):
            same_exchange = observation.exchange and candidate.exchange == observation.exchange
            same_failure = not observation.exchange and candidate.title == observation.title
            if same_exchange or same_failure:
                observation.stopped_at = {
                    "operation": candidate.operation or "",
                    "check": candidate.check,
                }
                break


@dataclass
class Problem:
    """Failures (or accepted deviations) that are one broken rule: a check on an operation,
    or one scenario's own expectation (all its parameters)."""

    key: tuple[str, str]  # (operation or scenario id, check)
    kind: str  # check | scenario | execution
    operation: str | None
    check: str
    capability: str
    level: str
    title: str
    observations: list[Observation] = field(default_factory=list)
    stopped: list[Observation] = field(default_factory=list)  # scenarios that stopped here

    @property
    def basis(self) -> str:
        """What the broken rule rests on: `stated` (the documentation says it) or
        `inferred` (an inference of ours, so the problem is advisory)."""
        return self.first.basis

    @property
    def register(self) -> str | None:
        return self.first.register

    @property
    def statement(self) -> dict[str, str] | None:
        """The documentation's words that make the problem required: id, quote, source."""
        if self.basis != "stated" or self.first.statement is None:
            return None
        return statements.statement(self.first.statement).to_dict()

    @property
    def first(self) -> Observation:
        """The observation that stands for the problem: one of the generated runs if any
        (their requests use the run's own credentials), else the first scenario."""
        generated = [o for o in self.observations if o.kind != "scenario"]
        return (generated or self.observations or self.stopped)[0]

    @property
    def tests(self) -> list[str]:
        """Every test that saw this problem, each once."""
        seen: dict[str, None] = {}
        for observation in [*self.observations, *self.stopped]:
            seen.setdefault(observation.base_test_id, None)
        return list(seen)

    @property
    def reason(self) -> str | None:
        return self.first.deviation_reason

    def to_dict(self) -> dict[str, Any]:
        first = self.first
        return {
            "kind": self.kind,
            "operation": self.operation,
            "check": self.check,
            "capability": self.capability,
            "level": self.level,
            "title": self.title,
            "message": scrub(first.message),
            "tests": self.tests,
            "scenarios_stopped": [o.test_id for o in self.stopped],
            "curl": scrub(first.curl) if first.curl else None,
            "key": list(self.key),
            "basis": self.basis,
            "register": self.register,
            "statement": self.statement,
            **({"reason": self.reason} if first.outcome == "deviation" else {}),
        }


def _problem_key(observation: Observation) -> tuple[tuple[str, str], str]:
    if observation.stopped_at:
        return (observation.stopped_at["operation"], observation.stopped_at["check"]), "check"
    if observation.kind == "scenario" and observation.check == "scenario":
        scenario = observation.base_test_id.split("[", 1)[0]
        if observation.register:  # one problem per scenario and register point
            return (f"{scenario}:{observation.register}", "scenario"), "scenario"
        return (scenario, "scenario"), "scenario"
    kind = "execution" if observation.check == "execution" else "check"
    check = observation.check
    if observation.register:  # one problem per check, operation and register point
        check = f"{check}:{observation.register}"
    return (observation.operation or observation.name, check), kind


def group_problems(observations: list[Observation]) -> list[Problem]:
    """Failed (or deviating) observations grouped by the rule they break; required first,
    then the most widespread."""
    problems: dict[tuple[str, str], Problem] = {}
    for observation in observations:
        key, kind = _problem_key(observation)
        problem = problems.get(key)
        if problem is None and observation.stopped_at:
            # the check observation this scenario stopped at may come later; make room
            problem = problems[key] = Problem(key, kind, key[0], key[1], "", "", observation.title)
        elif problem is None:
            problem = problems[key] = Problem(
                key,
                kind,
                observation.operation if kind != "scenario" else None,
                observation.check,
                observation.capability,
                observation.level,
                observation.title,
            )
        if observation.stopped_at:
            problem.stopped.append(observation)
        else:
            if not problem.observations:
                problem.capability, problem.level = observation.capability, observation.level
                problem.title = observation.title
            problem.observations.append(observation)
    for problem in problems.values():
        if not problem.capability:  # only stopped scenarios: judge by the first of them
            problem.capability, problem.level = problem.first.capability, problem.first.level
    return sorted(
        problems.values(),
        key=lambda p: (p.level != "required", -len(p.tests), p.key),
    )


# What a curl line says instead of a credential: kept as it is when text is scrubbed.
CREDENTIAL_PLACEHOLDERS = re.compile(
    r'(-u "\$BIGV_USER:\$BIGV_PASSWORD"|-H "Authorization: Bearer \$BIGV_TOKEN"'
    r'|-H "X-Yubikey-Otp: \$BIGV_OTP")'
)


def scrub(text: str | None) -> str:
    """Credentials in any free text (a message, a curl line) replaced once more before it is
    written (defence in depth); a curl line's environment-variable placeholders are kept."""
    parts = CREDENTIAL_PLACEHOLDERS.split(text or "")
    return "".join(
        part if index % 2 else redaction.redact_message(part, [])
        for index, part in enumerate(parts)
    )


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


def write_junit(summary: Summary, path: Any) -> None:
    """One testcase per observation, grouped in a suite per capability; stale deviations of
    the expectations file in a suite of their own (skipped, with the reason to remove them)."""
    root = ElementTree.Element("testsuites", name="bigv-conformance")
    by_capability: dict[str, list[Observation]] = defaultdict(list)
    for observation in summary.observations:
        by_capability[observation.capability].append(observation)
    for capability, observations in sorted(by_capability.items()):
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=f"{capability} ({capability_level(capability)})",
            tests=str(len(observations)),
            failures=str(sum(o.outcome == "failed" for o in observations)),
            skipped=str(sum(o.outcome in ("skipped", "deviation") for o in observations)),
        )
        for o in observations:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"{o.kind}.{o.operation or o.name}",
                name=f"{o.check} [{o.test_id}]",
                time=f"{o.duration:.3f}",
            )
            if o.outcome == "failed":
                failure = ElementTree.SubElement(case, "failure", message=scrub(o.title))
                text = scrub(o.message)
                if o.step:
                    text = f"[step {o.step}] {text}"
                if o.curl:
                    text += f"\n\nReproduce:\n{scrub(o.curl)}"
                failure.text = text
            elif o.outcome == "skipped":
                ElementTree.SubElement(case, "skipped", message=scrub(o.message or o.title))
            elif o.outcome == "deviation":
                ElementTree.SubElement(
                    case, "skipped", message=f"accepted deviation: {o.deviation_reason}"
                )
            elif o.outcome == "noted":  # not a failure: what the target chose, for the log
                noted = ElementTree.SubElement(case, "system-out")
                noted.text = (
                    f"the documentation is silent here ({o.register}); this target chose "
                    f"otherwise than the reference: {scrub(o.title)}\n{scrub(o.message)}"
                )
    if summary.stale_deviations:
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name="expectations (stale deviations)",
            tests=str(len(summary.stale_deviations)),
            failures="0",
            skipped=str(len(summary.stale_deviations)),
        )
        for entry in summary.stale_deviations:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname="expectations",
                name=f"{entry['check']} [{entry.get('operation') or entry.get('test_id')}]",
                time="0.000",
            )
            ElementTree.SubElement(case, "skipped", message=stale_advice(entry))
    if summary.incomplete:  # a failure of its own: a run cut short must not look green
        suite = ElementTree.SubElement(
            root, "testsuite", name="run", tests="1", failures="1", skipped="0"
        )
        case = ElementTree.SubElement(suite, "testcase", classname="run", name="complete")
        failure = ElementTree.SubElement(case, "failure", message=incomplete_line(summary))
        failure.text = "\n".join(
            f"{entry['how']}: {entry['test']}" for entry in summary.incomplete["tests"]
        )
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


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
