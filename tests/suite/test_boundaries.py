"""The suite and the emulator share only spec/: neither package imports the other."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"), [("conformance", "emulator"), ("emulator", "conformance")]
)
def test_packages_do_not_import_each_other(package, forbidden):
    assert forbidden not in imported_packages(package)


def test_spec_imports_neither():
    assert not {"conformance", "emulator"} & imported_packages("spec")
