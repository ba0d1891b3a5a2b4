"""What a run observed: one observation per verdict of one check (or one scenario) on one
operation, and the problems they group into. Pure data and pure functions; the pytest plugin
produces observations and the report writers read them.

Every failure of one check on one operation is one problem (one documented rule broken), and a
scenario that stopped because a response failed a check belongs to the problem of that check
rather than standing alone. The HTML report, the terminal summary and `summary.json` show
problems first and observations on demand.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import spec
from conformance.judging import statements
from conformance.target import redaction

# noted: a check or expectation that rests on a point where the record is silent, and where
# this target chose otherwise than the spec (never a failure)
OUTCOMES = ("passed", "failed", "skipped", "deviation", "noted")
BASES = ("stated", "inferred", "silent")


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
