"""Synthetic runs for the report's unit tests: observations as the plugin records them."""

from __future__ import annotations

import json
from typing import Any

from conformance.results.observations import Observation
from conformance.results.summary import Summary

GET_VM = "GET /accounts/{account}/groups/{group}/virtual_machines/{virtual_machine}"
LIST_VMS = "GET /accounts/{account}/groups/{group}/virtual_machines"
PUT_VM = "PUT /accounts/{account}/groups/{group}/virtual_machines/{virtual_machine}"
DELETE_GROUP = "DELETE /accounts/{account}/groups/{group}"
BASE = "http://127.0.0.1:9/accounts/conformance/groups/default"

SCHEMA_MESSAGE = (
    '"1" is not of type "integer"\n\nValidated against the response schema for status code '
    "200.\n\nSchema at /components/schemas/VirtualMachine/properties/cores:\n\n    {\n"
    '        "type": "integer",\n        "minimum": 1\n    }\n\nValue:\n\n    "1"'
)


def exchange(method: str, url: str, status: int, body: Any, sent: Any = None) -> dict[str, Any]:
    data = json.dumps(body)
    request_body = json.dumps(sent) if sent is not None else None
    curl = f"curl -sS -X {method} '{url}' -H 'Accept: application/json'"
    curl += ' -u "$BIGV_USER:$BIGV_PASSWORD"'
    if request_body:
        curl += f" --data-binary '{request_body}'"
    return {
        "request": {
            "method": method,
            "url": url,
            "headers": {"Accept": "application/json", "Authorization": "[REDACTED]"},
            "body": request_body,
        },
        "response": {
            "status": status,
            "headers": {"Content-Type": "application/json"},
            "body": data,
            "elapsed": 0.0042,
        },
        "curl": curl,
    }


MACHINE = {"id": 7, "name": "bvcx-s1", "hostname": "bvcx-s1.wrong.example", "cores": 1}
HOSTNAME_MESSAGE = "Virtual machine 7: hostname must be bvcx-s1.default.conformance.uk0.bigv.io"
HOSTNAME_FAILURE = exchange("GET", f"{BASE}/virtual_machines/7", 200, MACHINE)
LIST_FAILURE = exchange("GET", f"{BASE}/virtual_machines", 200, [dict(MACHINE, cores="1")])


def observation(**fields: Any) -> Observation:
    defaults = {
        "test_id": "property:test_operation[x]",
        "kind": "property",
        "name": "test_operation[x]",
        "check": "not_a_server_error",
        "capability": "vm.read",
        "level": "required",
        "operation": GET_VM,
        "outcome": "passed",
    }
    defaults.update(fields)
    if defaults["kind"] != "scenario" or defaults["operation"]:
        defaults["test_id"] = f"{defaults['test_id']}:{defaults['operation']}:{defaults['check']}"
    return Observation(**defaults)


def scenario_run(test_id: str, *, stopped: bool, capability: str = "vm.create") -> list:
    """A scenario that failed: stopped by a failed hostname check on GET, or on its own."""
    found = []
    # observations as data rows: alike by design, each one fact of the run
    if stopped:
        found.append(
            observation(
                test_id=test_id,
                kind="scenario",
                name="test_x",
                check="vm_hostname_derivation",
                capability="vm.hostname",
                outcome="failed",
                title="Hostname is not name.group.account.cluster-domain",
                message=HOSTNAME_MESSAGE,
                exchange=HOSTNAME_FAILURE,
            )
        )
        found.append(
            scenario_observation(
                test_id=test_id,
                name="test_x",
                capability=capability,
                outcome="failed",
                title="Hostname is not name.group.account.cluster-domain",
                message=HOSTNAME_MESSAGE,
                step="1. create",
                exchange=HOSTNAME_FAILURE,
            )
        )
    else:
        found.append(
            scenario_observation(
                test_id=test_id,
                name="test_power_table_through_put",
                capability="vm.power",
                outcome="failed",
                title="Timed out waiting for updateVirtualMachine to give {'power_on': False}",
                message="Virtual machine 9: wanted {'power_on': False}, seen {'power_on': True}",
                step="2-3. stop: PUT {'autoreboot_on': False, 'power_on': False}",
                exchange=exchange("GET", f"{BASE}/virtual_machines/9", 200, {"power_on": True}),
            )
        )
    return found


