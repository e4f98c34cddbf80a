"""The import contracts in pyproject.toml [tool.importlinter] hold on the tree, and they bite.

`make arch` runs the same `lint-imports`. The biting tests copy the real contracts into a
tiny tree with the project's package names and add one wrong import at a time, written the
way a hurried change would hide it (inside a function, under TYPE_CHECKING).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# A tree that keeps every contract: each package has two modules, the programs use the
# libraries the direction table allows.
CLEAN_TREE = {
    "hashing/__init__.py": "",
    "hashing/digest.py": "import hashlib\n",
    "hashing/pipeline.py": "from hashing.digest import hashlib\n",
    "retention/__init__.py": "",
    "retention/facts.py": "import pydantic\n",
    "retention/engine.py": "from retention import facts\n",
    "firmware_profiles/__init__.py": "",
    "firmware_profiles/schema.py": "import pydantic\n",
    "firmware_profiles/loader.py": "from firmware_profiles import schema\n",
    "edge_agent/__init__.py": "",
    "edge_agent/offload.py": "import hashing.pipeline\nimport firmware_profiles.loader\n",
    "edge_agent/cli.py": "from edge_agent import offload\n\n\ndef main():\n    import typer\n",
    "ingest_server/__init__.py": "",
    "ingest_server/uploads.py": "import hashing.digest\nimport retention.engine\nimport sqlalchemy\n",
    "ingest_server/app.py": "from ingest_server import uploads\nimport fastapi\n",
}


# Contracts about the inside of a package (its real sub-packages), tested on a copy of the tree.
INNER_CONTRACTS = {"server-domain-below-edges", "agent-layers"}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def tiny_tree(tmp_path: Path, **changes: str) -> Path:
    """CLEAN_TREE plus `changes` (module, '__' for '/': source appended to it), with the real contracts."""
    files = dict(CLEAN_TREE)
    for key, source in changes.items():
        path = key.replace("__", "/") + ".py"
        files[path] = files.get(path, "") + source
    for path, source in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(source, encoding="utf-8")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    # The contracts inside a package name its real modules; the copied-tree tests below check those.
    config["contracts"] = [c for c in config["contracts"] if c["id"] not in INNER_CONTRACTS]
    (tmp_path / "pyproject.toml").write_text(tomli_w.dumps({"tool": {"importlinter": config}}))
    return tmp_path


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken." in result.stdout
    assert "BROKEN" not in result.stdout


def test_the_tiny_tree_keeps_every_contract(tmp_path):
    result = lint_imports(tiny_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken." in result.stdout


def broken(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 1, result.stdout + result.stderr
    return [line.removesuffix(" BROKEN") for line in result.stdout.splitlines() if line.endswith(" BROKEN")]


LAYERS = "programs over libraries; programs independent; libraries independent"


AGENT_NOT_RETENTION = "edge_agent uses hashing and firmware_profiles, not retention"
SERVER_NOT_PROFILES = "ingest_server uses hashing and retention, not firmware_profiles"
TYPE_CHECKING_ONLY = "import typing\nif typing.TYPE_CHECKING:\n    import hashing\n"


@pytest.mark.parametrize(
    ("changes", "contracts", "shown"),
    [
        (  # a library importing a program, inside a function
            {"hashing__digest": "\n\ndef f():\n    import ingest_server\n"},
            [LAYERS],
            "hashing.digest -> ingest_server",
        ),
        (  # a library importing another library, only for type checking
            {"retention__engine": TYPE_CHECKING_ONLY},
            [LAYERS],
            "retention.engine -> hashing",
        ),
        (  # the agent importing the server
            {"edge_agent__cli": "\n\ndef g():\n    from ingest_server.app import fastapi\n"},
            [LAYERS],
            "edge_agent.cli -> ingest_server.app",
        ),
        (  # the server importing the agent
            {"ingest_server__app": "from edge_agent import offload\n"},
            [LAYERS],
            "ingest_server.app -> edge_agent.offload",
        ),
        (
            {"edge_agent__offload": "\n\ndef h():\n    import retention.facts\n"},
            [AGENT_NOT_RETENTION],
            "edge_agent.offload -> retention.facts",
        ),
        (
            {"ingest_server__uploads": "\n\ndef h():\n    import firmware_profiles.schema\n"},
            [SERVER_NOT_PROFILES],
            "ingest_server.uploads -> firmware_profiles.schema",
        ),
        (
            {"hashing__pipeline": "\n\ndef h():\n    import pydantic\n"},
            ["hashing uses the standard library only (numpy allowed)"],
            "hashing.pipeline -> pydantic",
        ),
        (
            {"firmware_profiles__loader": "\n\ndef h():\n    import sqlalchemy\n"},
            ["retention and firmware_profiles use the standard library and pydantic only"],
            "firmware_profiles.loader -> sqlalchemy",
        ),
    ],
)
def test_a_wrong_way_import_breaks_its_contract(tmp_path, changes, contracts, shown):
    result = lint_imports(tiny_tree(tmp_path, **changes))
    assert broken(result) == contracts
    assert shown in result.stdout


def acyclic_packages() -> list[str]:
    """The packages the "no cycles" contract covers (its `ancestors`: extend it there)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = (c for c in config["contracts"] if c["type"] == "acyclic_siblings")
    return contract["ancestors"]


