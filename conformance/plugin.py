"""The pytest plugin of the suite: the run's context, safety, and observations of every test.

Loaded in every pytest process of a run (`-p conformance.plugin`, xdist workers included).
Each test's observations travel to the controlling process in its report's user_properties,
where `Collector` (created by the runner) gathers them.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import secrets
import signal
import string
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import strategies as st

import spec
from conformance import checks, client, context, redaction, safety, transport
from conformance.api import Api
from conformance.results import Observation, capability_level
from conformance.scenario import Machines
from conformance.sweep import SweepError, sweep
from conformance.target import Target

log = logging.getLogger("conformance.cleanup")

TARGET_VARIABLE = "BIGV_CONFORMANCE_TARGET"
PREFIX_VARIABLE = "BIGV_RUN_PREFIX"
USER_PROPERTY = "bigv"

API = spec.api()
OPERATIONS = spec.operations(API)
CAPABILITY_BY_LABEL = {
    f"{method} {path}": operation["x-capability"] for method, path, operation in OPERATIONS.values()
}
ID_BY_LABEL = {f"{method} {path}": op_id for op_id, (method, path, _) in OPERATIONS.items()}


def new_prefix() -> str:
    """A short run prefix that is a valid start of a DNS label."""
    alphabet = string.ascii_lowercase + string.digits
    return "bvc" + "".join(secrets.choice(alphabet) for _ in range(5))


# -- what the current test observed (one test at a time per process) ----------------------


class ItemRecorder:
    """Per-check outcomes and example exchanges of the test that is running."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset(None, "", "")

    def reset(self, test_id: str | None, kind: str, name: str) -> None:
        self.test_id, self.kind, self.name = test_id, kind, name
        self.outcomes: dict[tuple[str, str], dict[str, Any]] = {}
        self.examples: dict[str, dict[str, Any]] = {}
        self.traffic: dict[str, dict[str, Any]] = {}
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

    def exchange(self, label: str, exchange: client.Exchange) -> None:
        """Count one response of an operation: its status and how long it took."""
        with self.lock:
            seen = self.traffic.setdefault(
                label, {"statuses": {}, "count": 0, "seconds": 0.0, "max": 0.0}
            )
            status = str(exchange.status)
            seen["statuses"][status] = seen["statuses"].get(status, 0) + 1
            seen["count"] += 1
            seen["seconds"] += exchange.elapsed
            seen["max"] = max(seen["max"], exchange.elapsed)

    def check(
        self, label: str, check: str, failure: Any, exchange: client.Exchange, secrets: list[str]
    ) -> None:
        """Remember one check's outcome on one response (a failure outweighs passes)."""
        with self.lock:
            key = (label, check)
            known = self.outcomes.get(key)
            if failure is None:
                if known is None:
                    self.outcomes[key] = {"failed": False}
                return
            if known is None or not known["failed"]:
                self.outcomes[key] = {
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
            operation_capability = CAPABILITY_BY_LABEL.get(label)
            capability_name = checks.capability_of(check, operation_capability) or capability
            found.append(
                Observation(
                    test_id=f"{self.test_id}:{label}:{check}",
                    kind=self.kind,
                    name=self.name,
                    check=check,
                    capability=capability_name,
                    level=level_of(capability_name),
                    operation=label,
                    outcome="failed" if outcome["failed"] else "passed",
                    title=outcome.get("title", ""),
                    message=outcome.get("message", ""),
                    exchange=outcome.get("exchange"),
                ).to_dict()
            )
        return found


RECORDER = ItemRecorder()


# -- the run's context ---------------------------------------------------------------------


def _created(reply: Any) -> dict[str, Any] | None:
    """The object a create answered, if it answered one (any 2xx with an id)."""
    body = reply.json
    if 200 <= reply.status < 300 and isinstance(body, dict) and "id" in body:
        return body
    return None


class Pool:
    """Objects that generated requests address: a machine per operation, and its disc and
    network interface; a spare group for deleteGroup. Created on first use; only read (never
    created) under the read-only profile."""

    def __init__(
        self, api: Api, ledger: safety.Ledger, names: safety.Names, budget: safety.Budget
    ) -> None:
        self.api, self.ledger, self.names, self.budget = api, ledger, names, budget
        self.read_only = api.run.target.profile == "read-only"
        self.machines: dict[str, str] = {}
        self.groups: dict[str, str] = {}
        self.lock = threading.RLock()

    def _existing_machine(self) -> str:
        reply = self.api.call("listVirtualMachines")
        machines = reply.json if reply.status == 200 and isinstance(reply.json, list) else []
        return str(machines[0]["id"]) if machines else f"{self.names.prefix}-none"

    def machine_for(self, label: str) -> str:
        with self.lock:
            if label not in self.machines:
                if self.read_only:
                    self.machines[label] = self._existing_machine()
                    return self.machines[label]
                if self.machines and not self.budget.room(2):
                    # under --max-vms, operations share machines; one stays free for scenarios
                    self.machines[label] = next(iter(self.machines.values()))
                    return self.machines[label]
                reply = self.api.call("createVirtualMachine", body={"name": self.names.fresh("m")})
                made = _created(reply)
                if made is None:
                    # the tests of this operation will meet 404s; the scenarios say why
                    self.machines[label] = f"{self.names.prefix}-none"
                    return self.machines[label]
                self.ledger.add("virtual_machine", made["id"], name=made.get("name"))
                self.budget.created()
                self.machines[label] = str(made["id"])
            return self.machines[label]

    def group_for(self, label: str) -> str:
        with self.lock:
            if label not in self.groups:
                name = self.names.fresh("g")
                reply = self.api.call("createGroup", body={"name": name})
                made = _created(reply)
                if made is None:
                    self.groups[label] = f"{self.names.prefix}-none"
                    return self.groups[label]
                self.ledger.add("group", made["id"], name=name)
                self.groups[label] = str(made["id"])
            return self.groups[label]

    def _first(self, operation_id: str, machine: str, fallback: str) -> str:
        reply = self.api.call(operation_id, path={"virtual_machine": machine})
        items = reply.json if reply.status == 200 and isinstance(reply.json, list) else []
        return str(items[0]["id"]) if items and "id" in items[0] else fallback

    def objects_for(self, operation_id: str, path: str) -> dict[str, Any]:
        """Fixed path parameters of one operation for the property runs."""
        fixed: dict[str, Any] = {}
        if "{virtual_machine}" in path:
            fixed["virtual_machine"] = self.machine_for(operation_id)
        if "{disc}" in path:
            if not self.read_only:
                self.api.call(
                    "createDisc",
                    path={"virtual_machine": fixed["virtual_machine"]},
                    body={"label": self.names.fresh("d"), "size": 20480},
                )
            fixed["disc"] = self._first("listDiscs", fixed["virtual_machine"], "1")
        if "{network_interface}" in path:
            fixed["network_interface"] = int(
                self._first("listNetworkInterfaces", fixed["virtual_machine"], "1")
            )
        if operation_id == "deleteGroup" and not self.read_only:
            fixed["group"] = self.group_for(operation_id)
        return fixed


def _probe(target: Target, credentials: client.Credentials, session: requests.Session) -> dict:
    """Names and ids of the target's account and group, and its definitions."""
    found: dict[str, Any] = {"account_name": target.account, "group_name": target.group}
    base = target.url
    headers = credentials.headers()
    account = session.get(f"{base}/accounts/{target.account}", headers=headers, timeout=30)
    if account.status_code == 200 and isinstance(client.json_or_none(account), dict):
        found["account_name"] = account.json().get("name", target.account)
    group = session.get(
        f"{base}/accounts/{target.account}/groups/{target.group}",
        headers=credentials.headers(),
        timeout=30,
    )
    body = client.json_or_none(group)
    found["group_id"] = (
        body.get("id") if group.status_code == 200 and isinstance(body, dict) else None
    )
    if isinstance(body, dict) and body.get("name"):
        found["group_name"] = body["name"]
    definitions = session.get(f"{base}/definitions", timeout=30)
    table = client.json_or_none(definitions)
    if definitions.status_code == 200 and isinstance(table, list):
        found["definitions"] = {
            entry["id"]: entry["data"]
            for entry in table
            if isinstance(entry, dict) and "id" in entry
        }
    else:
        found["definitions"] = spec.definitions_table(API)
    return found


def register_definition_formats(definitions: dict[str, Any]) -> None:
    """Generate `bigv-*` formatted strings from the target's own definitions."""
    for format_name, section in API["x-definition-formats"].items():
        values = definitions.get(section) or spec.definitions_table(API)[section]
        if format_name == "bigv-sendkeys":
            keys = [key for key in values if "-" not in key]
            strategy = st.lists(st.sampled_from(keys), min_size=1, max_size=3).map("-".join)
        else:
            strategy = st.sampled_from(list(values))
        schemathesis.openapi.format(format_name, strategy)


def target_from_environment() -> Target:
    text = os.environ.get(TARGET_VARIABLE)
    if not text:
        raise pytest.UsageError(
            f"{TARGET_VARIABLE} is not set: run the suite with `bigv-conformance run`"
        )
    return Target.from_json(text)


class RunState:
    """The process-wide state of a run: context, api, ledger, pool."""

    def __init__(self, schema: Any) -> None:
        target = target_from_environment()
        credentials = client.Credentials(target)
        session = client.new_session(target)
        facts = _probe(target, credentials, session)
        self.run = context.RunContext(
            target=target,
            credentials=credentials,
            session=session,
            account_name=facts["account_name"],
            group_name=facts["group_name"],
            group_id=facts["group_id"],
            definitions=facts["definitions"],
        )
        context.set_current(self.run)
        register_definition_formats(self.run.definitions)
        report_dir = Path(target.report_dir)
        report_dir.mkdir(parents=True, exist_ok=True)
        self.prefix = os.environ.get(PREFIX_VARIABLE) or new_prefix()
        self.ledger = safety.Ledger(report_dir / "ledger.jsonl")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "").removeprefix("gw")
        self.names = safety.Names(self.prefix, worker)
        self.api = Api(self.run, schema, recorder=_record_scenario_call)
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        cap = max(1, target.max_vms // workers) if target.max_vms else None
        self.budget = safety.Budget(cap)
        self.housekeeping = Api(self.run, schema, strict=False)
        self.pool = Pool(self.housekeeping, self.ledger, self.names, self.budget)
        self.generated: collections.deque = collections.deque()  # machines made by generation

    def make_room(self) -> None:
        """Purge machines made by generated requests, oldest first, until one more fits."""
        machines = Machines(self.housekeeping, self.names, self.budget)
        while self.generated and not self.budget.room(1):
            machines.created.append(
                (self.run.target.account, self.run.target.group, self.generated.popleft())
            )
            machines.purge_all()

    def cleanup(self) -> None:
        """Purge every machine and delete every group the run created."""
        machines = Machines(self.housekeeping, self.names)
        for identifier in sorted(self.ledger.machines, key=str):
            if identifier.isdigit():
                machines.created.append(
                    (self.run.target.account, self.run.target.group, identifier)
                )
        machines.purge_all()
        if self.run.target.profile != "read-only":
            # machines moved to other groups, groups made, anything named by this process
            with contextlib.suppress(SweepError):
                sweep(self.run.target, self.names.process_prefix, dry_run=False, say=log.info)


_STATE: list[RunState] = []


def _polite_probes() -> None:
    """Schemathesis sends its probes (e.g. the request without credentials of ignored_auth)
    on a session of its own, past the run's rate limit and 429/503 retries. Give each probe a
    fresh polite session instead: fresh, so that no cookie or credential of the run rides
    along."""
    from schemathesis.transport.requests import REQUESTS_TRANSPORT

    if getattr(REQUESTS_TRANSPORT, "bigv_polite", False):
        return
    original = REQUESTS_TRANSPORT.send

    def send(case: Any, *, session: Any = None, **kwargs: Any) -> Any:
        if session is None and _STATE:
            session = client.new_session(_STATE[0].run.target)
        return original(case, session=session, **kwargs)

    REQUESTS_TRANSPORT.send = send  # type: ignore[method-assign]
    REQUESTS_TRANSPORT.bigv_polite = True  # type: ignore[attr-defined]


def state() -> RunState:
    if not _STATE:
        from conformance.suite_schema import base_schema

        _STATE.append(RunState(base_schema()))
        _polite_probes()
    return _STATE[0]


def _record_scenario_call(
    operation_id: str, label: str, exchange: client.Exchange, judgement
) -> None:
    RECORDER.exchange(label, exchange)
    secrets = state().run.credentials.secrets
    for outcome in judgement.outcomes:
        RECORDER.check(label, outcome.check, outcome.failure, exchange, secrets)
    RECORDER.example(label, exchange)


# -- schemathesis hooks: safety and observation of generated requests ------------------------


def _pin(case: Any) -> None:
    current = state()
    safety.pin(
        case,
        case.operation.definition.raw.get("operationId"),
        account=current.run.target.account,
        group=current.run.target.group,
        group_id=current.run.group_id,
        ledger=current.ledger,
        names=current.names,
        machine_for=current.pool.machine_for,
        group_for=current.pool.group_for,
    )


@schemathesis.hook
def map_case(context_: Any, case: Any) -> Any:
    """Pin each generated case as it is made, so that its checks judge what is sent."""
    if safety.pinning():
        _pin(case)
    return case


@schemathesis.hook
def before_call(context_: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Pin again just before sending: link values (stateful runs) arrive after generation.
    Under --max-vms, make room for a generated create by purging older generated machines."""
    if not safety.pinning():
        return
    _pin(case)
    current = state()
    if case.operation.definition.raw.get("operationId") in safety.CREATES_MACHINE:
        current.make_room()


@schemathesis.hook
def after_call(context_: Any, case: Any, response: Any) -> None:
    current = state()
    operation_id = case.operation.definition.raw.get("operationId")
    body = client.json_or_none(response)
    if operation_id in safety.CREATES_MACHINE and response.status_code == 202:
        machine = (
            body.get("virtual_machine")
            if operation_id == "createVirtualMachineSpec" and isinstance(body, dict)
            else body
        )
        if isinstance(machine, dict) and "id" in machine:
            current.ledger.add("virtual_machine", machine["id"], name=machine.get("name"))
            if safety.pinning():
                current.budget.created()
                current.generated.append(machine["id"])
    if operation_id == "createGroup" and response.status_code == 201 and isinstance(body, dict):
        current.ledger.add("group", body.get("id"), name=body.get("name"))
    exchange = client.record(response, current.run.credentials.secrets)
    RECORDER.example(case.operation.label, exchange)
    if safety.pinning():
        RECORDER.exchange(case.operation.label, exchange)


@schemathesis.hook
def after_validate(context_: Any, case: Any, response: Any, results: list) -> None:
    if RECORDER.kind == "scenario":
        return
    secrets = state().run.credentials.secrets
    exchange = client.record(response, secrets)
    for result in results:
        RECORDER.check(case.operation.label, result.name, result.failure, exchange, secrets)


# -- pytest hooks ------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bigv_scenario(test_id, capability): a lifecycle scenario of the suite"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under the read-only profile, scenarios that create machines are skipped, saying so."""
    if not os.environ.get(TARGET_VARIABLE) or target_from_environment().profile != "read-only":
        return
    skip = pytest.mark.skip(reason="the read-only profile sends only GET requests")
    for item in items:
        marker = item.get_closest_marker("bigv_scenario")
        if marker is not None and marker.kwargs.get("writes", True):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def bigv() -> RunState:
    """The run: its context, api, ledger and pool."""
    return state()


@pytest.fixture
def machines(bigv: RunState):
    """Machines a scenario creates; purged when it ends, pass or fail."""
    made = Machines(bigv.api, bigv.names, bigv.budget)
    yield made
    made.purge_all()


def _kind(item: pytest.Item) -> tuple[str, str, str | None]:
    marker = item.get_closest_marker("bigv_scenario")
    if marker is not None:
        test_id = marker.kwargs["test_id"]
        if hasattr(item, "callspec"):
            test_id += f"[{item.callspec.id}]"
        return "scenario", test_id, marker.kwargs["capability"]
    if "stateful" in item.nodeid.lower():
        return "stateful", "stateful", None
    return "property", "property", None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any):
    kind, test_id, _ = _kind(item)
    RECORDER.reset(f"{test_id}" if kind == "scenario" else f"{kind}:{item.name}", kind, item.name)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" and not (report.failed or report.skipped):
        return
    if report.when == "setup" and report.passed:
        return
    kind, test_id, capability = _kind(item)
    observations = RECORDER.observations(capability, capability_level)
    if kind == "scenario":
        observations.append(_scenario_observation(item, report, call, test_id, capability))
    elif report.failed and not any(o["outcome"] == "failed" for o in observations):
        observations.append(_error_observation(item, report, call, kind))
    elif report.skipped:
        observations.append(_error_observation(item, report, call, kind, outcome="skipped"))
    payload = {
        "observations": observations,
        "examples": RECORDER.examples,
        "traffic": RECORDER.traffic,
        "retries": RECORDER.retries(),
    }
    report.user_properties.append((USER_PROPERTY, json.dumps(payload)))


def _failure_details(call: pytest.CallInfo) -> dict[str, Any]:
    error = call.excinfo.value if call.excinfo else None
    if error is None:
        return {}
    secrets = state().run.credentials.secrets if _STATE else []
    if hasattr(error, "title") and hasattr(error, "message"):
        return {
            "title": redaction.redact_message(error.title, secrets),
            "message": redaction.redact_message(error.message, secrets),
            "step": getattr(error, "step", None),
            "exchange": getattr(error, "exchange", None),
            "check": getattr(error, "check", "scenario"),
            "operation": getattr(error, "operation", None),
        }
    text = redaction.redact_message(str(error).strip() or type(error).__name__, secrets)
    return {"title": text.splitlines()[0][:200], "message": text}


def _scenario_observation(item, report, call, test_id: str, capability: str) -> dict[str, Any]:
    details = _failure_details(call) if report.failed else {}
    if report.skipped:
        details = {"title": "skipped", "message": str(call.excinfo.value) if call.excinfo else ""}
    return Observation(
        test_id=test_id,
        kind="scenario",
        name=item.name,
        check=UNREACHABLE if report.failed and _unreachable(call) else "scenario",
        capability=capability,
        level=capability_level(capability),
        operation=None,
        outcome="failed" if report.failed else "skipped" if report.skipped else "passed",
        title=details.get("title") or (item.function.__doc__ or item.name).strip().splitlines()[0],
        message=details.get("message", ""),
        step=details.get("step"),
        exchange=details.get("exchange"),
        duration=report.duration,
        stopped_at=(
            {"operation": details["operation"], "check": details["check"]}
            if details.get("operation") and details.get("check", "scenario") != "scenario"
            else None
        ),
    ).to_dict()


UNREACHABLE = "connection"  # the check name of a test that could not reach the target


def _unreachable(call: pytest.CallInfo) -> bool:
    error = call.excinfo.value if call.excinfo else None
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, requests.ConnectionError | ConnectionError):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _error_observation(item, report, call, kind: str, outcome: str = "failed") -> dict[str, Any]:
    details = _failure_details(call)
    label = getattr(item, "operation_label", None) or _label_of(item)
    capability = CAPABILITY_BY_LABEL.get(label or "", "vm.list")
    return Observation(
        test_id=f"{kind}:{item.name}",
        kind=kind,
        name=item.name,
        check=UNREACHABLE if _unreachable(call) else "execution",
        capability=capability,
        level=capability_level(capability),
        operation=label,
        outcome=outcome,
        title=details.get("title", "test could not run"),
        message=details.get("message", ""),
        duration=report.duration,
    ).to_dict()


