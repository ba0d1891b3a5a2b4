"""The pytest plugin of the suite: safety hooks on generated requests, fixtures, and the
observations of every test.

Loaded in every pytest process of a run (`-p conformance.run.plugin`, xdist workers included).
Each test's observations travel to the controlling process in its report's user_properties,
where `recording.Collector` (created by the runner) gathers them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import pytest
import requests
import schemathesis

import spec
from conformance.judging import verdict
from conformance.judging.tiers import STATED
from conformance.results.observations import Observation, capability_level
from conformance.results.recording import (
    CAPABILITY_BY_LABEL,
    RECORDER,
    UNREACHABLE,
    USER_PROPERTY,
    Collector,
)
from conformance.run import provisioning, safety
from conformance.run.scenario import Machines
from conformance.run.state import (
    _STATE,
    PREFIX_VARIABLE,
    TARGET_VARIABLE,
    RunState,
    new_prefix,
    state,
    target_from_environment,
)
from conformance.target import client, deadline, redaction

CREATING_GROUP = "creates-machines"  # the xdist group of every test that creates machines
CREATE_LABELS = {
    f"{method} {path}"
    for operation_id, (method, path, _) in spec.operations(spec.api()).items()
    if operation_id in safety.CREATES_MACHINE
}
CALL_PASSED = pytest.StashKey[bool]()
NOT_STARTED = pytest.StashKey[bool]()  # skipped because the run's deadline had passed
POINT_TAKEN = pytest.StashKey[bool]()  # the scenario ended where the target took another side

__all__ = ["PREFIX_VARIABLE", "TARGET_VARIABLE", "UNREACHABLE", "Collector", "new_prefix", "state"]


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


_LAST_RECORDED: list[tuple[Any, Any]] = [(None, None)]  # (response, exchange): record once


def _recorded(response: Any, secrets: list[str]) -> client.Exchange:
    """The redacted exchange of a response; after_call and after_validate see the same one."""
    last_response, last_exchange = _LAST_RECORDED[0]
    if last_response is response:
        return last_exchange
    exchange = client.record(response, secrets)
    _LAST_RECORDED[0] = (response, exchange)
    return exchange


@schemathesis.hook
def after_call(context_: Any, case: Any, response: Any) -> None:
    current = state()
    operation_id = case.operation.definition.raw.get("operationId")
    body = client.json_or_none(response)
    if operation_id in safety.CREATES_MACHINE and response.status_code == 202:
        machine = (  # vm_create: the combined object, or the machine itself (record §11.5)
            body.get("virtual_machine", body)
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
    exchange = _recorded(response, current.run.credentials.secrets)
    RECORDER.example(case.operation.label, exchange)
    if safety.pinning():
        RECORDER.exchange(case.operation.label, exchange, body)


@schemathesis.hook
def after_validate(context_: Any, case: Any, response: Any, results: list) -> None:
    if RECORDER.kind == "scenario":
        return
    secrets = state().run.credentials.secrets
    exchange = _recorded(response, secrets)
    for result in results:
        basis = (
            verdict.weigh(result.name, case, response, result.failure)
            if result.failure is not None
            else STATED
        )
        RECORDER.check(case.operation.label, result.name, result.failure, exchange, secrets, basis)


# -- pytest hooks ------------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)  # after pytest's own unraisable hook is in place
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bigv_scenario(test_id, capability): a lifecycle scenario of the suite"
    )
    sys.unraisablehook = _unless_interrupted(sys.unraisablehook)


def _unless_interrupted(hook: Any) -> Any:
    """An unraisable hook that says nothing of a KeyboardInterrupt: a worker interrupted as
    the run stops (Ctrl-C, SIGTERM, the deadline) may be inside a garbage-collector callback
    of Hypothesis' then, where the interrupt cannot be raised; that is not a bug to report."""

    def unraisable(details: Any) -> None:
        if not isinstance(details.exc_value, KeyboardInterrupt):
            hook(details)

    return unraisable


