"""What each test observed: every check's outcome on every operation, example exchanges and
traffic; shipped to the controlling process in the report's user_properties and gathered there
by `Collector`."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

import spec
from conformance.judging import checks, predictions
from conformance.judging.tiers import STATED, Basis
from conformance.results import coverage, exercised
from conformance.results.observations import Observation
from conformance.results.summary import empty_traffic
from conformance.target import client, redaction, transport

USER_PROPERTY = "bigv"

API = spec.api()
OPERATIONS = spec.operations(API)
CAPABILITY_BY_LABEL = {
    f"{method} {path}": operation["x-capability"] for method, path, operation in OPERATIONS.values()
}
UNREACHABLE = "connection"  # the check name of a test that could not reach the target


class ItemRecorder:
    """Per-check outcomes and example exchanges of the test that is running."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # the lists request bodies draw values from (coverage.value_lists of the target's
        # /definitions), set once the process knows them; shipped with its first report
        self.value_lists: dict[str, list[str]] | None = None
        self.lists_shipped = False
        self.reset(None, "", "")

    def reset(self, test_id: str | None, kind: str, name: str) -> None:
        self.test_id, self.kind, self.name = test_id, kind, name
        self.outcomes: dict[tuple[str, str], dict[str, Any]] = {}
        # failures resting on a register point, one per (operation, check, point)
        self.inferred: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        self.notes: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        self.examples: dict[str, dict[str, Any]] = {}
        self.traffic: dict[str, dict[str, Any]] = {}
        self.tally = coverage.empty_tally()  # what the test exercised of the contract
        self.opened: list[tuple[coverage.Link, dict[str, str]]] = []  # links answers opened
        self.retried_before = transport.retried()
        self.started = time.monotonic()

    def retries(self) -> dict[str, int]:
        """429 and 503 answers retried while this test ran, by status."""
        now = transport.retried()
        return {
            status: count - self.retried_before.get(status, 0)
            for status, count in now.items()
            if count > self.retried_before.get(status, 0)
        }

    def exchange(self, label: str, exchange: client.Exchange, body: Any = None) -> None:
        """Count one response of an operation: its status and how long it took, and what it
        exercised of the contract (`body`: the answer's decoded JSON, when the caller has it
        whole; the exchange keeps a shortened copy)."""
        with self.lock:
            seen = self.traffic.setdefault(label, empty_traffic())
            status = str(exchange.status)
            seen["statuses"][status] = seen["statuses"].get(status, 0) + 1
            seen["count"] += 1
            seen["seconds"] += exchange.elapsed
            seen["max"] = max(seen["max"], exchange.elapsed)
            self._exercised(label, exchange, body)

    def _exercised(self, label: str, exchange: client.Exchange, body: Any) -> None:
        facts = exercised.request_facts(
            label,
            exchange.method,
            exchange.url,
            exchange.request_body,
            exchange.status,
            self.value_lists or {},
        )
        coverage.add_facts(self.tally, label, facts)
        if facts["status"] is None:  # another method than the operation's (a probe)
            return
        parameters = exercised.request_parameters(label, exchange.url)
        for link, values in self.opened:
            if link.target == label and exercised.follows(link, values, parameters):
                self.tally["links"].add(link.id)
        if body is None:
            try:
                body = json.loads(exchange.response_body or "null")
            except ValueError:
                body = None
        self.opened += exercised.link_sources(label, exchange.status, parameters, body)

    def rules(self, *rows: str) -> None:
        """rules.yaml rows the running test derived what it expects of the target from."""
        with self.lock:
            self.tally["rules"].update(rows)

    def coverage_payload(self) -> dict[str, Any]:
        """What this test exercised, for its report (and the value lists, once a process)."""
        payload = {"tally": coverage.as_json(self.tally)}
        if self.value_lists is not None and not self.lists_shipped:
            payload["lists"] = self.value_lists
            self.lists_shipped = True
        return payload

    def check(
        self,
        label: str,
        check: str,
        failure: Any,
        exchange: client.Exchange,
        secrets: list[str],
        basis: Basis = STATED,
    ) -> None:
        """Remember one check's outcome on one response: a failure of a stated point
        outweighs passes; a failure that rests on a register point (an inference, or a
        silent point) counts as a pass of the check and is kept apart, once per point: an
        advisory failure, or a note of what the target chose."""
        with self.lock:
            if failure is not None and basis.basis != "stated":
                entry = basis.entries[0] if basis.entries else None
                kept = self.notes if basis.basis == "silent" else self.inferred
                kept.setdefault((label, check, entry), self._failed(failure, exchange, secrets))
                failure = None
            key = (label, check)
            known = self.outcomes.get(key)
            if failure is None:
                if known is None:
                    self.outcomes[key] = {"failed": False}
                return
            if known is None or not known["failed"]:
                failed = self._failed(failure, exchange, secrets)
                self.outcomes[key] = failed | {"statement": basis.statement}

    @staticmethod
    def _failed(failure: Any, exchange: client.Exchange, secrets: list[str]) -> dict[str, Any]:
        return {
            "failed": True,
            "title": redaction.redact_message(failure.title, secrets),
            "message": redaction.redact_message(failure.message, secrets),
            "exchange": exchange.as_dict(),
        }

    def example(self, label: str, exchange: client.Exchange) -> None:
        """Keep the first successful exchange of each operation, to document it."""
        if 200 <= exchange.status < 300:
            with self.lock:
                self.examples.setdefault(label, exchange.as_dict())

    def observations(self, capability: str | None, level_of: Any) -> list[dict[str, Any]]:
        found = []
        for (label, check), outcome in sorted(self.outcomes.items()):
            found.append(self._observation(label, check, outcome, capability, level_of))
        for kept, basis, result in (
            (self.inferred, "inferred", "failed"),
            (self.notes, "silent", "noted"),
        ):
            for (label, check, entry), failed in sorted(
                kept.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or "")
            ):
                weighed = failed | {"basis": basis, "register": entry}
                found.append(self._observation(label, check, weighed, capability, level_of, result))
        return found

    def _observation(
        self, label, check, outcome, capability, level_of, result: str | None = None
    ) -> dict[str, Any]:
        operation_capability = CAPABILITY_BY_LABEL.get(label)
        capability_name = checks.capability_of(check, operation_capability) or capability
        basis = outcome.get("basis", "stated")
        level = "advisory" if basis == "inferred" else level_of(capability_name)
        statement = outcome.get("statement")
        if outcome["failed"] and basis == "stated" and statement is None:
            basis, level = "inferred", "advisory"  # required only by a statement
        return Observation(
            test_id=f"{self.test_id}:{label}:{check}",
            kind=self.kind,
            name=self.name,
            check=check,
            capability=capability_name,
            level=level,
            operation=label,
            outcome=result or ("failed" if outcome["failed"] else "passed"),
            title=outcome.get("title", ""),
            message=outcome.get("message", ""),
            exchange=outcome.get("exchange"),
            basis=basis,
            register=outcome.get("register"),
            statement=statement if basis == "stated" else None,
        ).to_dict()