def _label_of(item: pytest.Item) -> str | None:
    for label in CAPABILITY_BY_LABEL:
        if label in item.name:
            return label
    return None


class Collector:
    """Gathers the observations and examples of every test (in the controlling process)."""

    def __init__(self) -> None:
        self.observations: list[Observation] = []
        self.examples: dict[str, dict[str, Any]] = {}
        self.traffic: dict[str, dict[str, Any]] = {}
        self.retries: dict[str, int] = {}
        self.errors: list[str] = []
        self.interrupted = False

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        self.interrupted = True

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            lines = report.longreprtext.strip().splitlines()
            first = next((line[1:].strip() for line in lines if line.startswith("E ")), lines[-1])
            self.errors.append(f"{report.nodeid}: {first}")

    def pytest_internalerror(self, excrepr: Any) -> None:
        self.errors.append(str(excrepr).strip().splitlines()[-1])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name != USER_PROPERTY:
                continue
            payload = json.loads(value)
            self.observations += [Observation.from_dict(o) for o in payload["observations"]]
            for label, exchange in payload["examples"].items():
                self.examples.setdefault(label, exchange)
            for status, count in payload.get("retries", {}).items():
                self.retries[status] = self.retries.get(status, 0) + count
            for label, seen in payload.get("traffic", {}).items():
                total = self.traffic.setdefault(
                    label, {"statuses": {}, "count": 0, "seconds": 0.0, "max": 0.0}
                )
                for status, count in seen["statuses"].items():
                    total["statuses"][status] = total["statuses"].get(status, 0) + count
                total["count"] += seen["count"]
                total["seconds"] += seen["seconds"]
                total["max"] = max(total["max"], seen["max"])


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Purge what the run created, whatever happened; a second Ctrl-C does not stop it."""
    if _STATE:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        previous_term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            _STATE[0].cleanup()
        finally:
            signal.signal(signal.SIGINT, previous)
            signal.signal(signal.SIGTERM, previous_term)
