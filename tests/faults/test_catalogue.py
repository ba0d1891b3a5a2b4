"""The suite catches every fault of the catalogue and passes every harmless variation.

Each catalogue test runs the real CLI (`python -m bigv_conformance run`) against the
fault-injecting proxy in front of a faithful emulator: a fault must give exit 1 and a report
failure that names the check and the operation (or scenario) the catalogue expects; a
harmless variation, and the proxy with no fault at all, must give exit 0 and no failure.
Each run's result is saved (reports/faults/) for `tools/detection_table.py`.

The fast tests check the catalogue itself and the proxy's machinery.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import json
from pathlib import Path

import pytest
import requests

import spec
from emulator.config import EmulatorConfig
from emulator.server import start
from tests.faults import faults as f
from tests.faults.catalogue import BY_NAME, CONTROLS, ENTRIES, FAULTS, HARMLESS, Entry, titled
from tests.faults.harness import API_KEY, SEED_FILE, RunResult
from tests.faults.proxy import NO_FAULT, Fault, Proxy, Request, route

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "conformance" / "suite" / "scenarios"
AUTH = ("alice", "secret")


# -- the catalogue itself --------------------------------------------------------------------


def scenario_ids() -> set[str]:
    """The stable ids of the suite's scenarios, read from their source."""
    found = set()
    for path in SCENARIOS.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "scenario"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


def operation_labels() -> set[str]:
    return {f"{method} {path}" for method, path, _ in spec.operations(spec.api()).values()}


def check_names() -> set[str]:
    from schemathesis.checks import CHECKS, load_all_checks

    import conformance.judging.checks  # noqa: F401  (registers the suite's checks)

    load_all_checks()
    return {*CHECKS.get_all_names(), "scenario"}


def test_the_catalogue_has_enough_faults_and_variations_with_unique_names():
    assert len(FAULTS) >= 30
    assert len(HARMLESS) >= 5
    names = [entry.name for entry in ENTRIES + CONTROLS]
    assert len(names) == len(set(names)), "names must be unique"
    assert all(name.replace("-", "").isalnum() and name.islower() for name in names)


def test_every_fault_says_what_it_breaks_and_what_must_catch_it():
    scenarios, labels = scenario_ids(), operation_labels()
    for entry in FAULTS:
        fault = entry.fault
        assert not fault.harmless and fault.description and fault.breaks, fault.name
        assert entry.caught_by, f"{fault.name}: nothing is expected to catch it"
        for catch in entry.caught_by:
            assert catch.scenario is None or catch.scenario in scenarios, (fault.name, catch)
            assert catch.operation is None or catch.operation in labels, (fault.name, catch)
    for entry in HARMLESS + CONTROLS:
        assert entry.fault.harmless and not entry.caught_by, entry.name


def test_every_expected_check_exists():
    known = check_names()
    for entry in FAULTS:
        for catch in entry.caught_by:
            assert catch.check in known, (entry.name, catch.check)


def test_a_catch_matches_only_its_check_and_place():
    catch = BY_NAME["cores-as-string"].caught_by[0]
    failure = {"check": catch.check, "operation": catch.operation, "test_id": "property:x"}
    assert catch.matches(failure)
    assert not catch.matches(failure | {"check": "not_a_server_error"})
    assert not catch.matches(failure | {"operation": "GET /definitions"})
    by_scenario = BY_NAME["delete-does-nothing"].caught_by[0]
    assert by_scenario.matches({"check": "scenario", "test_id": by_scenario.scenario})
    assert not by_scenario.matches({"check": "scenario", "test_id": "0e5b7d29-other"})
    by_title = titled("A machine reads 404")
    met = {"check": "scenario", "test_id": "0e5b7d29-other", "title": "A machine reads 404 while"}
    assert by_title.matches(met)
    assert not by_title.matches(met | {"title": "Timed out waiting for provisioning"})
    assert not by_title.matches(met | {"check": "not_a_server_error"})


