"""The layout's rules, checked on the source: no import cycle between modules, packages depend
only downward (config <- engine <- observe <- mesa/experiment <- report <- cli), and no package
imports the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support import ROOT

SIM = ROOT / "sim"

#: what each package may import from within sim (besides itself)
ALLOWED = {
    "config": set(),
    "engine": {"config"},
    "observe": {"config", "engine", "stats"},  # intervals are a leaf the summaries use
    "stats": set(),
    "mesa": {"config", "engine", "observe"},
    "experiment": {"config", "engine", "observe", "stats"},
    "report": {"config", "engine", "observe", "stats", "experiment"},
    "cli": {"config", "engine", "observe", "stats", "experiment", "report", "mesa"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p) for p in SIM.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Every sim module this file imports, at the top or inside a function."""
    found = set()
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    tree = ast.parse(path.read_text())
    # imports for type annotations only (`if TYPE_CHECKING:`) are not run, so they are no cycle
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sim.")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target == "sim" or target.startswith("sim."):
                submodules = {f"{target}.{a.name}" for a in node.names} & MODULES
                # `from sim.cli import compare` imports the module sim.cli.compare
                found |= submodules if len(submodules) == len(node.names) else {target} | submodules
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in SIM.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name}
            for name, path in modules.items()}


def test_no_import_cycle_between_modules():
    edges = graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below_it(package):
    for path in (SIM / package).rglob("*.py"):
        for target in imports_of(path):
            parts = target.split(".")
            if len(parts) < 2 or parts[1] == package or parts[1] == "__version__":
                continue
            assert parts[1] in ALLOWED[package], f"{module_name(path)} imports {target}"


def test_the_engine_knows_nothing_of_mesa_files_or_reports():
    for path in (SIM / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not names & {"mesa", "pandas", "pyarrow", "matplotlib"}, f"{path.name}: {names}"