RECORDER = ItemRecorder()


predictions.listen(RECORDER.rules)  # the rows of rules.yaml a prediction came from


class Collector:
    """Gathers the observations and examples of every test (in the controlling process)."""

    def __init__(self) -> None:
        self.observations: list[Observation] = []
        self.examples: dict[str, dict[str, Any]] = {}
        self.traffic: dict[str, dict[str, Any]] = {}
        self.retries: dict[str, int] = {}
        self.tally = coverage.empty_tally()  # what every test exercised of the contract
        self.value_lists: dict[str, list[str]] = {}
        self.errors: list[str] = []
        self.interrupted = False
        self.collected: dict[str, None] = {}  # node ids, in order
        self.finished: set[str] = set()
        self.not_run: list[dict[str, str]] = []  # {"test", "how"}: stopped or not started

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        self.interrupted = True

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected.update(dict.fromkeys(item.nodeid for item in session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Under pytest-xdist each worker tells what it collected (every test)."""
        self.collected.update(dict.fromkeys(ids))

    def unfinished(self) -> list[str]:
        """The tests collected that never reported an end (a run interrupted)."""
        return [nodeid for nodeid in self.collected if nodeid not in self.finished]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            lines = report.longreprtext.strip().splitlines()
            first = next((line[1:].strip() for line in lines if line.startswith("E ")), lines[-1])
            self.errors.append(f"{report.nodeid}: {first}")

    def pytest_internalerror(self, excrepr: Any) -> None:
        self.errors.append(str(excrepr).strip().splitlines()[-1])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if (
            report.when == "teardown"
            or report.skipped
            or (report.failed and report.when == "setup")
        ):
            self.finished.add(report.nodeid)
        for name, value in report.user_properties:
            if name != USER_PROPERTY:
                continue
            payload = json.loads(value)
            if payload.get("not_run"):
                self.not_run.append(payload["not_run"])
            self.observations += [Observation.from_dict(o) for o in payload["observations"]]
            for label, exchange in payload["examples"].items():
                self.examples.setdefault(label, exchange)
            exercised = payload.get("coverage", {})
            coverage.merge(self.tally, exercised.get("tally", {}))
            for list_id, values in exercised.get("lists", {}).items():
                self.value_lists.setdefault(list_id, values)
            for status, count in payload.get("retries", {}).items():
                self.retries[status] = self.retries.get(status, 0) + count
            for label, seen in payload.get("traffic", {}).items():
                total = self.traffic.setdefault(label, empty_traffic())
                for status, count in seen["statuses"].items():
                    total["statuses"][status] = total["statuses"].get(status, 0) + count
                total["count"] += seen["count"]
                total["seconds"] += seen["seconds"]
                total["max"] = max(total["max"], seen["max"])