def test_a_result_is_ok_only_when_it_is_what_the_catalogue_says():
    def result(harmless: bool, exit_code: int, caught: bool, failures: list) -> RunResult:
        return RunResult("x", harmless, "", "", exit_code, 1.0, "", [], caught, failures)

    assert result(False, 1, True, [{}]).ok
    assert not result(False, 1, False, [{}]).ok  # failed, but not where expected
    assert not result(False, 0, False, []).ok  # missed
    assert not result(False, 2, False, []).ok  # could not run
    assert result(True, 0, False, []).ok
    assert not result(True, 0, False, [{"level": "advisory"}]).ok  # flagged (advisory)
    assert not result(True, 1, False, [{}]).ok
    broken = result(False, 1, True, [{}])
    broken.proxy_errors = ["PUT /x: KeyError('name')"]
    assert not broken.ok  # a fault that raised proves nothing


# -- the proxy's machinery ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator():
    running = start(EmulatorConfig(api_key=API_KEY, seed_file=SEED_FILE))
    yield running
    running.stop()


def _vms(url: str) -> str:
    return f"{url}/accounts/conformance/groups/default/virtual_machines"


def test_requests_are_routed_to_the_operations_of_the_spec():
    assert route("GET", "/accounts/a/groups/default/virtual_machines") == (
        "listVirtualMachines",
        {"account": "a", "group": "default"},
    )
    assert route("POST", "/accounts/a/groups/g/virtual_machines/7/signal")[0] == (
        "signalVirtualMachine"
    )
    assert route("GET", "/definitions")[0] == "getDefinitions"
    assert route("PATCH", "/accounts/a/groups/g/virtual_machines/7") == (None, {})
    request = Request("GET", "/x", "include_deleted=true&view=overview")
    assert request.with_params(include_deleted=None, purge="true").params == {
        "view": "overview",
        "purge": "true",
    }


def test_the_faithful_proxy_answers_what_the_emulator_answers(emulator):
    with Proxy(emulator.url, NO_FAULT) as proxy:
        created = requests.post(_vms(proxy.url), json={"name": "proxied"}, auth=AUTH, timeout=30)
        assert created.status_code == 202, created.text
        machine = created.json()["id"]
        for path in (f"/{machine}", "", f"/{machine}?include_deleted=true"):
            direct = requests.get(_vms(emulator.url) + path, auth=AUTH, timeout=30)
            proxied = requests.get(_vms(proxy.url) + path, auth=AUTH, timeout=30)
            assert (proxied.status_code, proxied.content) == (direct.status_code, direct.content)
            assert proxied.headers["Content-Type"] == direct.headers["Content-Type"]
        unauthenticated = requests.get(_vms(proxy.url), timeout=30)
        assert unauthenticated.status_code == 401
        assert "WWW-Authenticate" in unauthenticated.headers
        deleted = requests.delete(_vms(proxy.url) + f"/{machine}?purge=true", auth=AUTH, timeout=30)
        assert (deleted.status_code, deleted.content) == (204, b"")
        assert proxy.requests_seen == 6
        assert proxy.errors == []


def test_a_fault_that_raises_is_answered_502_and_counted(emulator):
    @dataclasses.dataclass
    class Broken(Fault):
        def on_request(self, request, upstream):
            raise KeyError("name")

    with Proxy(emulator.url, Broken("broken", "raises")) as proxy:
        reply = requests.get(_vms(proxy.url), auth=AUTH, timeout=30)
        assert reply.status_code == 502
        assert proxy.errors == [
            "GET /accounts/conformance/groups/default/virtual_machines: KeyError('name')"
        ]


def test_a_fault_changes_answers_and_a_stateful_one_keeps_the_emulator_unchanged(emulator):
    with Proxy(emulator.url, BY_NAME["cores-as-string"].fault.fresh()) as proxy:
        reply = requests.post(
            _vms(proxy.url), json={"name": "typed", "cores": 2}, auth=AUTH, timeout=30
        )
        assert reply.json()["cores"] == "2"
        machine = reply.json()["id"]
        assert (
            requests.get(_vms(emulator.url) + f"/{machine}", auth=AUTH, timeout=30).json()["cores"]
            == 2
        )
    with Proxy(emulator.url, BY_NAME["delete-does-nothing"].fault.fresh()) as proxy:
        reply = requests.delete(_vms(proxy.url) + f"/{machine}", auth=AUTH, timeout=30)
        assert reply.status_code == 204
        still = requests.get(_vms(emulator.url) + f"/{machine}", auth=AUTH, timeout=30)
        assert still.status_code == 200 and still.json()["deleted"] is False
        purged = requests.delete(_vms(proxy.url) + f"/{machine}?purge=true", auth=AUTH, timeout=30)
        assert purged.status_code == 204
        gone = requests.get(
            _vms(emulator.url) + f"/{machine}?include_deleted=true", auth=AUTH, timeout=30
        )
        assert gone.status_code == 404