def scenario_observation(test_id: str, name: str, capability: str, **fields: Any) -> Observation:
    """An observation of a scenario: its own check, on no operation."""
    return observation(
        test_id=test_id,
        kind="scenario",
        name=name,
        check="scenario",
        capability=capability,
        operation=None,
        **fields,
    )


def observations() -> list[Observation]:
    """A run with three problems: a schema failure on the list, a hostname failure on GET
    (which also stops a scenario), and a scenario failing its own expectation; plus passes,
    an advisory failure and a skip."""
    found = [
        observation(check="not_a_server_error"),
        observation(check="status_code_conformance"),
        observation(
            check="vm_hostname_derivation",
            capability="vm.hostname",
            outcome="failed",
            title="Hostname is not name.group.account.cluster-domain",
            message=HOSTNAME_MESSAGE,
            exchange=HOSTNAME_FAILURE,
        ),
        observation(operation=LIST_VMS, capability="vm.list", check="status_code_conformance"),
        observation(
            operation=LIST_VMS,
            capability="vm.list",
            check="response_schema_conformance",
            outcome="failed",
            title="Response violates schema",
            message=SCHEMA_MESSAGE,
            exchange=LIST_FAILURE,
        ),
        observation(
            operation=PUT_VM,
            capability="vm.update",
            check="vm_update_applied",
            kind="stateful",
            test_id="stateful:test_stateful_links",
        ),
        observation(
            operation=DELETE_GROUP,
            capability="groups",
            level="advisory",
            check="status_code_conformance",
        ),
        observation(
            operation="GET /accounts",
            capability="accounts",
            level="advisory",
            check="response_schema_conformance",
            outcome="failed",
            title="Response violates schema",
            message="[] is not of type 'object'",
            exchange=exchange("GET", "http://127.0.0.1:9/accounts", 200, []),
        ),
        *scenario_run("c4d1a8e2-hostname-derived", stopped=True, capability="vm.hostname"),
        *scenario_run("0a6d5e31-power-table-put[stop-True-True-body1]", stopped=False),
        scenario_observation(
            test_id="c2e8b4a7-otp-enforced",
            name="test_otp_enforced_when_required",
            capability="auth.basic",
            outcome="skipped",
            title="skipped",
            message="the target does not require a one-time password",
        ),
        scenario_observation(
            test_id="8f0c2a61-create-listed-readable",
            name="test_created",
            capability="vm.create",
            outcome="passed",
            title="created",
        ),
    ]
    return found


TRAFFIC = {
    GET_VM: {"statuses": {"200": 5, "404": 2}, "count": 7, "seconds": 0.03, "max": 0.011},
    LIST_VMS: {"statuses": {"200": 3}, "count": 3, "seconds": 0.012, "max": 0.006},
}

EXAMPLES = {
    GET_VM: exchange("GET", f"{BASE}/virtual_machines/7", 200, MACHINE),
    PUT_VM: exchange("PUT", f"{BASE}/virtual_machines/7", 200, MACHINE, sent={"cores": 2}),
}


def summary(found: list[Observation] | None = None) -> Summary:
    return Summary(
        target={
            "url": "http://127.0.0.1:9",
            "account": "conformance",
            "group": "default",
            "user": "alice",
            "embedded": False,
            "url_used": "http://127.0.0.1:9",
        },
        versions={"suite": "0.1.0", "spec": "abcdef123456", "schemathesis": "4.32.5"},
        seed=1,
        profile="full",
        started="2026-01-01T00:00:00+00:00",
        duration=12.5,
        observations=observations() if found is None else found,
        traffic=TRAFFIC,
    )
