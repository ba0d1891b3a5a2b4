"""The emulator's shape: a handler for every operation of the spec and nothing else, routes
from the spec, admin paths apart from it, and layers that stay apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import spec
from emulator.handlers import HANDLERS
from emulator.http import ADMIN_PREFIX, werkzeug_rule

PACKAGE = Path(__file__).resolve().parents[2] / "emulator"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_every_operation_of_both_specs_has_a_handler_and_no_handler_is_extra():
    operation_ids = set(spec.operations(spec.api())) | set(spec.operations(spec.auth()))
    assert set(HANDLERS) == operation_ids


def test_admin_endpoints_do_not_collide_with_spec_paths():
    paths = list(spec.api()["paths"]) + list(spec.auth()["paths"])
    assert not [path for path in paths if path.startswith(ADMIN_PREFIX)]


def test_spec_paths_become_werkzeug_rules():
    assert werkzeug_rule("/a/{b}/c/{d}") == "/a/<b>/c/<d>"


def test_the_emulator_never_imports_the_suite():
    for path in PACKAGE.rglob("*.py"):
        modules = _imports(path)
        assert not [m for m in modules if m == "conformance" or m.startswith("conformance.")], path


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("model.py", {"sqlite3", "werkzeug", "http", "requests", "time", "emulator.store"}),
        ("addresses.py", {"sqlite3", "werkzeug", "http", "emulator.store"}),
        ("store.py", {"werkzeug", "emulator.http", "emulator.errors"}),
        ("validation.py", {"sqlite3", "emulator.store"}),
    ],
)
def test_layers_stay_apart(module, forbidden):
    modules = _imports(PACKAGE / module)
    assert not {m for m in modules if m in forbidden or m.split(".")[0] in forbidden}
