"""The spec files are valid, agree with the original documentation and with each other.

Each test checks one property of `spec/bigv.openapi.yaml`, `spec/auth.openapi.yaml`,
`spec/rules.yaml` or `spec/SOURCES.md`. The original documentation page is read from
`../shared/docs/virtual_machines.md` (beside the project) when it is there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = PROJECT_ROOT / "spec"
API_FILE = SPEC_DIR / "bigv.openapi.yaml"
AUTH_FILE = SPEC_DIR / "auth.openapi.yaml"
RULES_FILE = SPEC_DIR / "rules.yaml"
SOURCES_FILE = SPEC_DIR / "SOURCES.md"
ORIGINAL_PAGE = PROJECT_ROOT.parent / "shared" / "docs" / "virtual_machines.md"

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
DOCUMENT_URI = "urn:bigv-conformance:document"
VM_POINTER = "/components/schemas/VirtualMachine"

# The attribute list of the original page, used when the page is not beside the project.
DOCUMENTED_ATTRIBUTES = [
    "autoreboot_on",
    "cdrom_url",
    "cores",
    "group_id",
    "id",
    "management_address",
    "memory",
    "name",
    "power_on",
    "keymap",
    "deleted",
    "hostname",
    "head",
    "hardware_profile",
    "hardware_profile_locked",
]
# bigv-api.md 4.1: read-only attributes; the other documented ones are writable.
READ_ONLY_ATTRIBUTES = {"id", "deleted", "hostname", "head", "management_address"}

VM_PATH = "/accounts/{account}/groups/{group}/virtual_machines"
VM_ITEM_PATH = VM_PATH + "/{virtual_machine}"
# The seven endpoints of the original page and the status codes documented for each
# (original page, ICH `content/notes/other.md`, ICH `content/api/virtual_machines.md`).
ORIGINAL_OPERATIONS = {
    ("GET", VM_PATH): {"200", "404"},
    ("GET", VM_ITEM_PATH): {"200", "404"},
    ("POST", VM_PATH): {"202", "400", "404"},
    ("PUT", VM_ITEM_PATH): {"200", "400", "404"},
    ("DELETE", VM_ITEM_PATH): {"204", "404"},
    ("POST", VM_ITEM_PATH + "/reimage"): {"200", "400", "404"},
    ("POST", VM_ITEM_PATH + "/signal"): {"200", "400", "404"},
}
GLOBAL_SECURITY = [{"basicAuth": [], "yubikeyOtp": []}, {"basicAuth": []}, {"bearerAuth": []}]


# --- helpers ------------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


API = load_yaml(API_FILE)
AUTH = load_yaml(AUTH_FILE)
RULES = load_yaml(RULES_FILE)
DOCUMENTS = {"bigv": API, "auth": AUTH}


def escape(token: str) -> str:
    """One JSON-pointer reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def follow(document: dict, node: Any, pointer: str) -> tuple[Any, str]:
    """Follow local `$ref`s; answer the node reached and its JSON pointer."""
    while isinstance(node, dict) and "$ref" in node:
        pointer = node["$ref"].removeprefix("#")
        node = document
        for token in pointer.removeprefix("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return node, pointer


def resolve(document: dict, node: Any) -> Any:
    return follow(document, node, "")[0]


def schema_errors(document: dict, pointer: str, instance: Any) -> list[str]:
    """Errors of `instance` against the schema at `pointer`, `$ref`s resolved in `document`."""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource(DOCUMENT_URI, resource)
    schema = {"$ref": f"{DOCUMENT_URI}#{quote(pointer, safe='/~')}"}
    validator = Draft202012Validator(schema, registry=registry)
    return [error.message for error in validator.iter_errors(instance)]


def operations(document: dict) -> dict[str, tuple[str, str, dict]]:
    """operationId -> (METHOD, path, operation)."""
    found = {}
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                operation_id = item[method].get("operationId", f"{method.upper()} {path}")
                found[operation_id] = (method.upper(), path, item[method])
    return found


def all_operations() -> list[tuple[str, dict, str, str, str, dict]]:
    """(document name, document, operationId, METHOD, path, operation) over both specs."""
    return [
        (name, document, operation_id, method, path, operation)
        for name, document in DOCUMENTS.items()
        for operation_id, (method, path, operation) in operations(document).items()
    ]


def path_parameters(document: dict, method: str, path: str) -> set[str]:
    item = document["paths"][path]
    declared = item.get("parameters", []) + item[method.lower()].get("parameters", [])
    return {p["name"] for p in (resolve(document, d) for d in declared) if p["in"] == "path"}


def query_parameters(document: dict, method: str, path: str) -> dict[str, dict]:
    item = document["paths"][path]
    declared = item.get("parameters", []) + item[method.lower()].get("parameters", [])
    resolved = (resolve(document, d) for d in declared)
    return {p["name"]: p for p in resolved if p["in"] == "query"}


def documentation_examples() -> list[tuple[str, dict, str, Any]]:
    """(label, document, schema pointer, example value) for every example in the paths."""
    found = []
    for name, document, operation_id, _, _, operation in all_operations():
        base = operation_pointer(document, operation_id)
        bodies = list(operation["responses"].items())
        if "requestBody" in operation:
            bodies.append(("request", operation["requestBody"]))
        for where, raw in bodies:
            suffix = "/requestBody" if where == "request" else f"/responses/{where}"
            body, pointer = follow(document, raw, base + suffix)
            for media, content in body.get("content", {}).items():
                schema_pointer = f"{pointer}/content/{escape(media)}/schema"
                examples = {
                    example_name: resolve(document, example)["value"]
                    for example_name, example in content.get("examples", {}).items()
                }
                if "example" in content:
                    examples["example"] = content["example"]
                for example_name, value in examples.items():
                    label = f"{name}:{operation_id}:{where}:{media}:{example_name}"
                    found.append((label, document, schema_pointer, value))
    return found


def operation_pointer(document: dict, operation_id: str) -> str:
    """The JSON pointer of an operation object."""
    method, path, _ = operations(document)[operation_id]
    return f"/paths/{escape(path)}/{method.lower()}"


def all_links() -> list[tuple[str, str, dict]]:
    """(source operationId, link name, resolved link) for every response link."""
    found = []
    for operation_id, (_, _, operation) in operations(API).items():
        for response in operation["responses"].values():
            for link_name, link in resolve(API, response).get("links", {}).items():
                found.append((operation_id, link_name, resolve(API, link)))
    return found


def walk(node: Any):
    """Every dict inside `node`."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def vm_property(name: str) -> dict:
    vm = API["components"]["schemas"]["VirtualMachine"]
    return resolve(API, vm["properties"][name])


def documented_vm() -> dict:
    return dict(API["components"]["examples"]["VirtualMachine"]["value"])


def page_section(title: str) -> str:
    """The text of a `## title` section of the original page (any spaces after `##`)."""
    text = ORIGINAL_PAGE.read_text(encoding="utf-8")
    match = re.search(rf"^##\s+{title}\s*$(.*?)(?=^##\s)", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"no section {title!r} in {ORIGINAL_PAGE}"
    return match.group(1)


def page_attributes() -> list[str]:
    """The attribute list of the original page's `Attributes` section."""
    return re.findall(r"^\* (\w+)", page_section("Attributes"), flags=re.MULTILINE)


def page_endpoints() -> set[tuple[str, str]]:
    """The endpoints of the original page's `Endpoints` section, as spec paths."""
    section = page_section("Endpoints")
    found = re.findall(r"^\s+(GET|POST|PUT|DELETE)\s+(/\S+)", section, flags=re.MULTILINE)
    names = {"ACC_ID": "{account}", "GROUP_ID": "{group}", "ID": "{virtual_machine}"}
    return {
        (method, "/".join(names.get(part, part) for part in path.split("/")))
        for method, path in found
    }


needs_original_page = pytest.mark.skipif(
    not ORIGINAL_PAGE.exists(), reason=f"original documentation page not found at {ORIGINAL_PAGE}"
)


# --- the documents are valid OpenAPI ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_openapi(name):
    validate_openapi(DOCUMENTS[name])


# --- documentation examples ---------------------------------------------------------------


def test_schema_helper_rejects_an_invalid_instance():
    assert schema_errors(API, VM_POINTER, {})


def test_vm_list_example_validates():
    pointer = f"/paths/{escape(VM_PATH)}/get/responses/200/content/application~1json/schema"
    value = API["components"]["examples"]["VirtualMachineList"]["value"]
    assert schema_errors(API, pointer, value) == []


def test_single_vm_example_validates():
    assert schema_errors(API, VM_POINTER, documented_vm()) == []


def test_definitions_example_validates():
    value = API["components"]["examples"]["Definitions"]["value"]
    assert schema_errors(API, "/components/schemas/Definitions", value) == []


EXAMPLES = documentation_examples()


@pytest.mark.parametrize(
    ("label", "document", "pointer", "value"), EXAMPLES, ids=[example[0] for example in EXAMPLES]
)
def test_path_example_validates(label, document, pointer, value):
    assert schema_errors(document, pointer, value) == [], label


# --- the single-VM schema -----------------------------------------------------------------


def test_vm_rejects_cores_as_a_string():
    assert schema_errors(API, VM_POINTER, {**documented_vm(), "cores": "1"})


def test_vm_rejects_a_missing_hostname():
    vm = documented_vm()
    del vm["hostname"]
    assert schema_errors(API, VM_POINTER, vm)


def test_vm_rejects_a_null_name():
    assert schema_errors(API, VM_POINTER, {**documented_vm(), "name": None})


def test_vm_rejects_the_original_pages_single_vm_array():
    assert schema_errors(API, VM_POINTER, [documented_vm()])


def test_vm_accepts_an_unknown_attribute():
    assert schema_errors(API, VM_POINTER, {**documented_vm(), "appliance": {"x": 1}}) == []


def test_vm_accepts_the_later_optional_attributes():
    vm = {
        **documented_vm(),
        "zone_name": "york",
        "last_imaged_with": "wheezy",
        "type": "application/vnd.bigv.virtual-machine",
        "discs": [
            {
                "id": 1,
                "label": "disc-1",
                "size": 25600,
                "storage_grade": "sata",
                "storage_pool": "tail1-sata1",
                "type": "application/vnd.bigv.disc",
                "virtual_machine_id": 1234,
            }
        ],
        "network_interfaces": [
            {
                "extra_ips": {"192.168.99.2": "192.168.99.1"},
                "id": 99996,
                "ips": ["192.168.99.1", "fe80::9999"],
                "label": None,
                "mac": "ff:ff:ff:ff:ff:fe",
                "type": "application/vnd.bigv.network-interface",
                "virtual_machine_id": 1234,
                "vlan_num": 999,
            }
        ],
    }
    assert schema_errors(API, VM_POINTER, vm) == []


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


# --- the virtual machine's attributes -----------------------------------------------------


@pytest.fixture
def documented_attributes() -> list[str]:
    return page_attributes() if ORIGINAL_PAGE.exists() else DOCUMENTED_ATTRIBUTES


@needs_original_page
def test_attribute_list_in_this_file_is_the_pages():
    assert page_attributes() == DOCUMENTED_ATTRIBUTES


def test_vm_requires_exactly_the_documented_attributes(documented_attributes):
    assert len(documented_attributes) == 15
    required = API["components"]["schemas"]["VirtualMachine"]["required"]
    assert sorted(required) == sorted(documented_attributes)


@pytest.mark.parametrize("attribute", sorted(READ_ONLY_ATTRIBUTES))
def test_read_only_attribute_is_marked_read_only(attribute):
    assert vm_property(attribute).get("readOnly") is True


@pytest.mark.parametrize("attribute", sorted(set(DOCUMENTED_ATTRIBUTES) - READ_ONLY_ATTRIBUTES))
def test_writable_attribute_is_not_read_only(attribute):
    assert not vm_property(attribute).get("readOnly", False)


# --- bigv-* formats and the definitions table ---------------------------------------------


def used_bigv_formats() -> set[str]:
    return {
        node["format"]
        for document in DOCUMENTS.values()
        for node in walk(document)
        if isinstance(node.get("format"), str) and node["format"].startswith("bigv-")
    }


def test_some_bigv_formats_are_used():
    assert used_bigv_formats()


def test_every_bigv_format_is_declared():
    assert used_bigv_formats() <= set(API["x-definition-formats"])


def test_every_declared_format_names_a_definitions_section():
    sections = {entry["id"] for entry in API["components"]["examples"]["Definitions"]["value"]}
    assert set(API["x-definition-formats"].values()) <= sections


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