def test_auth_faults_inject_credentials_only_where_the_client_had_none(emulator):
    good = "Basic " + base64.b64encode(b"alice:secret").decode()
    wrong = "Basic " + base64.b64encode(b"alice:wrong").decode()
    assert f.no_credentials(Request("GET", "/"), good)
    assert not f.no_credentials(Request("GET", "/", headers=(("Authorization", good),)), good)
    assert f.wrong_basic_credentials(Request("GET", "/", headers=(("Authorization", wrong),)), good)
    with Proxy(emulator.url, BY_NAME["auth-not-enforced"].fault.fresh()) as proxy:
        assert requests.get(_vms(proxy.url), timeout=30).status_code == 200
        assert requests.get(_vms(proxy.url), auth=("alice", "x"), timeout=30).status_code == 401


def test_harmless_variations_keep_the_json_the_same(emulator):
    for name in ("reversed-key-order", "pretty-printed-json", "charset-parameter", "header-case"):
        with Proxy(emulator.url, BY_NAME[name].fault.fresh()) as proxy:
            direct = requests.get(_vms(emulator.url), auth=AUTH, timeout=30)
            varied = requests.get(_vms(proxy.url), auth=AUTH, timeout=30)
            assert varied.status_code == direct.status_code
            assert json.loads(varied.content) == json.loads(direct.content), name
            assert varied.headers["content-type"].startswith("application/json"), name


# -- the catalogue through the CLI ---------------------------------------------------------------


def _failures(result: RunResult) -> str:
    lines = [f"  {line}" for line in result.catchers()[:40]] or ["  (no failure reported)"]
    return "\n".join(lines) + f"\n--- CLI output (tail) ---\n{result.output[-2000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("entry", FAULTS, ids=[entry.name for entry in FAULTS])
def test_the_suite_catches_the_fault(entry: Entry, catalogue_runs):
    result = catalogue_runs.result(entry)
    assert not result.proxy_errors, f"{entry.name}: the fault itself failed: {result.proxy_errors}"
    assert result.exit_code == 1, (
        f"{entry.name}: exit {result.exit_code}, wanted 1 (the target does not conform); "
        f"{entry.fault.description}\n{_failures(result)}"
    )
    assert result.caught, (
        f"{entry.name}: no failure of {[str(catch) for catch in entry.caught_by]} in the "
        f"report; it showed:\n{_failures(result)}"
    )


CLIENTS = "clients"  # the capability of what the official clients need (advisory)


@pytest.mark.slow
@pytest.mark.parametrize("entry", HARMLESS + CONTROLS, ids=[e.name for e in HARMLESS + CONTROLS])
def test_the_suite_passes_the_harmless_variation(entry: Entry, catalogue_runs):
    result = catalogue_runs.result(entry)
    assert not result.proxy_errors, f"{entry.name}: the variation failed: {result.proxy_errors}"
    # harmless to conformance; what it costs the official clients is said, advisory
    flagged = [f for f in result.failures if f["capability"] != CLIENTS]
    assert result.exit_code == 0 and not flagged, (
        f"{entry.name} ({entry.fault.description}) was flagged: exit {result.exit_code}\n"
        f"{_failures(result)}"
    )
    assert all(f["level"] == "advisory" for f in result.failures), _failures(result)


@pytest.mark.slow
def test_a_status_the_official_go_client_cannot_read_is_said_never_failed(catalogue_runs):
    result = catalogue_runs.result(BY_NAME["state-refusal-answers-409"])
    assert result.exit_code == 0, _failures(result)
    said = {(f["check"], f["level"]) for f in result.failures}
    assert said == {("go_client_understands_status", "advisory")}, _failures(result)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "status"), [("busy-then-served", "503"), ("rate-limited-then-served", "429")]
)
def test_busy_answers_are_retried_and_counted_in_the_report(name, status, catalogue_runs):
    result = catalogue_runs.result(BY_NAME[name])
    assert result.exit_code == 0 and not result.failures, _failures(result)
    assert result.retries.get(status, 0) > 0, result.retries