# Per package, a module of CLEAN_TREE that imports another at its top: (importer, imported).
TOP_IMPORTS = {
    "hashing": ("pipeline", "digest"),
    "retention": ("engine", "facts"),
    "firmware_profiles": ("loader", "schema"),
    "edge_agent": ("cli", "offload"),
    "ingest_server": ("app", "uploads"),
}


def test_the_acyclic_contract_covers_at_least_the_libraries():
    assert {"hashing", "retention", "firmware_profiles"} <= set(acyclic_packages()) <= set(TOP_IMPORTS)


@pytest.mark.parametrize("package", acyclic_packages())
def test_a_cycle_closed_inside_a_function_breaks_the_acyclic_contract(tmp_path, package):
    importer, imported = TOP_IMPORTS[package]
    back = f"\n\ndef late():\n    from {package} import {importer}\n"  # the import that closes the cycle
    result = lint_imports(tiny_tree(tmp_path, **{f"{package}__{imported}": back}))
    assert broken(result) == ["no import cycles inside a package"]
    assert f"No cycles are allowed in {package}." in result.stdout
    breaker = {f"- .{imported} -> .{importer} (1 import)", f"- .{importer} -> .{imported} (1 import)"}
    assert breaker & set(result.stdout.splitlines()), result.stdout  # either import breaks the cycle


PACKAGES = ["hashing", "retention", "firmware_profiles", "edge_agent", "ingest_server"]


def copied_tree(tmp_path: Path, module: str, source: str) -> Path:
    """The real packages and contracts in tmp_path, with `source` appended to `module`."""
    import shutil

    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + source, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "imported", "contract"),
    [
        (
            "ingest_server.clips.service",
            "ingest_server.portal.pages",
            "ingest_server's domain packages never import the portal, the app, the CLI or the",
        ),
        ("ingest_server.audit.service", "ingest_server.cli", "ingest_server's domain packages never import"),
        ("edge_agent.core.journal", "edge_agent.service", "edge_agent: cli over service/manual"),
        ("edge_agent.dock.scan", "edge_agent.upload.loop", "edge_agent: cli over service/manual"),
    ],
)
def test_a_wrong_way_import_inside_a_package_breaks_its_contract(tmp_path, module, imported, contract):
    late = f"\n\ndef _late():\n    import {imported}  # noqa\n"
    result = lint_imports(copied_tree(tmp_path, module, late))
    assert result.returncode == 1, result.stdout
    assert any(line.startswith(contract) for line in broken(result) + result.stdout.splitlines())
    assert module in result.stdout and imported in result.stdout


CYCLES_SCRIPT = """
import json, sys
import grimp

graph = grimp.build_graph(*sys.argv[1:], cache_dir=None)
modules = sorted(graph.modules)
edges = {
    m: sorted(x for x in graph.find_modules_directly_imported_by(m) if x in graph.modules) for m in modules
}
index, low, stack, found = {}, {}, [], []
sys.setrecursionlimit(100000)

def visit(v):  # Tarjan's strongly connected components
    index[v] = low[v] = len(index)
    stack.append(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        group = []
        while True:
            w = stack.pop()
            group.append(w)
            if w == v:
                break
        if len(group) > 1:
            found.append(sorted(group))

for m in modules:
    if m not in index:
        visit(m)
print(json.dumps(found))
"""


def module_cycles(root: Path) -> list[list[str]]:
    """Groups of modules that import each other round a cycle (grimp's graph: deferred imports count)."""
    import json

    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", CYCLES_SCRIPT, *PACKAGES],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_no_module_imports_itself_round_a_cycle():
    """acyclic_siblings checks packages against their siblings; this checks every module.

    A package's routes import the shared API dependencies, which import that package's
    service: a cycle between sibling *packages* of the server that is not one between
    modules. Between modules there is none, deferred imports included.
    """
    assert module_cycles(ROOT) == []


def test_a_module_cycle_through_a_function_level_import_is_found(tmp_path):
    late = "\n\ndef _late():\n    import ingest_server.audit.service  # noqa\n"
    cycles = module_cycles(copied_tree(tmp_path, "ingest_server.audit.models", late))
    assert ["ingest_server.audit.models", "ingest_server.audit.service"] in cycles
