"""The spec documents as the tests of tests/spec/ read them: the files, the original
documentation page and what it lists, and helpers to walk, resolve and validate the OpenAPI
documents (test_documents.py, test_operations.py, test_rules_and_sources.py use them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from jsonschema import Draft202012Validator
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
