"""The spec's operations: operation ids, capabilities and security; the original page's
operations are required and the rest advisory; query parameters; links.

The original documentation page is read from `../shared/docs/virtual_machines.md` (beside the
project) when it is there.
"""

from __future__ import annotations

import pytest

from tests.spec.documents import (
    API,
    AUTH,
    DOCUMENTS,
    GLOBAL_SECURITY,
    HTTP_METHODS,
    ORIGINAL_OPERATIONS,
    VM_ITEM_PATH,
    VM_PATH,
    all_links,
    all_operations,
    needs_original_page,
    operations,
    page_endpoints,
    path_parameters,
    query_parameters,
    resolve,
)

# --- operations, capabilities, security ---------------------------------------------------


def raw_operation_ids() -> list[str | None]:
    return [
        item[method].get("operationId")
        for document in DOCUMENTS.values()
        for item in document["paths"].values()
        for method in HTTP_METHODS
        if method in item
    ]


def test_every_operation_has_an_operation_id():
    assert None not in raw_operation_ids()


def test_operation_ids_are_unique():
    ids = raw_operation_ids()
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("name", "document", "operation_id", "method", "path", "operation"),
    all_operations(),
    ids=[item[2] for item in all_operations()],
)
class TestEveryOperation:
    def test_has_a_known_capability(self, name, document, operation_id, method, path, operation):
        assert operation.get("x-capability") in document["x-capabilities"]

    def test_has_a_2xx_response(self, name, document, operation_id, method, path, operation):
        assert any(status.startswith("2") for status in operation["responses"])


API_OPERATIONS_WITH_AUTH = [
    (operation_id, operation)
    for operation_id, (_, _, operation) in operations(API).items()
    if operation_id != "getDefinitions"
]


def test_global_security_is_basic_with_otp_basic_or_bearer():
    assert API["security"] == GLOBAL_SECURITY


def test_security_schemes():
    schemes = API["components"]["securitySchemes"]
    assert (schemes["basicAuth"]["type"], schemes["basicAuth"]["scheme"]) == ("http", "basic")
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    otp = schemes["yubikeyOtp"]
    assert (otp["type"], otp["in"], otp["name"]) == ("apiKey", "header", "X-Yubikey-Otp")


@pytest.mark.parametrize(
    ("operation_id", "operation"),
    API_OPERATIONS_WITH_AUTH,
    ids=[item[0] for item in API_OPERATIONS_WITH_AUTH],
)
def test_operation_inherits_global_security(operation_id, operation):
    assert "security" not in operation


@pytest.mark.parametrize(
    ("operation_id", "operation"),
    API_OPERATIONS_WITH_AUTH,
    ids=[item[0] for item in API_OPERATIONS_WITH_AUTH],
)
def test_operation_lists_401(operation_id, operation):
    assert "401" in operation["responses"]


def test_definitions_needs_no_authentication():
    assert operations(API)["getDefinitions"][2]["security"] == []


def test_session_calls_need_no_authentication():
    assert AUTH["security"] == []
    assert all(op.get("security", []) == [] for _, _, op in operations(AUTH).values())


# --- the original page's operations are required, the rest advisory -----------------------


def operation_at(method: str, path: str) -> dict:
    return API["paths"][path][method.lower()]


@needs_original_page
def test_original_page_endpoints_are_the_seven_checked_here():
    assert page_endpoints() == set(ORIGINAL_OPERATIONS)


@pytest.mark.parametrize(("method", "path"), sorted(ORIGINAL_OPERATIONS))
def test_original_operation_is_required(method, path):
    capability = operation_at(method, path)["x-capability"]
    assert API["x-capabilities"][capability]["level"] == "required"


@pytest.mark.parametrize(("method", "path"), sorted(ORIGINAL_OPERATIONS))
def test_original_operation_has_its_documented_status_codes(method, path):
    assert ORIGINAL_OPERATIONS[method, path] <= set(operation_at(method, path)["responses"])


LATER_OPERATIONS = [
    (operation_id, document, operation)
    for _, document, operation_id, method, path, operation in all_operations()
    if document is AUTH or (method, path) not in ORIGINAL_OPERATIONS
]


@pytest.mark.parametrize(
    ("operation_id", "document", "operation"),
    LATER_OPERATIONS,
    ids=[item[0] for item in LATER_OPERATIONS],
)
def test_operation_not_on_the_original_page_is_advisory(operation_id, document, operation):
    assert document["x-capabilities"][operation["x-capability"]]["level"] == "advisory"


# --- query parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("include_deleted", {"type": "string", "examples": ["true", "True"]}),
        ("purge", {"type": "string", "examples": ["true", "True"]}),
        ("view", {"type": "string", "examples": ["overview"]}),
    ],
)
def test_query_parameter(name, schema):
    """Query strings are never refused (ICH other.md): plain strings, with the meaningful value
    as an example and no enum."""
    parameter = API["components"]["parameters"][name]
    assert (parameter["name"], parameter["in"]) == (name, "query")
    assert parameter["schema"] == schema


@pytest.mark.parametrize(
    ("method", "path", "names"),
    [
        ("GET", VM_PATH, {"include_deleted", "view"}),
        ("GET", VM_ITEM_PATH, {"include_deleted", "view"}),
        ("DELETE", VM_ITEM_PATH, {"purge"}),
    ],
)
def test_vm_operation_takes_its_query_parameters(method, path, names):
    assert set(query_parameters(API, method, path)) == names


# --- links --------------------------------------------------------------------------------


LINKS = all_links()
LINK_IDS = [f"{source}.{name}" for source, name, _ in LINKS]


def test_create_links_to_get_update_delete_reimage_signal():
    response = operations(API)["createVirtualMachine"][2]["responses"]["202"]
    targets = {resolve(API, link)["operationId"] for link in response["links"].values()}
    assert targets == {
        "getVirtualMachine",
        "updateVirtualMachine",
        "deleteVirtualMachine",
        "reimageVirtualMachine",
        "signalVirtualMachine",
    }


@pytest.mark.parametrize(("source", "name", "link"), LINKS, ids=LINK_IDS)
def test_link_parameters_are_path_parameters_of_the_target(source, name, link):
    method, path, _ = operations(API)[link["operationId"]]
    assert set(link["parameters"]) <= path_parameters(API, method, path)


@pytest.mark.parametrize(("source", "name", "link"), LINKS, ids=LINK_IDS)
def test_link_request_expressions_name_path_parameters_of_the_source(source, name, link):
    method, path, _ = operations(API)[source]
    used = {
        value.removeprefix("$request.path.")
        for value in link["parameters"].values()
        if value.startswith("$request.path.")
    }
    assert used <= path_parameters(API, method, path)
