"""Known deviations of a target (`--expectations FILE`): failures accepted, each with a reason.

The file is TOML, one `[[deviation]]` table per accepted failure:

    [[deviation]]
    operation = "GET /accounts/{account}/groups/{group}/virtual_machines/{virtual_machine}"
    check = "vm_hostname_derivation"
    reason = "uk0 still answers the pre-2014 hostname form (ticket OPS-123)"

    [[deviation]]
    test_id = "c4d1a8e2-hostname-derived"   # a scenario, all of its parameters
    check = "scenario"
    reason = "same cause as above"

`check` and `reason` are required, and `operation` (as the report writes it, `METHOD /path`
of the spec), `test_id` (a scenario's stable id, as the report shows it) or both. A failed
observation that matches an entry becomes a *deviation* with the entry's reason; a scenario
that stopped at a response whose failed check became a deviation becomes one too. An entry
that matched no failure is *stale* and is reported (HTML, summary.json, junit.xml, terminal):
"passes" when the check now passes there, "not run" when nothing in the run matched it.
Stale entries do not change the exit code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spec
from conformance.results.observations import Observation
from conformance.results.summary import Summary

KEYS = ("operation", "test_id", "check", "reason")
RUN_CHECKS = ("scenario", "execution")  # checks the suite records besides response checks


class ExpectationsError(Exception):
    """The expectations file cannot be used; the message is one line."""


@dataclass(frozen=True)
class Deviation:
    """One accepted failure: a check on an operation, or in a scenario, and why."""

    check: str
    reason: str
    operation: str | None = None
    test_id: str | None = None

    def matches(self, observation: Observation) -> bool:
        if observation.check != self.check:
            return False
        if self.operation is not None and observation.operation != self.operation:
            return False
        if self.test_id is not None:
            test = observation.base_test_id
            if test != self.test_id and not test.startswith(self.test_id + "["):
                return False
        return True

    # plain data out, alike the register's to_dict in shape only
    def describe(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "test_id": self.test_id,
            "check": self.check,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Expectations:
    """The accepted deviations of one file."""

    path: Path
    deviations: tuple[Deviation, ...]


def known_operations() -> set[str]:
    """Every operation label (`METHOD /path`) of the two spec documents."""
    labels = set()
    for document in (spec.api(), spec.auth()):
        for method, path, _ in spec.operations(document).values():
            labels.add(f"{method} {path}")
    return labels


def known_checks() -> set[str]:
    """Every check a run can record: schemathesis' and the suite's, plus scenario/execution."""
    from schemathesis.checks import CHECKS, load_all_checks

    from conformance.judging import checks

    load_all_checks()
    return {*CHECKS.get_all_names(), *checks.CAPABILITIES, *RUN_CHECKS}


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def load(path: Path | str) -> Expectations:
    """Read and check an expectations file (ExpectationsError, one line, if it is wrong)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ExpectationsError(f"expectations file not found: {path}") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ExpectationsError(
            f"expectations file {path} cannot be read: {_one_line(error)}"
        ) from None
    unknown = sorted(set(data) - {"deviation"})
    if unknown:
        raise ExpectationsError(
            f"expectations file {path}: unknown key {unknown[0]!r} (write [[deviation]] tables)"
        )
    entries = data.get("deviation", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ExpectationsError(f"expectations file {path}: write each entry as [[deviation]]")
    operations, checks = known_operations(), known_checks()
    deviations: list[Deviation] = []
    for number, entry in enumerate(entries, start=1):
        where = f"expectations file {path}: deviation {number}"
        deviation = _entry(entry, where, operations, checks)
        key = (deviation.operation, deviation.test_id, deviation.check)
        if any((d.operation, d.test_id, d.check) == key for d in deviations):
            raise ExpectationsError(f"{where}: listed twice")
        deviations.append(deviation)
    return Expectations(path, tuple(deviations))


def _entry(entry: dict[str, Any], where: str, operations: set[str], checks: set[str]) -> Deviation:
    unknown = sorted(set(entry) - set(KEYS))
    if unknown:
        raise ExpectationsError(f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(KEYS)})")
    for key in KEYS:
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            raise ExpectationsError(f"{where}: {key} must be a non-empty string")
    for key in ("check", "reason"):
        if key not in entry:
            raise ExpectationsError(f"{where}: {key} is missing")
    if "operation" not in entry and "test_id" not in entry:
        raise ExpectationsError(f"{where}: give the operation, the test_id, or both")
    operation = entry.get("operation")
    if operation is not None:
        operation = " ".join(operation.split())
        method, _, path = operation.partition(" ")
        operation = f"{method.upper()} {path}"
        if operation not in operations:
            raise ExpectationsError(
                f"{where}: unknown operation {entry['operation']!r} "
                "(write METHOD /path as in the spec, e.g. 'GET /accounts/{account}')"
            )
    if entry["check"] not in checks:
        raise ExpectationsError(f"{where}: unknown check {entry['check']!r}")
    return Deviation(
        check=entry["check"],
        reason=" ".join(entry["reason"].split()),
        operation=operation,
        test_id=entry.get("test_id"),
    )


def apply(summary: Summary, expectations: Expectations) -> None:
    """Turn the failures the file accepts into deviations; record its stale entries."""
    deviations = expectations.deviations
    accepted = [0] * len(deviations)
    passing = [0] * len(deviations)
    for observation in summary.observations:
        matching = [i for i, d in enumerate(deviations) if d.matches(observation)]
        if not matching:
            continue
        if observation.outcome == "failed":
            observation.outcome = "deviation"
            observation.deviation_reason = deviations[matching[0]].reason
            for i in matching:
                accepted[i] += 1
        elif observation.outcome == "passed":
            for i in matching:
                passing[i] += 1
    _scenarios_stopped_at_deviations(summary.observations)
    summary.expectations = {"file": str(expectations.path), "entries": len(deviations)}
    summary.stale_deviations = [
        {
            **deviation.describe(),
            "status": "passes" if passing[i] else "not run",
            "passed": passing[i],
        }
        for i, deviation in enumerate(deviations)
        if not accepted[i]
    ]


def _scenarios_stopped_at_deviations(observations: list[Observation]) -> None:
    """A scenario stopped by a response whose failed check is an accepted deviation cannot
    be judged beyond it: it becomes a deviation too, with the reason it stopped."""
    reasons = {
        (o.operation, o.check, o.base_test_id): o.deviation_reason
        for o in observations
        if o.outcome == "deviation" and o.operation
    }
    for observation in observations:
        if observation.outcome != "failed" or not observation.stopped_at:
            continue
        key = (
            observation.stopped_at["operation"],
            observation.stopped_at["check"],
            observation.test_id,
        )
        if key in reasons:
            observation.outcome = "deviation"
            observation.deviation_reason = (
                f"stopped at the accepted deviation {key[1]} on {key[0]}: {reasons[key]}"
            )
