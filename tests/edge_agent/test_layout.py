"""The agent's package layout holds: no import cycle, no deferred import, imports only downwards.

The direction (docs/architecture.md, "Edge agent"): `core` <- `dock`, `capture`,
`release` <- `offload`, `upload` <- `service`, `manual`, `simulator`,
`status_report`, `status_page` <- `cli`; inside a layer only `upload` -> `release`
(the upload loop runs the release step after each round) and `status_page` ->
`status_report` (the page shows the report's data). Read from the source with `ast`,
so a function-level import counts as much as a top-level one.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.agent import REPO

LAYERS = {
    "core": 0,
    "dock": 1,
    "capture": 1,
    "release": 1,
    "offload": 2,
    "upload": 2,
    "service": 3,
    "manual": 3,
    "simulator": 3,
    "status_report": 3,
    "status_page": 3,
    "doctor": 3,
    "cli": 4,
}
SIDEWAYS = {("upload", "release"), ("status_page", "status_report")}


def imports(package: Path) -> tuple[dict[str, set[str]], list[str]]:
    """({module: edge_agent modules it imports}, ["module:line deferred import ..."])."""
    modules = {}
    for path in package.rglob("*.py"):
        name = ".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph: dict[str, set[str]] = {m: set() for m in modules}
    deferred = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                wanted = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                wanted = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            targets = {w for w in wanted if w in modules and w != name}
            graph[name] |= targets
            if targets and id(node) not in top:
                deferred.append(f"{name}:{node.lineno} imports {sorted(targets)} inside a function")
    return graph, deferred


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            found.append(path[path.index(node) :] + [node])
            return
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, path + [node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return found


def wrong_way(graph: dict[str, set[str]]) -> list[str]:
    def part(module: str) -> str:
        return module.split(".")[1] if "." in module else ""

    wrong = []
    for a, targets in graph.items():
        for b in targets:
            pa, pb = part(a), part(b)
            if not pa or not pb or pa == pb:
                continue
            if LAYERS[pb] > LAYERS[pa] or (LAYERS[pb] == LAYERS[pa] and (pa, pb) not in SIDEWAYS):
                wrong.append(f"{a} imports {b}")
    return sorted(wrong)


def test_every_top_level_name_has_a_layer():
    names = {p.stem for p in (REPO / "edge_agent").iterdir() if p.suffix == ".py" or p.is_dir()}
    assert names - {"__init__", "__pycache__"} <= set(LAYERS)


def test_no_import_cycle():
    graph, _ = imports(REPO / "edge_agent")
    assert cycles(graph) == []


def test_no_deferred_import():
    _, deferred = imports(REPO / "edge_agent")
    assert deferred == []


def test_imports_only_downwards():
    graph, _ = imports(REPO / "edge_agent")
    assert wrong_way(graph) == []
