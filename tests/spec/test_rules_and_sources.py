"""`spec/rules.yaml` names only the spec's operations and attributes, and `spec/SOURCES.md`
cites every operation, schema and capability.
"""

from __future__ import annotations

import pytest

from tests.spec.documents import (
    API,
    DOCUMENTS,
    RULES,
    SOURCES_FILE,
    all_operations,
    operations,
    query_parameters,
    resolve,
)

# --- rules.yaml ---------------------------------------------------------------------------


def rules_operation_ids() -> set[str]:
    return {
        *RULES["create"]["operations"],
        *RULES["hidden"]["operations"],
        *RULES["operations"],
    }


def rules_by_operation() -> list[tuple[str, str, dict]]:
    return [
        (operation_id, table["table"], rule)
        for operation_id, tables in RULES["operations"].items()
        for table in tables
        for rule in table["rules"]
    ]


def request_attributes(operation_id: str) -> set[str]:
    method, path, operation = operations(API)[operation_id]
    if method == "DELETE":
        return set(query_parameters(API, method, path))
    body = resolve(API, operation["requestBody"])
    return set(resolve(API, body["content"]["application/json"]["schema"])["properties"])


VM_ATTRIBUTES = set(API["components"]["schemas"]["VirtualMachine"]["properties"])


def test_rules_name_only_existing_operations():
    assert rules_operation_ids() <= set(operations(API))


@pytest.mark.parametrize(
    ("operation_id", "table", "rule"),
    rules_by_operation(),
    ids=[f"{o}.{t}.{r['name']}" for o, t, r in rules_by_operation()],
)
def test_rule_request_keys_are_request_attributes(operation_id, table, rule):
    assert set(rule.get("request", {})) <= request_attributes(operation_id)


@pytest.mark.parametrize(
    ("operation_id", "table", "rule"),
    rules_by_operation(),
    ids=[f"{o}.{t}.{r['name']}" for o, t, r in rules_by_operation()],
)
def test_rule_state_and_then_keys_are_vm_attributes(operation_id, table, rule):
    then = rule["then"] if isinstance(rule["then"], dict) else {}
    assert set(rule.get("state", {})) | set(then) <= VM_ATTRIBUTES


def test_rule_then_other_than_attributes_is_purged():
    assert {r["then"] for _, _, r in rules_by_operation() if not isinstance(r["then"], dict)} <= {
        "purged"
    }


def test_provisioning_derived_and_create_attributes_are_vm_attributes():
    names = (
        set(RULES["provisioning"])
        | set(RULES["derived"])
        | set(RULES["derived"]["head"]["set_when"])
        | set(RULES["create"]["then_from_request"])
    )
    assert names <= VM_ATTRIBUTES


def test_hidden_query_parameter_exists_on_the_reads():
    name = RULES["hidden"]["deleted_unless_query"]
    for operation_id in ("listVirtualMachines", "getVirtualMachine"):
        method, path, _ = operations(API)[operation_id]
        assert name in query_parameters(API, method, path)


# --- SOURCES.md ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources() -> str:
    return SOURCES_FILE.read_text(encoding="utf-8")


SPEC_NAMES = sorted(
    {operation_id for _, _, operation_id, *_ in all_operations()}
    | {name for document in DOCUMENTS.values() for name in document["components"]["schemas"]}
    | {name for document in DOCUMENTS.values() for name in document["x-capabilities"]}
)


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_sources_cites_every_operation_schema_and_capability(sources, name):
    assert f"`{name}`" in sources


def test_sources_has_no_unsourced_part(sources):
    unsourced = [line[:120] for line in sources.splitlines() if "NO SOURCE" in line]
    assert unsourced == []
