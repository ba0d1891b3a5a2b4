"""The one verdict engine: every response a scenario receives is judged by the spec's
operation through the same checks the property runs use, and its outcome recorded.

Every failure is weighed by what it rests on (`classify`): a statement of the documentation
(spec/statements.yaml) that states the rule for that case makes it required at its
capability's level; one that breaks only an inference is an advisory finding, and one that
breaks only a choice where the record is silent is noted ("this target chose X"). A scenario
expectation names its statement (`expect(..., by=id)`) or the register point it rests on
(`rests_on=id`); one that names neither is an inference, advisory at most.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from schemathesis.core.failures import Failure, FailureGroup

from conformance.judging import checks, register, statements
from conformance.judging.classify import classify
from conformance.judging.tiers import STATED, Basis

_STEP: contextvars.ContextVar[str | None] = contextvars.ContextVar("step", default=None)


class ConformanceFailure(AssertionError):
    """A target broke the contract: a titled failure with what was expected and seen."""

    def __init__(
        self,
        title: str,
        message: str,
        *,
        check: str = "scenario",
        capability: str | None = None,
        exchange: dict[str, Any] | None = None,
        operation: str | None = None,
        statement: str | None = None,
    ) -> None:
        self.title = title
        self.message = message
        self.statement = statement  # what makes it required (spec/statements.yaml)
        self.check = check
        self.operation = operation
        self.capability = capability
        self.exchange = exchange
        self.step = _STEP.get()
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f"[step {self.step}] " if self.step else ""
        text = f"{where}{self.title}\n{self.message}"
        if self.exchange:
            text += f"\nReproduce:\n{self.exchange['curl']}"
        return text


@contextmanager
def step(text: str) -> Iterator[None]:
    """Mark the numbered step of a scenario that the enclosed calls belong to."""
    token = _STEP.set(text)
    try:
        yield
    finally:
        _STEP.reset(token)


def current_step() -> str | None:
    return _STEP.get()


@dataclass(frozen=True)
class Finding:
    """A scenario's expectation that no statement makes required and did not hold: what
    this target does instead of what the spec chose (`entry`: the register point it rests
    on; None: an inference no one listed, advisory)."""

    entry: str | None
    title: str
    message: str
    step: str | None = None
    exchange: dict[str, Any] | None = None

    @property
    def basis(self) -> str:
        basis = register.basis(self.entry)
        return "inferred" if basis == "stated" else basis


FINDINGS: list[Finding] = []  # of the test that is running (the plugin clears it)


class PointTaken(Exception):
    """A scenario cannot go on past a point where this target took another side than the
    spec's choice (inferred or silent); the finding is recorded, the scenario ends there."""


def expect(
    condition: bool,
    title: str,
    message: str,
    *,
    by: str | None = None,
    rests_on: str | None = None,
    stop: bool = True,
    **details: Any,
) -> bool:
    """Unless `condition` holds: fail the scenario with a titled message when a statement
    of the documentation (`by`) states the rule, and no register point it rests on
    (`rests_on`) makes it an inference or a silent choice; otherwise record a finding
    (advisory for an inference, noted where the point is silent) and end the scenario,
    unless `stop` is false. True when the condition holds."""
    if condition:
        return True
    if by is not None:
        statements.statement(by)  # a KeyError for an unknown id: a bug of the suite
    if rests_on is not None:
        register.entry(rests_on)  # likewise
    if by is not None and register.basis(rests_on) == "stated":
        raise ConformanceFailure(title, message, statement=by, **details)
    FINDINGS.append(Finding(rests_on, title, message, _STEP.get(), details.get("exchange")))
    if stop:
        raise PointTaken(title)
    return False


def note(entry: str, title: str, message: str, exchange: dict[str, Any] | None = None) -> None:
    """Record that this target took another side of a register entry than the spec chose
    (never a failure of a stated point)."""
    expect(False, title, message, rests_on=entry, stop=False, exchange=exchange)


@dataclass
class CheckOutcome:
    """The outcome of one check on one response, and the basis of its failure."""

    check: str
    passed: bool
    failure: Failure | None = None
    basis: Basis = STATED


@dataclass
class Judgement:
    """Every check's outcome on one response."""

    outcomes: list[CheckOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[CheckOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.passed]

    @property
    def broken(self) -> list[CheckOutcome]:
        """The failures that break what the documentation states."""
        return [outcome for outcome in self.failures if outcome.basis.basis == "stated"]


def judge(case: Any, response: Any) -> Judgement:
    """Run every response check on `response` to `case`; collect each check's outcome."""
    judgement = Judgement()
    for check in checks.response_checks():
        name = check.__name__
        try:
            case.validate_response(response, checks=[check])
        except FailureGroup as group:
            failure = next(iter(group.exceptions), None)
            basis = classify(name, case, response, failure)
            judgement.outcomes.append(CheckOutcome(name, False, failure, basis))
        except Failure as failure:
            basis = classify(name, case, response, failure)
            judgement.outcomes.append(CheckOutcome(name, False, failure, basis))
        else:
            judgement.outcomes.append(CheckOutcome(name, True))
    return judgement


_WEIGHED: dict[int, Basis] = {}  # id(failure) -> its basis, as the after_validate hook found


def weigh(check: str, case: Any, response: Any, failure: Any) -> Basis:
    """The basis of a failure of a generated case, remembered for `validate_generated`."""
    basis = classify(check, case, response, failure)
    if len(_WEIGHED) > 10_000:
        _WEIGHED.clear()
    _WEIGHED[id(failure)] = basis
    return basis


def validate_generated(case: Any, response: Any, **kwargs: Any) -> None:
    """schemathesis' validate_response for a generated case, raising only the failures that
    break what the documentation states. One that breaks an inference or a silent point is
    recorded (by the after_validate hook) but does not end the test: Hypothesis goes on
    exploring, so a target that reads an inference otherwise is still searched for what
    breaks the documentation."""
    try:
        case.validate_response(response, **kwargs)
    except FailureGroup as group:
        kept = [
            failure
            for failure in group.exceptions
            if _WEIGHED.get(id(failure), STATED).basis == "stated"
        ]
        if kept:
            raise FailureGroup(kept, group.message) from None