def _creates_machines(item: pytest.Item) -> bool:
    """A scenario, the stateful run, or a property test of an operation creating machines."""
    if item.get_closest_marker("bigv_scenario") is not None or "stateful" in item.nodeid:
        return True
    return _label_of(item) in CREATE_LABELS


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that creates machines is in one xdist group: one worker runs them, while
    the others run the property tests that do not. So the scenarios' machines can be made
    ahead (conformance.run.provisioning), and a machine a scenario creates is the group's newest
    until it creates another. Under the read-only profile, scenarios that create machines
    are skipped, saying so."""
    read_only = (
        bool(os.environ.get(TARGET_VARIABLE)) and target_from_environment().profile == "read-only"
    )
    skip = pytest.mark.skip(reason="the read-only profile sends only GET requests")
    for item in items:
        if _creates_machines(item):
            item.add_marker(pytest.mark.xdist_group(CREATING_GROUP))
        marker = item.get_closest_marker("bigv_scenario")
        if marker is not None and read_only and marker.kwargs.get("writes", True):
            item.add_marker(skip)


def _declared_machines(items: list[pytest.Item]):
    """(node id, creation attributes) of the machines each scenario to run declares."""
    for item in items:
        marker = item.get_closest_marker("bigv_scenario")
        if marker is None or item.get_closest_marker("skip") is not None:
            continue
        parameters = item.callspec.params if hasattr(item, "callspec") else {}
        yield item.nodeid, provisioning.declared(marker.kwargs.get("provisions"), parameters)


@pytest.fixture(scope="session")
def bigv() -> RunState:
    """The run: its context, api, ledger and pool."""
    return state()


@pytest.fixture
def machines(bigv: RunState, request: pytest.FixtureRequest):
    """Machines a scenario creates; purged when it ends, pass or fail. The first scenario
    of the process sends the creates every scenario declared; later ones send what
    --max-vms held back."""
    provisioner = bigv.provisioner
    if not provisioner.planned:
        provisioner.plan(_declared_machines(request.session.items))
    provisioner.send()
    made = Machines(bigv.api, bigv.names, bigv.budget, provisioner, request.node.nodeid)
    yield made
    untaken = provisioner.orders.get(request.node.nodeid, [])
    mismatch = [order.attributes for order in untaken] + made.undeclared
    made.purge_all()
    ended_early = request.node.stash.get(POINT_TAKEN, False)
    if mismatch and request.node.stash.get(CALL_PASSED, False) and not ended_early:
        pytest.fail(
            "The scenario's provisions= and the machines its body creates disagree "
            f"(a bug of the suite): declared but not created, or created undeclared: "
            f"{mismatch}",
            pytrace=False,
        )


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
    verdict.FINDINGS.clear()
    yield


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Past the run's deadline a test is not started (nor its fixtures set up)."""
    if deadline.passed():
        item.stash[NOT_STARTED] = True
        pytest.skip(f"not run: {_deadline_said()}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """While a test's body runs, no request starts past the deadline (deadline.check)."""
    with deadline.enforced():
        yield


def _deadline_said() -> str:
    given = target_from_environment().deadline if os.environ.get(TARGET_VARIABLE) else None
    return f"the run's deadline (--deadline {deadline.describe(given)}) had passed"


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """A scenario that cannot go on past a point where the target took another side than
    the spec's choice (verdict.PointTaken) ends there: its finding is recorded, and it is
    not a failure."""
    outcome = yield
    error = outcome.excinfo[1] if outcome.excinfo else None
    if isinstance(error, verdict.PointTaken):
        pyfuncitem.stash[POINT_TAKEN] = True
        outcome.force_result(True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    error = call.excinfo.value if call.excinfo else None
    not_run = None
    if report.when == "setup" and item.stash.get(NOT_STARTED, False):
        not_run = "not started"
    elif isinstance(error, deadline.DeadlinePassed | deadline.Blocked):
        # not a failure of the target: the test was stopped, or met an established cause
        stopped = isinstance(error, deadline.DeadlinePassed)
        reason = f"stopped: {_deadline_said()}" if stopped else error.title
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {reason}")
        not_run = "stopped" if stopped else None
    if report.when == "call":
        item.stash[CALL_PASSED] = report.passed
    if report.when != "call" and not (report.failed or report.skipped):
        return
    if report.when == "setup" and report.passed:
        return
    kind, test_id, capability = _kind(item)
    observations = RECORDER.observations(capability, capability_level)
    if kind == "scenario":
        observations.append(_scenario_observation(item, report, call, test_id, capability))
        observations += _finding_observations(item, test_id, capability)
    elif report.failed and not any(o["outcome"] in ("failed", "noted") for o in observations):
        observations.append(_error_observation(item, report, call, kind))
    elif report.skipped:
        observations.append(_error_observation(item, report, call, kind, outcome="skipped"))
    payload = {
        "observations": observations,
        "examples": RECORDER.examples,
        "traffic": RECORDER.traffic,
        "retries": RECORDER.retries(),
        "not_run": {"test": test_id, "how": not_run} if not_run else None,
        "coverage": RECORDER.coverage_payload(),
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
            "statement": getattr(error, "statement", None),
        }
    text = redaction.redact_message(str(error).strip() or type(error).__name__, secrets)
    return {"title": text.splitlines()[0][:200], "message": text}


def _scenario_observation(item, report, call, test_id: str, capability: str) -> dict[str, Any]:
    details = _failure_details(call) if report.failed else {}
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, deadline.Blocked):
        details = {"title": error.title, "message": error.message}
    elif isinstance(error, deadline.DeadlinePassed):
        details = {"title": "stopped", "message": f"Stopped: {_deadline_said()}."}
    elif report.skipped:
        details = {"title": "skipped", "message": str(error) if error else ""}
    check = UNREACHABLE if report.failed and _unreachable(call) else "scenario"
    statement = details.get("statement")
    # a failed expectation is required only through a statement of the documentation
    unstated = report.failed and check == "scenario" and statement is None
    return Observation(
        test_id=test_id,
        kind="scenario",
        name=item.name,
        check=check,
        capability=capability,
        level="advisory" if unstated else capability_level(capability),
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
        blocked_by=error.cause.test_id if isinstance(error, deadline.Blocked) else None,
        basis="inferred" if unstated else "stated",
        statement=statement,
    ).to_dict()


def _finding_observations(item, test_id: str, capability: str) -> list[dict[str, Any]]:
    """The findings of a scenario (verdict.FINDINGS): an advisory failure where the target
    breaks an inference, a note where it chose otherwise on a silent point."""
    secrets = state().run.credentials.secrets if _STATE else []
    found = []
    for finding in verdict.FINDINGS:
        inferred = finding.basis == "inferred"
        found.append(
            Observation(
                test_id=f"{test_id}:{finding.entry}" if finding.entry else test_id,
                kind="scenario",
                name=item.name,
                check="scenario",
                capability=capability,
                level="advisory" if inferred else capability_level(capability),
                operation=None,
                outcome="failed" if inferred else "noted",
                title=redaction.redact_message(finding.title, secrets),
                message=redaction.redact_message(finding.message, secrets),
                step=finding.step,
                exchange=finding.exchange,
                basis=finding.basis,
                register=finding.entry,
            ).to_dict()
        )
    verdict.FINDINGS.clear()
    return found


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
    """The operation of a property test ("METHOD /path", from `test_operation[...]`)."""
    label = item.name.partition("[")[2].removesuffix("]")
    return label if label in CAPABILITY_BY_LABEL else None


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
