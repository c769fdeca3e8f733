"""The house has no import cycle: no module reaches itself through the modules it imports,
function-level imports included (they are how a cycle is held shut, not how it is broken)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of two or more modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in graph.modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph("service", "tenants")
    assert _cycles(graph) == []


ROOT = Path(__file__).resolve().parents[1]
PAGES_AND_API = ("views", "api", "pages")  # endings of the modules that answer requests


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "service" and len(parts) > 2 else None


def _answers_requests(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return any(last == end or last.endswith(f"_{end}") for end in PAGES_AND_API)


def test_no_package_reaches_into_another_packages_pages_or_api():
    """Packages use each other through services: a page or resource of one package is never
    imported by another (create_app, which registers them all, is the one exception)."""
    graph = grimp.build_graph("service", "tenants")
    reaching = sorted(
        f"{importer} -> {imported}"
        for imported in graph.modules
        if _answers_requests(imported) and _package(imported)
        for importer in graph.find_modules_that_directly_import(imported)
        if importer != "service"
        and _package(importer) != _package(imported)
        and _package(imported) != "web"  # the web layer's kits are shared by design
    )
    assert reaching == []


def test_no_module_imports_another_modules_private_names():
    """A name starting with `_` is its module's own: another module that needs it asks for a
    public one, so that what a module promises is what it exports."""
    private = [
        f"{path}: from {node.module} import {alias.name}"
        for path in [*Path(ROOT, "service").rglob("*.py"), *Path(ROOT, "tenants").rglob("*.py")]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").split(".")[0] in ("service", "tenants")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []
