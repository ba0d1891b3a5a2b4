"""The contract shared by the suite and the emulator: the OpenAPI documents and the rules.

Pure data access, no I/O beyond reading the files beside this module. Nothing here knows
about HTTP, the emulator or the suite.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

SPEC_DIR = Path(__file__).resolve().parent
API_PATH = SPEC_DIR / "bigv.openapi.yaml"
AUTH_PATH = SPEC_DIR / "auth.openapi.yaml"
RULES_PATH = SPEC_DIR / "rules.yaml"
REGISTER_PATH = SPEC_DIR / "register.yaml"
STATEMENTS_PATH = SPEC_DIR / "statements.yaml"
# The documentation the spec is written from, as it was handed to the project: the original
# page and the public record (the statements quote them).
DOCUMENTATION_DIR = SPEC_DIR / "documentation"
DOCUMENTS = ("virtual_machines.md", "bigv-api.md")

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


@cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LOADER)


def api() -> dict[str, Any]:
    """The BigV API document (a deep copy: callers may not change the shared one)."""
    return copy.deepcopy(_load(API_PATH))


def auth() -> dict[str, Any]:
    """The auth service document (sessions)."""
    return copy.deepcopy(_load(AUTH_PATH))


def rules() -> dict[str, Any]:
    """The behaviour tables of rules.yaml."""
    return copy.deepcopy(_load(RULES_PATH))


def register() -> dict[str, Any]:
    """The silence register: the points resting on an inference or left open by the record."""
    return copy.deepcopy(_load(REGISTER_PATH))


def statements() -> dict[str, Any]:
    """The statements: the documentation's words that make a rule required."""
    return copy.deepcopy(_load(STATEMENTS_PATH))


@cache
def documentation(name: str) -> str:
    """The text of one document of the record (`virtual_machines.md` or `bigv-api.md`)."""
    if name not in DOCUMENTS:
        raise KeyError(f"no document {name!r} (one of {', '.join(DOCUMENTS)})")
    return (DOCUMENTATION_DIR / name).read_text(encoding="utf-8")


def spec_hash() -> str:
    """A short fingerprint of the spec's files, for reports."""
    digest = hashlib.sha256()
    for path in (API_PATH, AUTH_PATH, RULES_PATH, REGISTER_PATH, STATEMENTS_PATH):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (METHOD, path template, operation object)."""
    found = {}
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                found[operation["operationId"]] = (method.upper(), path, operation)
    return found


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow a local `$ref` (one level at a time, until the node is no reference)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def success_status(document: dict[str, Any], operation_id: str) -> int:
    """The one 2xx status an operation answers when it succeeds (the first one listed)."""
    _, _, operation = operations(document)[operation_id]
    return next(int(code) for code in operation["responses"] if code.startswith("2"))


@cache
def capability_levels() -> Mapping[str, str]:
    """Capability -> `required` or `advisory`, over both documents (computed once)."""
    levels = {}
    for path in (API_PATH, AUTH_PATH):
        for name, capability in _load(path).get("x-capabilities", {}).items():
            levels[name] = capability["level"]
    return MappingProxyType(levels)


def definitions_table(document: dict[str, Any]) -> dict[str, Any]:
    """The definitions the reference emulator serves: section id -> data."""
    example = resolve(document, document["components"]["examples"]["Definitions"])
    return {section["id"]: section["data"] for section in example["value"]}
