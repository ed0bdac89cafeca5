"""The architecture holds: the contracts in pyproject.toml ([tool.importlinter]) are kept, no two
packages of the application import each other (directly or round about), and services never read
the web request."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
REQUEST_STATE = {("flask", "request"), ("flask", "session"), ("flask", "g"), ("flask_login", "current_user")}


def test_import_contracts_are_kept():
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def package_cycles(graph: grimp.ImportGraph, root: str) -> list[list[str]]:
    """Groups of ``root``'s direct subpackages that import each other round about (Tarjan's SCC)."""
    children = sorted(graph.find_children(root))
    edges: dict[str, set[str]] = {c: set() for c in children}
    for importer in children:
        for imported in children:
            if importer != imported and graph.chain_exists(importer, imported, as_packages=True):
                edges[importer].add(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for child in children:
        if child not in index:
            visit(child)
    return cycles


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("market", exclude_type_checking_imports=True)


def test_no_cycles_between_the_applications_packages():
    assert package_cycles(_graph(), "market") == []


def test_the_cycle_check_finds_a_cycle_when_there_is_one():
    graph = _graph()
    graph.add_import(importer="market.core.db", imported="market.micro.models")  # the core reaching up
    assert any({"market.core", "market.micro"} <= set(group) for group in package_cycles(graph, "market"))


def _service_modules() -> list[Path]:
    market = ROOT / "market"
    return sorted([*market.glob("*/services.py"), *market.glob("*/services/*.py"), market / "review" / "awards.py",
                   market / "review" / "adapter.py"])


def test_services_do_not_read_the_web_request():
    offenders = []
    for path in _service_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    if (node.module, alias.name) in REQUEST_STATE:
                        offenders.append(f"{path.relative_to(ROOT)}: from {node.module} import {alias.name}")
    assert offenders == []
    assert len(_service_modules()) > 15  # the glob found the services


def test_no_optional_imports_between_domains():
    """Domains call each other explicitly or through signals: never ``except ImportError`` or
    ``importlib.import_module``."""
    offenders = []
    for path in sorted((ROOT / "market").rglob("*.py")):
        text = path.read_text()
        if "except ImportError" in text or "import_module(" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_test_replaces_a_module():
    pattern = ("setitem(sys." + "modules", "sys." + "modules[")  # spelled apart so this file does not match itself
    offenders = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "tests").rglob("*.py"))
                 if any(text in p.read_text() for text in pattern)]
    assert offenders == [], offenders
