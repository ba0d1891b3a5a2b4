"""The suite and the emulator share only spec/: neither package imports the other; inside
the suite, each stage imports only the stages it may, and no module imports itself back."""

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


# -- the stages of conformance/ and who may import whom ---------------------------------------

# Each module of the suite belongs to one stage (ARCHITECTURE.md); a stage imports only itself
# and the stages it may (the flow: the run drives judging and recording, the report reads the
# results; judging knows nothing of the run or its recording).
STAGE_OF = {
    "conformance.cli": "entry",
    "conformance.target": "target",
    "conformance.run": "run",
    "conformance.suite": "suite",
    "conformance.judging": "judging",
    "conformance.results": "results",
    "conformance.report": "report",
}
MAY_IMPORT = {
    "target": set(),
    "judging": {"target"},
    "results": {"target", "judging"},
    "report": {"target", "judging", "results"},
    "run": {"target", "judging", "results", "report"},
    "suite": {"target", "judging", "run"},
    "entry": {"target", "results", "report", "run"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def conformance_imports() -> dict[str, set[str]]:
    """Every module of conformance/ and the conformance modules it imports (at any depth of
    its code: an import inside a function counts)."""
    modules = {module_name(path): path for path in (ROOT / "conformance").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                submodules = {f"{base}.{alias.name}" for alias in node.names}
                found |= (submodules & modules.keys()) or {base}
        graph[name] = {module for module in found if module in modules and module != name}
    return graph


def stage(module: str) -> str:
    for prefix, name in STAGE_OF.items():
        if module == prefix or module.startswith(prefix + "."):
            return name
    return "package"  # conformance/__init__.py


def test_every_module_has_a_stage():
    assert [m for m in conformance_imports() if stage(m) == "package"] == ["conformance"]


def test_stages_import_only_what_the_table_allows():
    wrong = [
        f"{module} ({stage(module)}) imports {imported} ({stage(imported)})"
        for module, imported_modules in sorted(conformance_imports().items())
        for imported in sorted(imported_modules)
        if stage(imported) not in {stage(module), "package"}
        and stage(imported) not in MAY_IMPORT.get(stage(module), set())
    ]
    assert wrong == []


def test_judging_imports_nothing_of_the_run_or_its_recording():
    graph = conformance_imports()
    judging = [m for m in graph if stage(m) == "judging"]
    assert all(stage(imported) in {"judging", "target"} for m in judging for imported in graph[m])


def test_no_import_circle_between_conformance_modules():
    graph = conformance_imports()
    circles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                circles.append(" -> ".join([*path[path.index(imported) :], imported]))
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []
