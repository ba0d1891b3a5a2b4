"""The one verdict engine: every response a scenario receives is judged by the spec's
operation through the same checks the property runs use, and its outcome recorded.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from schemathesis.core.failures import Failure, FailureGroup

from conformance import checks

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
    ) -> None:
        self.title = title
        self.message = message
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


def expect(condition: bool, title: str, message: str, **details: Any) -> None:
    """Fail the scenario with a titled message unless `condition` holds."""
    if not condition:
        raise ConformanceFailure(title, message, **details)


@dataclass
class CheckOutcome:
    """The outcome of one check on one response."""

    check: str
    passed: bool
    failure: Failure | None = None


@dataclass
class Judgement:
    """Every check's outcome on one response."""

    outcomes: list[CheckOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[CheckOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.passed]


def judge(case: Any, response: Any) -> Judgement:
    """Run every response check on `response` to `case`; collect each check's outcome."""
    judgement = Judgement()
    for check in checks.response_checks():
        try:
            case.validate_response(response, checks=[check])
        except FailureGroup as group:
            failure = next(iter(group.exceptions), None)
            judgement.outcomes.append(CheckOutcome(check.__name__, False, failure))
        except Failure as failure:
            judgement.outcomes.append(CheckOutcome(check.__name__, False, failure))
        else:
            judgement.outcomes.append(CheckOutcome(check.__name__, True))
    return judgement
